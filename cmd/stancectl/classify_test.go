package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The taxonomy's own examples, which the default model gets right.
const (
	keywordText    = "The word 'multipolar' appeared nine times in the joint statement."
	multipolarText = "Wang said China and Russia should work together on the formation of a multipolar world."
	factualText    = "The summit ended in Paris on Monday with a joint statement from the two ministers."
)

// defaultLabels are the labels of the embedded model, in its order.
var defaultLabels = []string{"pro_multipolarity", "anti_unilateralism", "neutrality_claim", "neutrality_doubt",
	"strategic_partnership", "security_interests", "rules_based_order", "none"}

func TestClassifyArgumentsTable(t *testing.T) {
	t.Parallel()
	stdout, stderr := mustCLI(t, "classify", "--local", keywordText, multipolarText)
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want a header and 2 rows:\n%s\nstderr:\n%s", len(lines), stdout, stderr)
	}
	if got := strings.Fields(lines[0]); !slices.Equal(got, []string{"TEXT", "LABELS", "TOP", "SCORE", "LANG"}) {
		t.Errorf("header = %q, want TEXT LABELS TOP SCORE LANG", lines[0])
	}
	// Rows: the text (cut at 60 characters), then the labels joined by commas.
	for i, want := range []struct {
		prefix string
		check  func(labels []string) bool
		what   string
	}{
		{"The word 'multipolar'", func(l []string) bool { return slices.Equal(l, []string{"none"}) }, "[none]"},
		{"Wang said China", func(l []string) bool { return slices.Contains(l, "pro_multipolarity") }, "pro_multipolarity among them"},
	} {
		row := lines[i+1]
		if !strings.HasPrefix(row, want.prefix) {
			t.Errorf("row %d = %q, want it to start with %q", i+1, row, want.prefix)
			continue
		}
		// The label column starts where the header's LABELS does.
		col := strings.Index(lines[0], "LABELS")
		labels := strings.Split(strings.Fields(row[col:])[0], ",")
		if !want.check(labels) {
			t.Errorf("row %d labels = %v, want %s", i+1, labels, want.what)
		}
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want nothing", stderr)
	}
}

// classifyLine is a line of classify --json.
type classifyLine struct {
	Line         int                `json:"line"`
	Text         string             `json:"text"`
	Labels       []string           `json:"labels"`
	Scores       map[string]float64 `json:"scores"`
	ModelVersion string             `json:"model_version"`
	Language     string             `json:"language"`
	Error        string             `json:"error"`
}

func decodeClassifyLines(t *testing.T, stdout string) []classifyLine {
	t.Helper()
	var out []classifyLine
	for _, obj := range jsonLines(t, stdout) {
		raw, _ := json.Marshal(obj)
		var l classifyLine
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("line %s: %v", raw, err)
		}
		out = append(out, l)
	}
	return out
}

// checkClassified checks a successful line of classify --json.
func checkClassified(t *testing.T, obj map[string]any, l classifyLine, line int, text string) {
	t.Helper()
	wantKeys(t, fmt.Sprintf("line %d", line), obj, "line", "text", "labels", "scores", "model_version", "language")
	if l.Line != line || l.Text != text {
		t.Errorf("line, text = %d, %q; want %d, %q", l.Line, l.Text, line, text)
	}
	if len(l.Scores) != len(defaultLabels) {
		t.Errorf("line %d: %d scores, want %d: %v", line, len(l.Scores), len(defaultLabels), l.Scores)
	}
	for _, name := range defaultLabels {
		if s, ok := l.Scores[name]; !ok || s < 0 || s > 1 {
			t.Errorf("line %d: score of %s = %v (present %v), want one in [0, 1]", line, name, s, ok)
		}
	}
	if l.ModelVersion == "" || l.Language != "en" || l.Error != "" {
		t.Errorf("line %d: model_version %q, language %q, error %q; want a version, en, no error", line, l.ModelVersion, l.Language, l.Error)
	}
}

