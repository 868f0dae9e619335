package linear_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
)

// testLexicon is a small concept lexicon for the synthetic data.
const testLexicon = `{"version": "test-1", "concepts": [
  {"name": "hegemony", "terms": ["hegemony", "bullying", "might makes right", "unilateral"]},
  {"name": "multipolarity", "terms": ["multipolar", "many poles"]}
]}`

// richFeatures turns on every option of the current feature set.
var richFeatures = linear.Features{
	Dim: 1 << 12, WordNgrams: 2, Pieces: true, Binary: true, MinNorm: 8, ContentWords: true,
	Stems: true, PieceBackoff: true, Concepts: true, Negation: true,
}

var richModel = sync.OnceValues(func() (*linear.Model, error) {
	tok, err := models.Default.ReadFile("default/tokenizer.json")
	if err != nil {
		return nil, err
	}
	cfg := syntheticConfig(tok)
	cfg.Grid = []linear.Features{richFeatures}
	cfg.Lexicon = []byte(testLexicon)
	return linear.Train(synthetic(), nil, cfg)
})

func rich(t *testing.T) *linear.Model {
	t.Helper()
	m, err := richModel()
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	return m
}

func features(t *testing.T, m *linear.Model, text string) []string {
	t.Helper()
	ex, err := m.Explain(text, "", []int{0})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range ex[0].Contributions {
		names = append(names, c.Feature)
	}
	slices.Sort(names)
	return names
}

func TestRepeatingWordsCannotRaiseAScore(t *testing.T) {
	m := rich(t)
	for _, pair := range [][2]string{
		{"hegemony hegemony", "hegemony hegemony hegemony hegemony hegemony hegemony"},
		{"The summit praised a multipolar world.", "The summit praised a multipolar world. The summit praised a multipolar world."},
	} {
		once, err := m.Logits(pair[0], "")
		if err != nil {
			t.Fatal(err)
		}
		many, err := m.Logits(pair[1], "")
		if err != nil {
			t.Fatal(err)
		}
		// The second pair adds one bigram across the seam ("world the"
		// is function-word free only in part: "world" + "the" is kept).
		for l := range once {
			if pair[0] == "hegemony hegemony" && once[l] != many[l] {
				t.Errorf("%q vs %q: label %d logit %v, want %v", pair[1], pair[0], l, many[l], once[l])
			}
			if d := many[l] - once[l]; d > 0.5 || d < -0.5 {
				t.Errorf("%q: label %d logit moved by %v on repetition", pair[1], l, d)
			}
		}
	}
	// Function words alone are no features: the logits are the biases.
	logits, err := m.Logits(strings.Repeat("a ", 10)+"the of and", "")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := m.Explain("a a a a", "", []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for l, e := range ex {
		if len(e.Contributions) != 0 || logits[l] != e.Bias {
			t.Errorf("function words: label %s has contributions %v and logit %v, want only the bias %v", e.Label, e.Contributions, logits[l], e.Bias)
		}
	}
}

func TestFeaturesAreWhatAReaderSees(t *testing.T) {
	m := rich(t)
	got := features(t, m, "Beijing has not condemned the hegemonic bullying, and says might makes right.")
	for _, want := range []string{"beijing", "condemned", "not condemned", "hegemonic", "bullying", "concept:hegemony", "might makes"} {
		if !slices.Contains(got, want) {
			t.Errorf("no feature %q among %q", want, got)
		}
	}
	for _, f := range got {
		if linear.IsFunctionWord(f) || strings.HasPrefix(f, "piece:") {
			t.Errorf("feature %q: function words, punctuation and bare pieces must not be features", f)
		}
	}
	// One entry per word: the stem and the pieces of "hegemonic" merge
	// into it rather than standing beside it (phrases with it are entries
	// of their own).
	n := 0
	for _, f := range got {
		if f == "hegemonic" || strings.Contains(f, "hegemon") && !strings.Contains(f, " ") && !strings.HasPrefix(f, "concept:") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d single-word entries for hegemonic, want 1: %q", n, got)
	}
}

func TestStemsAndConceptsGeneralise(t *testing.T) {
	m := rich(t)
	// "bullies" never occurs in the training data, "bullying" does: the
	// stem carries what was learnt; "many poles" is a multipolarity term.
	for _, text := range []string{"They condemned the bullies.", "A world of many poles is coming."} {
		names := features(t, m, text)
		if !slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(s, "concept:") }) && text[0] == 'A' {
			t.Errorf("%q: no concept among %q", text, names)
		}
	}
	a, _ := m.Logits("They condemned the bullies.", "")
	b, _ := m.Logits("They condemned the table.", "")
	anti := slices.Index(m.Labels(), "anti")
	if a[anti] <= b[anti] {
		t.Errorf("anti logit with \"bullies\" %v, with \"table\" %v: the stem of bullying should count", a[anti], b[anti])
	}
}

