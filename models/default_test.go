package models_test

import (
	"bufio"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/dataset"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/models"
)

// These tests hold the default model to what a user sees on the inputs
// people really send: short English, other languages, off-topic and
// degenerate text, and repeated words. The sets are in data/realinput.

var defaultEngine = sync.OnceValues(func() (*engine.Engine, error) {
	m, err := models.LoadDefault()
	if err != nil {
		return nil, err
	}
	return engine.New(m, engine.Config{})
})

func classify(t *testing.T, texts []string) []stance.Result {
	t.Helper()
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	reqs := make([]stance.Request, len(texts))
	for i, s := range texts {
		reqs[i] = stance.Request{Text: s}
	}
	res, err := e.Classify(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("%q: %v", texts[i], r.Err)
		}
	}
	return res
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			out = append(out, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// atLeast fails when fewer than pct percent of n pass.
func atLeast(t *testing.T, what string, ok, n int, pct float64) {
	t.Helper()
	t.Logf("%s: %d of %d (%.1f%%)", what, ok, n, 100*float64(ok)/float64(n))
	if float64(ok)*100 < pct*float64(n) {
		t.Errorf("%s: %d of %d, want at least %.0f%%", what, ok, n, pct)
	}
}

func TestShortEnglishIsClassified(t *testing.T) {
	texts := readLines(t, "../data/realinput/en_short.txt")
	ok := 0
	for i, r := range classify(t, texts) {
		if !r.Unsupported && len(r.Labels) > 0 {
			ok++
		} else {
			t.Logf("refused: %q (%s %.2f)", texts[i], r.Language, r.LanguageConfidence)
		}
	}
	atLeast(t, "short English classified", ok, len(texts), 98)
}

func TestOtherLanguagesAreFlagged(t *testing.T) {
	var texts []string
	langs := map[string]bool{}
	for _, l := range readLines(t, "../data/realinput/foreign.tsv") {
		code, text, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("foreign.tsv: line without a tab: %q", l)
		}
		langs[code] = true
		texts = append(texts, text)
	}
	if len(langs) < 12 {
		t.Fatalf("foreign.tsv has %d languages, want at least 12", len(langs))
	}
	ok := 0
	for i, r := range classify(t, texts) {
		if r.Unsupported {
			ok++
		} else {
			t.Logf("classified: %q (%s %.2f)", texts[i], r.Language, r.LanguageConfidence)
		}
	}
	atLeast(t, "other languages flagged", ok, len(texts), 95)
}

// stance reports whether r carries a stance: a stance label, or a stance
// score at 0.5 or more.
func hasStance(r stance.Result) bool {
	for _, l := range r.Labels {
		if l != "none" {
			return true
		}
	}
	for _, s := range r.Scores {
		if s.Label != "none" && s.Score >= 0.5 {
			return true
		}
	}
	return false
}

func TestOffTopicGetsNoStance(t *testing.T) {
	texts := readLines(t, "../data/realinput/offtopic.txt")
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	ok, n := 0, 0
	for _, text := range texts {
		res, err := e.Classify(context.Background(), []stance.Request{{Text: text}})
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if stance.Code(r.Err) == stance.EInvalid {
			continue // no content at all: refused, which is no stance either
		}
		n++
		if r.Err == nil && !hasStance(r) {
			ok++
		} else {
			t.Logf("stance on off-topic text %q: %v %v", text, r.Labels, r.Err)
		}
	}
	atLeast(t, "off-topic texts without a stance", ok, n, 96)
}

func TestRepetitionCannotRaiseAScore(t *testing.T) {
	exs, _, err := dataset.ReadFile("../data/dev.jsonl", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var once, twice, tenfold []string
	for _, x := range exs {
		once = append(once, x.Text)
		twice = append(twice, strings.Repeat(x.Text+" ", 2))
		tenfold = append(tenfold, strings.Repeat(x.Text+" ", 10))
	}
	base := classify(t, once)
	for name, texts := range map[string][]string{"×2": twice, "×10": tenfold} {
		same := 0
		for i, r := range classify(t, texts) {
			if slices.Equal(r.Labels, base[i].Labels) {
				same++
			}
		}
		atLeast(t, "same labels with each sentence "+name, same, len(texts), 99)
	}
	for _, w := range []string{"a", "the", "and", "of", "world"} {
		r := classify(t, []string{strings.TrimSpace(strings.Repeat(w+" ", 10))})[0]
		if hasStance(r) {
			t.Errorf("%q ten times: stance %v (scores %v)", w, r.Labels, r.Scores)
		}
	}
}