func TestClassifyJSON(t *testing.T) {
	t.Parallel()
	stdout, _ := mustCLI(t, "classify", "--local", "--json", keywordText, multipolarText)
	objs := jsonLines(t, stdout)
	lines := decodeClassifyLines(t, stdout)
	if len(lines) != 2 {
		t.Fatalf("got %d JSON lines, want 2:\n%s", len(lines), stdout)
	}
	checkClassified(t, objs[0], lines[0], 1, keywordText)
	checkClassified(t, objs[1], lines[1], 2, multipolarText)
	if !slices.Equal(lines[0].Labels, []string{"none"}) {
		t.Errorf("labels of %q = %v, want [none]", keywordText, lines[0].Labels)
	}
	if !slices.Contains(lines[1].Labels, "pro_multipolarity") {
		t.Errorf("labels of %q = %v, want pro_multipolarity among them", multipolarText, lines[1].Labels)
	}
}

func TestClassifyFileSkipsBlankLines(t *testing.T) {
	t.Parallel()
	for _, blank := range []string{"", "   \t"} {
		t.Run(fmt.Sprintf("%q", blank), func(t *testing.T) {
			t.Parallel()
			file := writeFile(t, t.TempDir(), "in.txt", []byte(keywordText+"\n"+blank+"\n"+multipolarText+"\n"))
			stdout, stderr, err := cli(t, "", "classify", "--local", "--json", "--file", file)
			if err != nil {
				t.Fatalf("classify: %v\nstderr:\n%s", err, stderr)
			}
			objs := jsonLines(t, stdout)
			lines := decodeClassifyLines(t, stdout)
			if len(lines) != 2 {
				t.Fatalf("got %d JSON lines, want 2:\n%s", len(lines), stdout)
			}
			checkClassified(t, objs[0], lines[0], 1, keywordText)
			checkClassified(t, objs[1], lines[1], 3, multipolarText)
		})
	}
}

func TestClassifyFileWithContentFreeLine(t *testing.T) {
	t.Parallel()
	file := writeFile(t, t.TempDir(), "in.txt", []byte(keywordText+"\n\u200b\u200e?!\n"+multipolarText+"\n"))
	stdout, stderr, err := cli(t, "", "classify", "--local", "--json", "--file", file)
	wantExit(t, err, 1)
	if want := file + ":2: text has no content"; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
	if strings.Contains(stderr, file+":1:") || strings.Contains(stderr, file+":3:") {
		t.Errorf("stderr = %q, want only line 2 reported", stderr)
	}
	objs := jsonLines(t, stdout)
	lines := decodeClassifyLines(t, stdout)
	if len(lines) != 3 {
		t.Fatalf("got %d JSON lines, want 3:\n%s", len(lines), stdout)
	}
	checkClassified(t, objs[0], lines[0], 1, keywordText)
	checkClassified(t, objs[2], lines[2], 3, multipolarText)
	if l := lines[1]; l.Line != 2 || l.Error == "" || len(l.Labels) != 0 || len(l.Scores) != 0 {
		t.Errorf("line 2 = %+v, want line 2, an error and no labels or scores", l)
	}
}

func TestClassifyStdin(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := cli(t, keywordText+"\n"+factualText+"\n", "classify", "--local", "--json")
	if err != nil {
		t.Fatalf("classify: %v\nstderr:\n%s", err, stderr)
	}
	objs := jsonLines(t, stdout)
	lines := decodeClassifyLines(t, stdout)
	if len(lines) != 2 {
		t.Fatalf("got %d JSON lines, want 2:\n%s", len(lines), stdout)
	}
	checkClassified(t, objs[0], lines[0], 1, keywordText)
	checkClassified(t, objs[1], lines[1], 2, factualText)
	if !slices.Equal(lines[0].Labels, []string{"none"}) {
		t.Errorf("labels of %q = %v, want [none]", keywordText, lines[0].Labels)
	}
}

const paragraph = "The word 'multipolar' appeared nine times in the joint statement. " +
	"Wang said China and Russia should work together on the formation of a multipolar world.\n\n" +
	"The summit ended in Paris on Monday with a joint statement from the two ministers."