func TestLexiconTravelsWithTheModel(t *testing.T) {
	m := rich(t)
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, linear.LexiconFile))
	if err != nil {
		t.Fatalf("saved model has no lexicon: %v", err)
	}
	if string(data) != testLexicon {
		t.Errorf("saved lexicon differs from the one trained with")
	}
	loaded, err := linear.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	text := "Bullying and might makes right have no future."
	want, _ := m.Logits(text, "")
	got, _ := loaded.Logits(text, "")
	if !slices.Equal(got, want) {
		t.Errorf("loaded model scores %v, saved %v", got, want)
	}

	fsys := fstest.MapFS{}
	for _, name := range []string{linear.ManifestFile, linear.TokenizerFile, linear.WeightsFile, linear.LexiconFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	edited := fstest.MapFS{}
	for k, v := range fsys {
		edited[k] = v
	}
	edited[linear.LexiconFile] = &fstest.MapFile{Data: []byte(strings.Replace(testLexicon, "bullying", "pressure", 1))}
	if _, err := linear.Load(edited); err == nil || !strings.Contains(err.Error(), linear.LexiconFile) {
		t.Errorf("edited lexicon: err = %v, want a checksum error naming %s", err, linear.LexiconFile)
	}
	delete(edited, linear.LexiconFile)
	if _, err := linear.Load(edited); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing lexicon: err = %v, want not found", err)
	}
}

func TestParseLexiconErrors(t *testing.T) {
	for _, c := range []struct{ name, json, want string }{
		{"no version", `{"concepts": [{"name": "a", "terms": ["x"]}]}`, "version is required"},
		{"no concepts", `{"version": "1", "concepts": []}`, "no concepts"},
		{"bad name", `{"version": "1", "concepts": [{"name": "Big Name", "terms": ["x"]}]}`, "not snake_case"},
		{"repeated name", `{"version": "1", "concepts": [{"name": "a", "terms": ["x"]}, {"name": "a", "terms": ["y"]}]}`, "repeats"},
		{"no terms", `{"version": "1", "concepts": [{"name": "a", "terms": []}]}`, "no terms"},
		{"repeated term", `{"version": "1", "concepts": [{"name": "a", "terms": ["x", "X "]}]}`, "empty or repeats"},
		{"unknown field", `{"version": "1", "concepts": [], "extra": 1}`, "unknown field"},
	} {
		if _, err := linear.ParseLexicon([]byte(c.json)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestParseFeatures(t *testing.T) {
	f, err := linear.ParseFeatures("default+chars+concepts+nostems")
	if err != nil {
		t.Fatal(err)
	}
	want := linear.DefaultFeatures
	want.CharMin, want.CharMax, want.Concepts, want.Stems = 3, 5, true, false
	if f != want {
		t.Errorf("ParseFeatures = %+v, want %+v", f, want)
	}
	for spec, msg := range map[string]string{"chars": "does not start with default", "default+bigrams": `unknown modifier "bigrams"`} {
		if _, err := linear.ParseFeatures(spec); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("linear.ParseFeatures(%q) = %v, want %q", spec, err, msg)
		}
	}
}

func TestParseLists(t *testing.T) {
	l2, err := linear.ParseL2("1e-6, 3e-5")
	if err != nil || len(l2) != 2 || l2[1] != 3e-5 {
		t.Errorf("ParseL2 = %v, %v", l2, err)
	}
	for _, bad := range []string{"0", "-1", "inf", "x", "1e-6,"} {
		if _, err := linear.ParseL2(bad); err == nil || !strings.Contains(err.Error(), "not a positive finite number") {
			t.Errorf("ParseL2(%q) = %v, want it refused", bad, err)
		}
	}
	grid, err := linear.ParseGrid("default, default+chars")
	if err != nil || len(grid) != 2 || grid[0] != linear.DefaultFeatures || grid[1].CharMax != 5 {
		t.Errorf("ParseGrid = %+v, %v", grid, err)
	}
	if _, err := linear.ParseGrid("default,chars"); err == nil {
		t.Errorf("ParseGrid with a bad item: no error")
	}
}

func TestReadLabels(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "labels.json"), filepath.Join(dir, "bad.json")
	for path, data := range map[string]string{good: `[{"name": "pro", "description": "For."}, {"name": "none"}]`, bad: `{"name": "pro"}`} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	labels, err := linear.ReadLabels(good)
	if err != nil || len(labels) != 2 || labels[0].Name != "pro" || labels[0].Description != "For." {
		t.Errorf("ReadLabels = %+v, %v", labels, err)
	}
	if _, err := linear.ReadLabels(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("ReadLabels of an object = %v, want an error naming the file", err)
	}
}

func TestOnlyFunctionWords(t *testing.T) {
	for feature, want := range map[string]bool{"the": true, "of the": true, ",": true, "piece:the": true, "piece:##ism": false, "hegemony": false, "the hegemony": false, "concept:the": false} {
		if got := linear.OnlyFunctionWords(feature); got != want {
			t.Errorf("OnlyFunctionWords(%q) = %v, want %v", feature, got, want)
		}
	}
}
