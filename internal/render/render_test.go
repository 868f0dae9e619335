package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stanceproject/stance"
)

func TestTable(t *testing.T) {
	tab := NewTable("TEXT")
	tab.Add("China\twelcomes a multipolar world.", stance.Result{
		Labels: []string{"pro"}, Top: "pro", Language: "en", Scores: []stance.Score{{Label: "pro", Score: 0.9}, {Label: "none", Score: 0.1}},
		Explanations: []stance.Explanation{{Label: "pro", Contributions: []stance.Contribution{{Feature: "multipolar", Weight: 2.5}}}},
	})
	tab.Add("Bonjour.", stance.Result{Unsupported: true, Language: "fr"})
	tab.Add("bad", stance.Result{Err: errors.New("text is empty")})
	var buf bytes.Buffer
	if err := tab.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	lines := strings.Split(got, "\n")
	if !strings.HasPrefix(lines[0], "TEXT") || !strings.Contains(lines[1], "China welcomes a multipolar world.") || !strings.Contains(lines[1], "0.900") {
		t.Errorf("header and first row (the tab replaced, the top score):\n%s", got)
	}
	if !strings.Contains(got, "\n    pro: multipolar +2.50\n") || !strings.Contains(got, "(unsupported language)") || !strings.Contains(got, "error: text is empty") {
		t.Errorf("table:\n%s", got)
	}
}

func TestResultJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := ResultJSON(&buf, 3, "a text", stance.Result{Labels: []string{"pro"}, Top: "pro", Scores: []stance.Score{{Label: "pro", Score: 0.75}}}); err != nil {
		t.Fatal(err)
	}
	if err := ResultJSON(&buf, 4, "bad", stance.Result{Err: errors.New("text is empty")}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var ok, failed struct {
		Line   int
		Text   string
		Result struct {
			TopLabel string
			TopScore float64
		}
		Error string
	}
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &ok) != nil || json.Unmarshal([]byte(lines[1]), &failed) != nil {
		t.Fatalf("want two JSON lines:\n%s", buf.String())
	}
	if ok.Line != 3 || ok.Result.TopLabel != "pro" || ok.Result.TopScore != 0.75 || failed.Line != 4 || failed.Error != "text is empty" {
		t.Errorf("lines %+v / %+v", ok, failed)
	}
}

func TestDocumentAndInfo(t *testing.T) {
	var buf bytes.Buffer
	doc := stance.Document{
		Sentences: []stance.Sentence{{Text: "A multipolar world.", Result: stance.Result{Labels: []string{"pro"}, Top: "pro"}}},
		Labels:    []stance.LabelShare{{Label: "pro", Sentences: 1, Share: 1}}, Abstained: 0, Unsupported: 0,
	}
	if err := Document(&buf, doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "SENTENCE") || !strings.Contains(buf.String(), "100.0%") {
		t.Errorf("document:\n%s", buf.String())
	}
	buf.Reset()
	info := stance.ModelInfo{Name: "m", Version: "v1", Languages: []string{"en"}, Labels: []stance.LabelInfo{{Name: "pro", Threshold: 0.4, Description: "For."}},
		Metrics: map[string]map[string]float64{"dev": {"macro_f1": 0.85}}}
	if err := Info(&buf, info); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"model     m v1", "pro    0.400      For.", "dev metrics: macro_f1 0.8500"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("info lacks %q:\n%s", want, buf.String())
		}
	}
}
