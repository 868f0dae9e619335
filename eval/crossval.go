package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"

	"github.com/stanceproject/stance"
)

// CrossValidation holds the held-out figures of k folds.
type CrossValidation struct {
	Folds int `json:"folds"`
	// Grouped is set when each fold held out whole batches.
	Grouped bool      `json:"grouped_by_batch"`
	MacroF1 []float64 `json:"macro_f1_folds"`
	// FAvg is set for data with targets.
	FAvg []float64 `json:"f_avg_folds,omitempty"`
}

// CrossValidate trains a classifier with fit on all but one of k folds of
// exs and scores it on the fold held out, for each fold. When the examples
// name at least k batches, each fold holds out whole batches, so that the
// figures are on writers the model never saw; otherwise the folds are a
// shuffle by seed.
func CrossValidate(ctx context.Context, exs []stance.Example, k int, seed uint64, fit func(train []stance.Example) (stance.Classifier, error)) (*CrossValidation, error) {
	if k < 2 || k > len(exs) {
		return nil, fmt.Errorf("cross-validation: %d folds: need 2 to %d", k, len(exs))
	}
	fold, grouped := Folds(exs, k, seed)
	cv := &CrossValidation{Folds: k, Grouped: grouped}
	for f := range k {
		var train, test []stance.Example
		for i, x := range exs {
			if fold[i] == f {
				test = append(test, x)
			} else {
				train = append(train, x)
			}
		}
		if len(test) == 0 {
			continue
		}
		c, err := fit(train)
		if err != nil {
			return nil, err
		}
		rep, _, err := Evaluate(ctx, c, test, Options{Bootstrap: -1}, RunOptions{})
		if err != nil {
			return nil, err
		}
		cv.MacroF1 = append(cv.MacroF1, rep.MacroF1)
		if rep.FAvg != nil {
			cv.FAvg = append(cv.FAvg, *rep.FAvg)
		}
	}
	return cv, nil
}

// Folds assigns examples to k folds: whole batches (stance.BatchFolds;
// examples without one form a batch of their own) when the examples name
// at least k batches; else a shuffle by seed.
func Folds(exs []stance.Example, k int, seed uint64) (fold []int, grouped bool) {
	named := map[string]bool{}
	for _, x := range exs {
		if x.Batch != "" {
			named[x.Batch] = true
		}
	}
	if len(named) >= k {
		return stance.BatchFolds(exs, k), true
	}
	fold = make([]int, len(exs))
	for j, i := range rand.New(rand.NewPCG(seed, 0xc0ffee)).Perm(len(exs)) {
		fold[i] = j % k
	}
	return fold, false
}

// MeanSD returns the mean and the sample standard deviation of v.
func MeanSD(v []float64) [2]float64 {
	var m, s float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return [2]float64{m, math.Sqrt(s / float64(max(1, len(v)-1)))}
}

// WriteJSON writes the figures as one JSON object with extra, such as
// the training options, beside them.
func (cv *CrossValidation) WriteJSON(w io.Writer, extra map[string]any) error {
	out := map[string]any{"folds": cv.Folds, "grouped_by_batch": cv.Grouped, "macro_f1": MeanSD(cv.MacroF1), "macro_f1_folds": cv.MacroF1}
	if len(cv.FAvg) > 0 {
		out["f_avg"] = MeanSD(cv.FAvg)
		out["f_avg_folds"] = cv.FAvg
	}
	maps.Copy(out, extra)
	raw, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(raw))
	return err
}

// WriteText writes the figures for people; setup says what was
// cross-validated.
func (cv *CrossValidation) WriteText(w io.Writer, setup string) error {
	how := "random folds"
	if cv.Grouped {
		how = "folds of whole batches"
	}
	fmt.Fprintf(w, "%d-fold cross-validation (%s), %s\nmacro-F1 %s\n", cv.Folds, how, setup, FormatMeanSD(cv.MacroF1))
	if len(cv.FAvg) > 0 {
		_, err := fmt.Fprintf(w, "F_avg    %s\n", FormatMeanSD(cv.FAvg))
		return err
	}
	return nil
}
