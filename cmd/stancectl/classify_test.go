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

	"google.golang.org/protobuf/encoding/protojson"

	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/testutil"
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

// classifyLine is a line of classify --json, its result decoded as the
// API's ClassifyResult.
type classifyLine struct {
	Line   int
	Text   string
	Result *stancev1.ClassifyResult
	Error  string
}

// decodeClassifyLines decodes classify --json. protojson rejects unknown
// fields, so each result must be the API's ClassifyResult as grpcurl
// prints it.
func decodeClassifyLines(t *testing.T, stdout string) []classifyLine {
	t.Helper()
	var out []classifyLine
	for _, obj := range jsonLines(t, stdout) {
		for k := range obj {
			if !slices.Contains([]string{"line", "text", "result", "error"}, k) {
				t.Errorf("unexpected key %q in %v", k, obj)
			}
		}
		l := classifyLine{Text: fmt.Sprint(obj["text"])}
		n, _ := obj["line"].(float64)
		l.Line = int(n)
		l.Error, _ = obj["error"].(string)
		if res, ok := obj["result"]; ok {
			raw, _ := json.Marshal(res)
			l.Result = &stancev1.ClassifyResult{}
			if err := protojson.Unmarshal(raw, l.Result); err != nil {
				t.Fatalf("result %s is not a ClassifyResult: %v", raw, err)
			}
		}
		out = append(out, l)
	}
	return out
}

// checkClassified checks a successful line of classify --json.
func checkClassified(t *testing.T, l classifyLine, line int, text string) {
	t.Helper()
	if l.Line != line || l.Text != text {
		t.Errorf("line, text = %d, %q; want %d, %q", l.Line, l.Text, line, text)
	}
	if l.Result == nil || l.Error != "" {
		t.Fatalf("line %d: result %v, error %q; want a result and no error", line, l.Result, l.Error)
	}
	checkResult(t, fmt.Sprintf("line %d", line), l.Result)
}

// checkResult checks the invariants of a ClassifyResult of English text by
// the default model.
func checkResult(t *testing.T, what string, r *stancev1.ClassifyResult) {
	t.Helper()
	t.Logf("checking %s", what)
	testutil.CheckResult(t, defaultLabels, "", r)
}