func TestDocJSON(t *testing.T) {
	t.Parallel()
	file := writeFile(t, t.TempDir(), "article.txt", []byte(paragraph))
	stdout, _ := mustCLI(t, "doc", "--local", "--json", file)
	var doc struct {
		Sentences []struct {
			Start  int          `json:"start"`
			End    int          `json:"end"`
			Result classifyLine `json:"result"`
		} `json:"sentences"`
		Labels       []map[string]any `json:"labels"`
		ModelVersion string           `json:"model_version"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("doc --json: %v\n%s", err, stdout)
	}
	if len(doc.Sentences) != 3 {
		t.Fatalf("got %d sentences, want 3:\n%s", len(doc.Sentences), stdout)
	}
	prev := 0
	for i, s := range doc.Sentences {
		if s.Start < prev || s.End <= s.Start || s.End > len(paragraph) {
			t.Fatalf("sentence %d spans [%d, %d), want increasing spans within [0, %d)", i+1, s.Start, s.End, len(paragraph))
		}
		if got := paragraph[s.Start:s.End]; got != s.Result.Text {
			t.Errorf("sentence %d: input[%d:%d] = %q, want its text %q", i+1, s.Start, s.End, got, s.Result.Text)
		}
		if len(s.Result.Scores) != len(defaultLabels) {
			t.Errorf("sentence %d: %d scores, want %d", i+1, len(s.Result.Scores), len(defaultLabels))
		}
		prev = s.End
	}
	for i, want := range []string{keywordText, multipolarText, factualText} {
		if got := doc.Sentences[i].Result.Text; got != want {
			t.Errorf("sentence %d = %q, want %q", i+1, got, want)
		}
	}
	if got := doc.Sentences[0].Result.Labels; !slices.Equal(got, []string{"none"}) {
		t.Errorf("labels of sentence 1 = %v, want [none]", got)
	}
	if got := doc.Sentences[1].Result.Labels; !slices.Contains(got, "pro_multipolarity") {
		t.Errorf("labels of sentence 2 = %v, want pro_multipolarity among them", got)
	}
	if len(doc.Labels) != len(defaultLabels) || doc.ModelVersion == "" {
		t.Errorf("got %d label shares and model version %q, want %d and a version", len(doc.Labels), doc.ModelVersion, len(defaultLabels))
	}
	for i, l := range doc.Labels {
		wantKeys(t, fmt.Sprintf("label share %d", i), l, "label", "sentences", "share")
		if i < len(defaultLabels) && l["label"] != defaultLabels[i] {
			t.Errorf("label share %d is for %v, want %s", i, l["label"], defaultLabels[i])
		}
	}
}

func TestDocTable(t *testing.T) {
	t.Parallel()
	// The document comes from stdin this time.
	stdout, stderr, err := cli(t, paragraph, "doc", "--local")
	if err != nil {
		t.Fatalf("doc: %v\nstderr:\n%s", err, stderr)
	}
	header := strings.Index(stdout, "LABEL ")
	if !strings.HasPrefix(stdout, "SENTENCE") || header < 0 {
		t.Fatalf("want a sentence table, then a label table:\n%s", stdout)
	}
	if got := strings.Fields(strings.SplitN(stdout[header:], "\n", 2)[0]); !slices.Equal(got, []string{"LABEL", "SENTENCES", "SHARE"}) {
		t.Errorf("label table header = %q, want LABEL SENTENCES SHARE", got)
	}
	shares := map[string]string{}
	for _, line := range strings.Split(stdout[header:], "\n")[1:] {
		if f := strings.Fields(line); len(f) == 3 {
			shares[f[0]] = f[2]
		}
	}
	for _, l := range defaultLabels {
		if s, ok := shares[l]; !ok || !strings.HasSuffix(s, "%") {
			t.Errorf("label table has no share for %s:\n%s", l, stdout)
		}
	}
	if shares["none"] == "0.0%" || shares["pro_multipolarity"] == "0.0%" {
		t.Errorf("shares of none and pro_multipolarity = %s, %s; want both over 0", shares["none"], shares["pro_multipolarity"])
	}
	for _, prefix := range []string{"The word 'multipolar'", "Wang said China", "The summit ended"} {
		if !strings.Contains(stdout, "\n"+prefix) {
			t.Errorf("no row for the sentence starting %q:\n%s", prefix, stdout)
		}
	}
}

func TestInfoJSON(t *testing.T) {
	t.Parallel()
	stdout, _ := mustCLI(t, "info", "--local", "--json")
	obj := jsonObject(t, stdout)
	wantKeys(t, "info", obj, "name", "version", "labels")
	if s, _ := obj["name"].(string); s == "" {
		t.Errorf("name = %v, want a name", obj["name"])
	}
	if s, _ := obj["version"].(string); s == "" {
		t.Errorf("version = %v, want a version", obj["version"])
	}
	labels, _ := obj["labels"].([]any)
	if len(labels) != len(defaultLabels) {
		t.Fatalf("got %d labels, want %d: %v", len(labels), len(defaultLabels), obj["labels"])
	}
	for i, v := range labels {
		l, _ := v.(map[string]any)
		wantKeys(t, fmt.Sprintf("label %d", i), l, "name", "description", "threshold")
		if l["name"] != defaultLabels[i] {
			t.Errorf("label %d = %v, want %s", i, l["name"], defaultLabels[i])
		}
		if d, _ := l["description"].(string); d == "" {
			t.Errorf("label %v has no description", l["name"])
		}
	}
}

func TestInfoTable(t *testing.T) {
	t.Parallel()
	stdout, _ := mustCLI(t, "info", "--local")
	for _, want := range append([]string{"model ", "LABEL", "THRESHOLD", "DESCRIPTION"}, defaultLabels...) {
		if !strings.Contains(stdout, want) {
			t.Errorf("info does not mention %q:\n%s", want, stdout)
		}
	}
	// The default model stores cv and dev figures; they come in name order,
	// the same on every run.
	cv, dev := strings.Index(stdout, "\ncv metrics:"), strings.Index(stdout, "\ndev metrics:")
	if cv < 0 || dev < cv {
		t.Errorf("want cv metrics, then dev metrics:\n%s", stdout)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	_, stderr, err := cli(t, "")
	var code exitCode
	if !errors.As(err, &code) || code != 2 || !strings.Contains(stderr, "Usage:") {
		t.Errorf("no arguments: err = %v, stderr = %q; want exit status 2 and the usage", err, stderr)
	}
	stdout, _, err := cli(t, "", "help")
	if err != nil || !strings.Contains(stdout, "stancectl classify") {
		t.Errorf("help: err = %v, stdout = %q; want nil and the usage", err, stdout)
	}
	_, stderr, err = cli(t, "", "classify", "-h")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "\n  --local") {
		t.Errorf("classify -h: err = %v, stderr = %q; want flag.ErrHelp and the flags, spelled --flag", err, stderr)
	}
	if _, _, err := cli(t, "", "classify", "--no-such-flag"); err == nil {
		t.Error("classify --no-such-flag returned nil")
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	_, stderr, err := cli(t, "", "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("err = %v, want unknown command \"frobnicate\"", err)
	}
	if !strings.Contains(stderr, "Usage:") {
		t.Errorf("stderr = %q, want the usage", stderr)
	}
}

func TestClassifyNoServer(t *testing.T) {
	t.Parallel()
	start := time.Now()
	_, stderr, err := cli(t, "", "classify", "--addr", "127.0.0.1:1", "--timeout", "2s", keywordText)
	if err == nil {
		t.Fatalf("classify with no server returned nil; stderr:\n%s", stderr)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("classify took %v to fail, want about the 2s timeout or less", elapsed)
	}
	if !strings.Contains(err.Error(), "argument:1:") {
		t.Errorf("err = %v, want it to name the first line of the batch", err)
	}
}

func TestClassifyExplainJSON(t *testing.T) {
	t.Parallel()
	stdout, _ := mustCLI(t, "classify", "--local", "--json", "--explain", multipolarText)
	objs := jsonLines(t, stdout)
	if len(objs) != 1 {
		t.Fatalf("got %d JSON lines, want 1:\n%s", len(objs), stdout)
	}
	exs, _ := objs[0]["explanations"].([]any)
	labels := jsonStrings(t, objs[0]["labels"])
	if len(exs) != len(labels) {
		t.Fatalf("got %d explanations for labels %v, want one per label:\n%s", len(exs), labels, stdout)
	}
	for i, v := range exs {
		ex, _ := v.(map[string]any)
		wantKeys(t, fmt.Sprintf("explanation %d", i), ex, "label", "bias", "contributions")
		if ex["label"] != labels[i] {
			t.Errorf("explanation %d is for %v, want %s", i, ex["label"], labels[i])
		}
		cs, _ := ex["contributions"].([]any)
		if len(cs) == 0 {
			t.Fatalf("explanation %d has no contributions: %v", i, ex)
		}
		for j, c := range cs {
			cm, _ := c.(map[string]any)
			wantKeys(t, fmt.Sprintf("contribution %d of explanation %d", j, i), cm, "feature", "weight")
		}
	}
}
