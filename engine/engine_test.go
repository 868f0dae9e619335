package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/internal/testmodel"
	"github.com/stanceproject/stance/linear"
)

var modelOnce = sync.OnceValues(func() (*linear.Model, error) {
	return testmodel.Train("engine", testmodel.Examples(), testmodel.Labels)
})

func testEngine(t *testing.T, cfg engine.Config) *engine.Engine {
	t.Helper()
	m, err := modelOnce()
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestClassifyValidation(t *testing.T) {
	e := testEngine(t, engine.Config{MaxTextBytes: 200})
	cases := []struct {
		name, text, target, want string
	}{
		{"empty", "", "", "text is empty"},
		{"whitespace", " \t\n ", "", "text is empty"},
		{"too long", strings.Repeat("word ", 41), "", "text is 205 bytes; the limit is 200 bytes (--max-text-bytes)"},
		{"invalid UTF-8", "bad \xff byte", "", "text is not valid UTF-8 (bad byte 0xff at offset 4)"},
		{"target", testmodel.MultipolarText, "NATO", "takes no target"},
		{"long target", testmodel.MultipolarText, strings.Repeat("x", 10_000), "target is 10000 bytes; the limit is 256 bytes (--max-target-bytes)"},
		{"zero-width only", "\u200b\u200c\u200d\ufeff", "", "text has no content"},
		{"bidi and control only", "\u202e\u2066\x01\u2069\u202c", "", "text has no content"},
		{"punctuation only", "?!... \u2014 \u201c\u201d", "", "text has no content"},
	}
	reqs := []stance.Request{{Text: testmodel.MultipolarText}}
	for _, c := range cases {
		reqs = append(reqs, stance.Request{Text: c.text, Target: c.target})
	}
	results, err := e.Classify(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Err != nil || !contains(results[0].Labels, "pro_multipolarity") {
		t.Errorf("good item = %+v, want pro_multipolarity and no error", results[0])
	}
	for i, c := range cases {
		r := results[i+1]
		if r.Err == nil || stance.Code(r.Err) != stance.EInvalid || !strings.Contains(r.Err.Error(), c.want) {
			t.Errorf("%s: err = %v, want EInvalid containing %q", c.name, r.Err, c.want)
		}
	}
}

// TestClassifyEmojiIsContent: emoji say something, just nothing the
// model knows; they are classified, not refused.
func TestClassifyEmojiIsContent(t *testing.T) {
	e := testEngine(t, engine.Config{})
	results, err := e.Classify(context.Background(), []stance.Request{{Text: "\U0001F600\U0001F44D"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Err != nil || len(r.Labels) == 0 {
		t.Errorf("emoji: %+v, want labels and no error", r)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestClassifyBatchOrder checks that the parallel batch path keeps input
// order and equals one-by-one classification.
func TestClassifyBatchOrder(t *testing.T) {
	e := testEngine(t, engine.Config{})
	texts := []string{testmodel.MultipolarText, testmodel.UnilateralText, testmodel.NeutralText}
	var reqs []stance.Request
	for i := range 300 {
		reqs = append(reqs, stance.Request{Text: texts[i%3]})
	}
	reqs[150].Text = ""
	results, err := e.Classify(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if i == 150 {
			if r.Err == nil {
				t.Errorf("item 150: no error for an empty text")
			}
			continue
		}
		one, err := e.ClassifyOne(context.Background(), reqs[i])
		if err != nil || strings.Join(one.Labels, ",") != strings.Join(r.Labels, ",") || one.Scores[0] != r.Scores[0] {
			t.Fatalf("item %d = %v, one by one %v (%v)", i, r.Labels, one.Labels, err)
		}
	}
}

func TestClassifyUnsupportedLanguage(t *testing.T) {
	e := testEngine(t, engine.Config{})
	r, err := e.ClassifyOne(context.Background(), stance.Request{Text: "Le gouvernement a annoncé mardi que les négociations avec les pays voisins reprendraient au printemps."})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Unsupported || r.Language != "fr" || len(r.Labels) != 0 || len(r.Scores) != 0 {
		t.Errorf("result = %+v, want unsupported fr without scores", r)
	}
}

func TestClassifyDocument(t *testing.T) {
	e := testEngine(t, engine.Config{MaxDocumentSentences: 3})
	doc := testmodel.MultipolarText + " " + testmodel.NeutralText + "  " + testmodel.UnilateralText
	d, err := e.ClassifyDocument(context.Background(), stance.DocumentRequest{Text: doc})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sentences) != 3 {
		t.Fatalf("%d sentences, want 3", len(d.Sentences))
	}
	total, covered := 0, map[string]int{}
	for _, s := range d.Sentences {
		if doc[s.Start:s.End] != s.Text {
			t.Errorf("span [%d,%d) = %q, want %q", s.Start, s.End, doc[s.Start:s.End], s.Text)
		}
		n := len([]rune(s.Text))
		total += n
		for _, l := range s.Result.Labels {
			covered[l] += n
		}
	}
	for _, l := range d.Labels {
		want := float64(covered[l.Label]) / float64(total)
		if diff := l.Share - want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("label %s share = %v, want %v", l.Label, l.Share, want)
		}
	}
	_, err = e.ClassifyDocument(context.Background(), stance.DocumentRequest{Text: doc + " " + doc})
	if err == nil || !strings.Contains(err.Error(), "document has 6 sentences; the limit is 3") {
		t.Errorf("6-sentence document: err = %v, want the sentence limit", err)
	}
}

// TestClassifyDocumentSkipsContentFreeFragments: a run of punctuation or
// invisible characters between sentences is no sentence; the others keep
// their offsets.
func TestClassifyDocumentSkipsContentFreeFragments(t *testing.T) {
	e := testEngine(t, engine.Config{})
	doc := testmodel.MultipolarText + " \u200b!!! ... " + testmodel.NeutralText
	d, err := e.ClassifyDocument(context.Background(), stance.DocumentRequest{Text: doc})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, s := range d.Sentences {
		texts = append(texts, s.Text)
		if doc[s.Start:s.End] != s.Text {
			t.Errorf("span [%d,%d) = %q, want %q", s.Start, s.End, doc[s.Start:s.End], s.Text)
		}
	}
	if len(texts) != 2 || texts[0] != testmodel.MultipolarText || texts[1] != testmodel.NeutralText {
		t.Errorf("sentences %q, want the two sentences alone", texts)
	}
	if _, err := e.ClassifyDocument(context.Background(), stance.DocumentRequest{Text: "\u200b!!! ..."}); stance.Code(err) != stance.EInvalid {
		t.Errorf("content-free document: err = %v, want EInvalid", err)
	}
}

// TestSwap checks that Swap changes the model results report.
func TestSwap(t *testing.T) {
	e := testEngine(t, engine.Config{})
	other, err := testmodel.Train("engine-b", testmodel.Examples()[1:], nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Swap(other)
	r, err := e.ClassifyOne(context.Background(), stance.Request{Text: testmodel.NeutralText})
	if err != nil {
		t.Fatal(err)
	}
	if r.ModelVersion != other.ManifestRef().Version {
		t.Errorf("version = %s, want the swapped-in %s", r.ModelVersion, other.ManifestRef().Version)
	}
}