func TestClassifyJSON(t *testing.T) {
	t.Parallel()
	stdout, _ := mustCLI(t, "classify", "--local", "--json", keywordText, multipolarText)
	lines := decodeClassifyLines(t, stdout)
	if len(lines) != 2 {
		t.Fatalf("got %d JSON lines, want 2:\n%s", len(lines), stdout)
	}
	checkClassified(t, lines[0], 1, keywordText)
	checkClassified(t, lines[1], 2, multipolarText)
	if !slices.Equal(lines[0].Result.GetLabels(), []string{"none"}) {
		t.Errorf("labels of %q = %v, want [none]", keywordText, lines[0].Result.GetLabels())
	}
	if !slices.Contains(lines[1].Result.GetLabels(), "pro_multipolarity") {
		t.Errorf("labels of %q = %v, want pro_multipolarity among them", multipolarText, lines[1].Result.GetLabels())
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
			lines := decodeClassifyLines(t, stdout)
			if len(lines) != 2 {
				t.Fatalf("got %d JSON lines, want 2:\n%s", len(lines), stdout)
			}
			checkClassified(t, lines[0], 1, keywordText)
			checkClassified(t, lines[1], 3, multipolarText)
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
	lines := decodeClassifyLines(t, stdout)
	if len(lines) != 3 {
		t.Fatalf("got %d JSON lines, want 3:\n%s", len(lines), stdout)
	}
	checkClassified(t, lines[0], 1, keywordText)
	checkClassified(t, lines[2], 3, multipolarText)
	if l := lines[1]; l.Line != 2 || !strings.Contains(l.Error, "text has no content") || l.Result != nil {
		t.Errorf("line 2 = %+v, want line 2, the error and no result", l)
	}
}

func TestClassifyStdin(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := cli(t, keywordText+"\n"+factualText+"\n", "classify", "--local", "--json")
	if err != nil {
		t.Fatalf("classify: %v\nstderr:\n%s", err, stderr)
	}
	lines := decodeClassifyLines(t, stdout)
	if len(lines) != 2 {
		t.Fatalf("got %d JSON lines, want 2:\n%s", len(lines), stdout)
	}
	checkClassified(t, lines[0], 1, keywordText)
	checkClassified(t, lines[1], 2, factualText)
	if !slices.Equal(lines[0].Result.GetLabels(), []string{"none"}) {
		t.Errorf("labels of %q = %v, want [none]", keywordText, lines[0].Result.GetLabels())
	}
}

const paragraph = "The word 'multipolar' appeared nine times in the joint statement. " +
	"Wang said China and Russia should work together on the formation of a multipolar world.\n\n" +
	"The summit ended in Paris on Monday with a joint statement from the two ministers."

func TestDocJSON(t *testing.T) {
	t.Parallel()
	file := writeFile(t, t.TempDir(), "article.txt", []byte(paragraph))
	// --file and a positional FILE read the same document.
	for _, args := range [][]string{{"--file", file}, {file}} {
		stdout, _ := mustCLI(t, append([]string{"doc", "--local", "--json"}, args...)...)
		var doc stancev1.ClassifyDocumentResponse
		if err := protojson.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("doc --json %v is not a ClassifyDocumentResponse: %v\n%s", args, err, stdout)
		}
		if len(doc.GetSentences()) != 3 {
			t.Fatalf("got %d sentences, want 3:\n%s", len(doc.GetSentences()), stdout)
		}
		if doc.GetEncodingType() != stancev1.EncodingType_ENCODING_TYPE_UTF8 || doc.GetModelVersion() == "" {
			t.Errorf("encoding %v, model version %q; want UTF8 and a version", doc.GetEncodingType(), doc.GetModelVersion())
		}
		prev := int64(0)
		for i, s := range doc.GetSentences() {
			b, e := s.GetBeginOffset(), s.GetEndOffset()
			if b < prev || e <= b || e > int64(len(paragraph)) {
				t.Fatalf("sentence %d spans [%d, %d), want increasing spans within [0, %d)", i+1, b, e, len(paragraph))
			}
			if got := paragraph[b:e]; got != s.GetText() {
				t.Errorf("sentence %d: input[%d:%d] = %q, want its text %q", i+1, b, e, got, s.GetText())
			}
			checkResult(t, fmt.Sprintf("sentence %d", i+1), s.GetResult())
			prev = e
		}
		for i, want := range []string{keywordText, multipolarText, factualText} {
			if got := doc.GetSentences()[i].GetText(); got != want {
				t.Errorf("sentence %d = %q, want %q", i+1, got, want)
			}
		}
		if got := doc.GetSentences()[0].GetResult().GetLabels(); !slices.Equal(got, []string{"none"}) {
			t.Errorf("labels of sentence 1 = %v, want [none]", got)
		}
		if got := doc.GetSentences()[1].GetResult().GetLabels(); !slices.Contains(got, "pro_multipolarity") {
			t.Errorf("labels of sentence 2 = %v, want pro_multipolarity among them", got)
		}
		sum := doc.GetSummary()
		if sum.GetSentenceCount() != 3 || len(sum.GetLabels()) != len(defaultLabels) {
			t.Fatalf("summary = %v, want 3 sentences and %d label shares", sum, len(defaultLabels))
		}
		for i, l := range sum.GetLabels() {
			if l.GetLabel() != defaultLabels[i] {
				t.Errorf("label share %d is for %s, want %s", i, l.GetLabel(), defaultLabels[i])
			}
		}
	}
	if _, _, err := cli(t, "", "doc", "--local", "--file", file, file); err == nil || !strings.Contains(err.Error(), "one document") {
		t.Errorf("doc with --file and a FILE argument: err = %v, want one naming a single document", err)
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
	for _, args := range [][]string{{"doc"}, {"info"}, {"train"}, {"eval"}, {"data"}, {"data", "check"}, {"tokenizer"}, {"tokenizer", "build"}} {
		_, stderr, err := cli(t, "", append(args, "--help")...)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "Usage: stancectl "+strings.Join(args, " ")) {
			t.Errorf("%v --help: err = %v, stderr = %q; want flag.ErrHelp (exit 0) and the usage", args, err, stderr)
		}
	}
	// The flag package prints a bad flag's error; it must not come twice.
	_, stderr, err = cli(t, "", "classify", "--no-such-flag")
	wantExit(t, err, 2)
	if n := strings.Count(stderr, "no-such-flag"); n != 1 {
		t.Errorf("classify --no-such-flag: the error appears %d times on stderr, want once:\n%s", n, stderr)
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
	lines := decodeClassifyLines(t, stdout)
	if len(lines) != 1 || lines[0].Result == nil {
		t.Fatalf("got %v, want one line with a result:\n%s", lines, stdout)
	}
	r := lines[0].Result
	exs := r.GetExplanations()
	if len(exs) != len(r.GetLabels()) {
		t.Fatalf("got %d explanations for labels %v, want one per label:\n%s", len(exs), r.GetLabels(), stdout)
	}
	for i, ex := range exs {
		if ex.GetLabel() != r.GetLabels()[i] {
			t.Errorf("explanation %d is for %s, want %s", i, ex.GetLabel(), r.GetLabels()[i])
		}
		if len(ex.GetContributions()) == 0 || ex.GetContributions()[0].GetFeature() == "" {
			t.Errorf("explanation %d has no named contributions: %v", i, ex)
		}
	}
	// The API's names, as grpcurl prints them.
	for _, key := range []string{`"topLabel":`, `"modelVersion":`, `"explanations":`, `"contributions":`} {
		if !strings.Contains(stdout, key) {
			t.Errorf("output has no %s:\n%s", key, stdout)
		}
	}
}

// TestClassifyExplainTable checks that explanations go on their own
// indented lines under their row, leaving the columns as wide as without.
func TestClassifyExplainTable(t *testing.T) {
	t.Parallel()
	plain, _ := mustCLI(t, "classify", "--local", multipolarText, factualText)
	explained, _ := mustCLI(t, "classify", "--local", "--explain", multipolarText, factualText)
	var rows, notes []string
	for _, line := range strings.Split(strings.TrimRight(explained, "\n"), "\n") {
		if strings.HasPrefix(line, "    ") {
			notes = append(notes, line)
		} else {
			rows = append(rows, line)
		}
	}
	if got := strings.Join(rows, "\n") + "\n"; got != plain {
		t.Errorf("rows with --explain:\n%s\nwant those without:\n%s", got, plain)
	}
	lines := strings.Split(explained, "\n")
	if len(notes) == 0 || !strings.HasPrefix(lines[1], "Wang said") || !strings.HasPrefix(lines[2], "    ") {
		t.Fatalf("want explanation lines under the first row:\n%s", explained)
	}
	if !strings.Contains(explained, "\n    pro_multipolarity: ") {
		t.Errorf("no explanation of pro_multipolarity:\n%s", explained)
	}
}
