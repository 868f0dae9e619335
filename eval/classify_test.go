package eval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stanceproject/stance"
)

// echo is a classifier that predicts the label written in the text
// ("label:x") with probability 0.9; a text "fail" fails the whole call and
// a text "bad" fails its own item.
type echo struct {
	labels []string
	calls  atomic.Int64
}

func (e *echo) Classify(_ context.Context, reqs []stance.Request) ([]stance.Result, error) {
	e.calls.Add(1)
	out := make([]stance.Result, len(reqs))
	for i, r := range reqs {
		switch {
		case r.Text == "fail":
			return nil, errors.New("connection lost")
		case r.Text == "bad":
			out[i].Err = stance.Errorf(stance.EInvalid, "text is bad")
			continue
		}
		l := strings.TrimPrefix(r.Text, "label:")
		for _, name := range e.labels {
			sc := 0.1
			if name == l {
				sc = 0.9
			}
			out[i].Scores = append(out[i].Scores, stance.Score{Label: name, Score: sc})
		}
		out[i].Labels, out[i].Top = []string{l}, l
	}
	return out, nil
}

func (e *echo) Info(context.Context) (stance.ModelInfo, error) {
	info := stance.ModelInfo{Name: "echo"}
	for _, l := range e.labels {
		info.Labels = append(info.Labels, stance.LabelInfo{Name: l})
	}
	return info, nil
}

func examples(texts ...string) []stance.Example {
	out := make([]stance.Example, len(texts))
	for i, t := range texts {
		out[i] = stance.Example{Text: t, Labels: []string{"a"}, File: "data.jsonl", Line: i + 1}
	}
	return out
}

func TestRun(t *testing.T) {
	c := &echo{labels: []string{"a", "b"}}
	exs := examples("label:a", "bad", "label:b")
	for _, conc := range []int{0, 3} {
		var done int
		res, lat, err := Run(t.Context(), c, exs, RunOptions{Concurrency: conc, Progress: func(d, total int) { done = max(done, d) }})
		if err != nil {
			t.Fatalf("concurrency %d: %v", conc, err)
		}
		if res[0].Top != "a" || res[2].Top != "b" || stance.Code(res[1].Err) != stance.EInvalid || done != 3 {
			t.Errorf("concurrency %d: results %+v, progress %d; want them in order with the bad item's error", conc, res, done)
		}
		if (lat != nil) != (conc > 0) || (lat != nil && lat.Calls != 3) {
			t.Errorf("concurrency %d: latency %+v, want three timed calls only when concurrent", conc, lat)
		}
	}
	if _, err := Items(exs, mustRun(t, c, exs)); err == nil || !strings.Contains(err.Error(), "data.jsonl:2: text is bad") {
		t.Errorf("Items with a rejected example = %v, want its line named", err)
	}
	_, _, err := Run(t.Context(), c, examples("label:a", "fail"), RunOptions{Concurrency: 1})
	if err == nil || !strings.Contains(err.Error(), "data.jsonl:2: connection lost") {
		t.Errorf("Run with a failing call = %v, want the example's line and the cause", err)
	}
}

func mustRun(t *testing.T, c stance.Classifier, exs []stance.Example) []stance.Result {
	t.Helper()
	res, _, err := Run(t.Context(), c, exs, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFolds(t *testing.T) {
	var exs []stance.Example
	for i, b := range []string{"x", "x", "x", "y", "y", "z", "", ""} {
		exs = append(exs, stance.Example{Text: fmt.Sprint(i), Batch: b})
	}
	fold, grouped := Folds(exs, 3, 1)
	if !grouped || fold[0] != fold[1] || fold[1] != fold[2] || fold[3] != fold[4] || fold[0] == fold[3] || fold[6] != fold[7] {
		t.Errorf("folds %v (grouped %v), want whole batches in distinct folds, the unbatched examples together", fold, grouped)
	}
	fold, grouped = Folds(exs, 4, 1)
	counts := make([]int, 4)
	for _, f := range fold {
		counts[f]++
	}
	if grouped || slices.Max(counts)-slices.Min(counts) > 1 {
		t.Errorf("with fewer batches than folds: %v (grouped %v), want a balanced shuffle", fold, grouped)
	}
}

func TestCrossValidate(t *testing.T) {
	exs := examples("label:a", "label:b", "label:a", "label:b")
	for i := range exs { // two batches, each with both labels
		exs[i].Labels = []string{strings.TrimPrefix(exs[i].Text, "label:")}
		exs[i].Batch = fmt.Sprint(i / 2)
	}
	var trained []int
	cv, err := CrossValidate(t.Context(), exs, 2, 1, func(train []stance.Example) (stance.Classifier, error) {
		trained = append(trained, len(train))
		return &echo{labels: []string{"a", "b"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !cv.Grouped || !slices.Equal(trained, []int{2, 2}) || len(cv.MacroF1) != 2 || cv.MacroF1[0] != 1 || cv.MacroF1[1] != 1 {
		t.Errorf("trained on %v, macro-F1 %v; want two folds of two, perfectly scored", trained, cv.MacroF1)
	}
	if _, err := CrossValidate(t.Context(), exs, 5, 1, nil); err == nil || !strings.Contains(err.Error(), "need 2 to 4") {
		t.Errorf("5 folds of 4 examples: %v, want the range named", err)
	}
}
