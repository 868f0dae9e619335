package eval

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stanceproject/stance"
)

func TestWriteErrors(t *testing.T) {
	exs := []stance.Example{
		{ID: "a", Text: "right", Labels: []string{"x"}, Line: 1},
		{Text: "wrong", Target: "T", Labels: []string{"x", "y"}, Line: 2},
	}
	results := []stance.Result{
		{Labels: []string{"x"}},
		{Labels: nil, Scores: []stance.Score{{Label: "x", Score: 0.123456}, {Label: "y", Score: 0.4}}},
	}
	path := filepath.Join(t.TempDir(), "errors.jsonl")
	if err := WriteErrors(path, exs, results); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"line":2,"text":"wrong","target":"T","gold":["x","y"],"pred":[],"scores":{"x":0.1235,"y":0.4}}` + "\n"
	if string(raw) != want {
		t.Errorf("errors file:\n%s\nwant only the misclassified example:\n%s", raw, want)
	}
}

func TestFunctionWordShare(t *testing.T) {
	results := []stance.Result{{Explanations: []stance.Explanation{{Contributions: []stance.Contribution{
		{Feature: "the", Weight: -1}, {Feature: "hegemony", Weight: 3},
	}}}}}
	got := FunctionWordShare(results, func(f string) bool { return f == "the" })
	if got != 0.25 {
		t.Errorf("share = %v, want 0.25 (1 of 4 absolute weight)", got)
	}
	if got := FunctionWordShare(nil, nil); got != 0 {
		t.Errorf("share without explanations = %v, want 0", got)
	}
}

func TestSummaryAndFormats(t *testing.T) {
	favg := 0.123456
	s := (&Report{N: 10, MacroF1: 0.876543, FAvg: &favg}).Summary()
	if s["n"] != 10 || s["macro_f1"] != 0.8765 || s["f_avg"] != 0.1235 {
		t.Errorf("Summary = %v, want rounded figures with f_avg", s)
	}
	if got := CommandLine([]string{"stancectl", "eval", "--data", "my data.jsonl", "it's"}); got != `stancectl eval --data 'my data.jsonl' 'it'\''s'` {
		t.Errorf("CommandLine = %s", got)
	}
	if got := FormatMeanSD([]float64{0.5, 0.7}); got != "0.6000 ± 0.1414 (folds: 0.5000, 0.7000)" {
		t.Errorf("FormatMeanSD = %s", got)
	}
	cv := &CrossValidation{Folds: 2, Grouped: true, MacroF1: []float64{0.5, 0.7}}
	var buf bytes.Buffer
	if err := cv.WriteText(&buf, "features X"); err != nil || !strings.HasPrefix(buf.String(), "2-fold cross-validation (folds of whole batches), features X\nmacro-F1 0.6000") {
		t.Errorf("WriteText: %v\n%s", err, buf.String())
	}
	buf.Reset()
	var out map[string]any
	if err := cv.WriteJSON(&buf, map[string]any{"l2": 1e-6}); err != nil || json.Unmarshal(buf.Bytes(), &out) != nil || out["l2"] != 1e-6 || out["grouped_by_batch"] != true {
		t.Errorf("WriteJSON: %v\n%s", err, buf.String())
	}
}

func TestProvenanceAndBaseline(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "dev.jsonl")
	if err := os.WriteFile(data, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ProvenanceOf(stance.ModelInfo{Name: "m", Version: "v1"}, data, []string{"stancectl", "eval"})
	if err != nil || p.Model != "m" || p.ModelVersion != "v1" || p.DataSHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || p.Command != "stancectl eval" || p.Date == "" {
		t.Errorf("ProvenanceOf = %+v, %v", p, err)
	}
	path := filepath.Join(dir, "baseline.json")
	if err := WriteBaseline(path, &Report{MacroF1: 0.8}, data, "m v1"); err != nil {
		t.Fatal(err)
	}
	bl, err := ReadBaseline(path)
	if err != nil || bl.MacroF1 != 0.8 || bl.Model != "m v1" {
		t.Errorf("baseline read back = %+v, %v", bl, err)
	}
}
