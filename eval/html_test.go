package eval

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteHTML(t *testing.T) {
	noScores, err := Compute(multiLabelItems(), Options{Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	noLabels, err := Compute([]Item{{}}, Options{})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	tests := []struct {
		name string
		r    *Report
	}{
		{"full", goldenReport(t)},
		{"no scores or intervals", noScores},
		{"no labels", noLabels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "nested", "out")
			if err := WriteHTML(dir, tt.r); err != nil {
				t.Fatalf("WriteHTML: %v", err)
			}
			for _, name := range []string{"confusion.png", "f1.png", "reliability.png"} {
				data, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatalf("read %s: %v", name, err)
				}
				img, err := png.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("decode %s: %v", name, err)
				}
				if b := img.Bounds(); len(data) < 4000 || b.Dx() < 200 || b.Dy() < 200 {
					t.Errorf("%s: %d bytes, %dx%d pixels; want a real plot", name, len(data), b.Dx(), b.Dy())
				}
			}
			js, err := os.ReadFile(filepath.Join(dir, "report.json"))
			if err != nil {
				t.Fatalf("read report.json: %v", err)
			}
			b, err := ReadBaseline(filepath.Join(dir, "report.json"))
			if err != nil {
				t.Fatalf("report.json is no baseline: %v\n%s", err, js)
			}
			if b.MacroF1 != tt.r.MacroF1 {
				t.Errorf("report.json macro_f1 = %v, want %v", b.MacroF1, tt.r.MacroF1)
			}
			page, err := os.ReadFile(filepath.Join(dir, "index.html"))
			if err != nil {
				t.Fatalf("read index.html: %v", err)
			}
			for _, want := range []string{`src="confusion.png"`, `src="f1.png"`, `src="reliability.png"`, `href="report.json"`, "macro F1"} {
				if !strings.Contains(string(page), want) {
					t.Errorf("index.html does not contain %s", want)
				}
			}
			for _, l := range tt.r.Labels {
				if !strings.Contains(string(page), "<td>"+l+"</td>") {
					t.Errorf("index.html has no row for label %s", l)
				}
			}
		})
	}
}

func TestWriteHTMLErrors(t *testing.T) {
	if err := WriteHTML(t.TempDir(), nil); err == nil {
		t.Error("WriteHTML(nil report) = nil, want an error")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(filepath.Join(file, "sub"), goldenReport(t)); err == nil {
		t.Error("WriteHTML under a regular file = nil, want an error")
	}
}

func TestWriteHTMLRunAndWorstErrors(t *testing.T) {
	r := goldenReport(t)
	r.Run = &Provenance{Model: "news", ModelVersion: "v7", Data: "data/dev.jsonl", DataSHA256: "abc123", Command: "stancectl eval --data data/dev.jsonl", Date: "2024-05-01T00:00:00Z"}
	r.WorstErrors = []WorstError{{
		Source: "data/dev.jsonl:7", Text: "A <b>bold</b> claim.", Gold: []string{"pro"}, Pred: []string{"none"}, Severity: 0.97,
		Explanations: []ErrorExplanation{{Label: "none", Contributions: []Contribution{{Feature: "claim", Weight: 1.25}}}},
	}}
	dir := t.TempDir()
	if err := WriteHTML(dir, r); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"news v7", "data/dev.jsonl", "abc123", "stancectl eval --data data/dev.jsonl", "2024-05-01T00:00:00Z",
		"Worst errors", "data/dev.jsonl:7", "A &lt;b&gt;bold&lt;/b&gt; claim.", "none: claim &#43;1.25", "0.970"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html does not contain %q", want)
		}
	}
	b, err := ReadBaseline(filepath.Join(dir, "report.json"))
	if err != nil || b.MacroF1 != r.MacroF1 {
		t.Errorf("report.json with run and worst errors: %v, macro F1 %v; want it readable as a baseline", err, b)
	}
}
