package dataset

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeFile writes content to a file called name in a fresh temporary
// directory and returns its path.
func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var taxonomy = []string{
	"pro_multipolarity", "anti_unilateralism", "neutrality_claim", "neutrality_doubt",
	"strategic_partnership", "security_interests", "rules_based_order", "none",
}

func TestReadJSONL(t *testing.T) {
	long := strings.Repeat("word ", 100_000) // 500 KB: over bufio.Scanner's 64 KiB default
	tests := []struct {
		name    string
		content string
		want    []Example
	}{
		{
			name: "fields, blank lines and duplicate labels",
			content: `{"text": "Wang said the two countries should build a multipolar world.", "labels": ["pro_multipolarity", "strategic_partnership", "pro_multipolarity"], "id": "a1", "source": "readout", "hard": "reported speech"}

{"text": "The summit was held in Kazan.", "labels": ["none"], "target": "BRICS", "id": 17}
`,
			want: []Example{
				{ID: "a1", Text: "Wang said the two countries should build a multipolar world.", Labels: []string{"pro_multipolarity", "strategic_partnership"}, Source: "readout", Hard: "reported speech", Line: 1},
				{ID: "17", Text: "The summit was held in Kazan.", Labels: []string{"none"}, Target: "BRICS", Line: 3},
			},
		},
		{
			name:    "BOM, CRLF and no final newline",
			content: "\xef\xbb\xbf{\"text\": \"Caf\u00e9 <talks> & \u201cpeace\u201d\", \"labels\": [\"neutrality_claim\"]}\r\n{\"text\": \"b\", \"labels\": [\"none\"]}",
			want: []Example{
				{Text: "Caf\u00e9 <talks> & \u201cpeace\u201d", Labels: []string{"neutrality_claim"}, Line: 1},
				{Text: "b", Labels: []string{"none"}, Line: 2},
			},
		},
		{
			name:    "line longer than bufio.Scanner allows",
			content: `{"text": "` + long + `", "labels": ["none"]}` + "\n",
			want:    []Example{{Text: long, Labels: []string{"none"}, Line: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "train.jsonl", []byte(tt.content))
			got, skipped, err := ReadFile(path, Options{Labels: taxonomy})
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			if skipped != 0 {
				t.Errorf("skipped = %d, want 0", skipped)
			}
			for i := range tt.want {
				tt.want[i].File = path
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("examples mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadJSONLBadLine(t *testing.T) {
	const good = `{"text": "The talks were held in Geneva.", "labels": ["none"]}` + "\n"
	tests := []struct {
		name string
		line string
		opt  Options
		want string // after "FILE:"
	}{
		{"syntax error", `{"text": "a", "labels": ["none"]`, Options{}, `2: invalid JSON: unexpected end of JSON input`},
		{"trailing garbage", `{"text": "a", "labels": ["none"]} x`, Options{}, `2: invalid JSON: invalid character 'x' after top-level value`},
		{"not an object", `["a", "none"]`, Options{}, `2: not a JSON object`},
		{"typo label for labels", `{"text": "a", "label": ["none"]}`, Options{}, `2: missing "labels" (fields not used: label)`},
		{"field names are case-sensitive", `{"Text": "a", "labels": ["none"]}`, Options{}, `2: missing "text" (fields not used: Text)`},
		{"missing text", `{"labels": ["none"]}`, Options{}, `2: missing "text"`},
		{"blank text", `{"text": "  \t", "labels": ["none"]}`, Options{}, `2: empty "text"`},
		{"text not a string", `{"text": 3, "labels": ["none"]}`, Options{}, `2: "text" must be a string`},
		{"missing labels", `{"text": "a"}`, Options{}, `2: missing "labels"`},
		{"labels a string", `{"text": "a", "labels": "none"}`, Options{}, `2: "labels" must be an array of strings`},
		{"labels null", `{"text": "a", "labels": null}`, Options{}, `2: "labels" must be an array of strings`},
		{"labels empty", `{"text": "a", "labels": []}`, Options{}, `2: empty "labels"`},
		{"empty label", `{"text": "a", "labels": [""]}`, Options{}, `2: empty label`},
		{"label with spaces", `{"text": "a", "labels": ["none "]}`, Options{}, `2: label "none " has leading or trailing spaces`},
		{"target not a string", `{"text": "a", "labels": ["none"], "target": 1}`, Options{}, `2: "target" must be a string`},
		{"id an object", `{"text": "a", "labels": ["none"], "id": {}}`, Options{}, `2: "id" must be a string or a number`},
		{"none combined", `{"text": "a", "labels": ["none", "neutrality_claim", "rules_based_order"]}`, Options{}, `2: label "none" combined with "neutrality_claim", "rules_based_order"`},
		{"unknown label", `{"text": "a", "labels": ["multipolarity"]}`, Options{Labels: []string{"none", "favor", "against"}}, `2: unknown label "multipolarity" (known: against, favor, none)`},
		{"invalid UTF-8", "{\"text\": \"caf\xe9\", \"labels\": [\"none\"]}", Options{}, `2: invalid UTF-8`},
		{"line over 1 MiB", `{"text": "` + strings.Repeat("a", maxLine) + `", "labels": ["none"]}`, Options{}, `2: line longer than 1048576 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "bad.jsonl", []byte(good+tt.line+"\n"+good))
			got, _, err := ReadFile(path, tt.opt)
			if err == nil {
				t.Fatalf("ReadFile = %d examples, want error %q", len(got), tt.want)
			}
			if want := path + ":" + tt.want; err.Error() != want {
				t.Errorf("error:\n got %q\nwant %q", err, want)
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != 2 || le.File != path {
				t.Errorf("error %#v is not a *LineError for line 2 of %s", err, path)
			}

			// The same line is skipped, and the lines around it kept, with SkipBad.
			tt.opt.SkipBad = true
			exs, skipped, err := ReadFile(path, tt.opt)
			if err != nil {
				t.Fatalf("ReadFile with SkipBad: %v", err)
			}
			if len(exs) != 2 || skipped != 1 || exs[1].Line != 3 {
				t.Errorf("with SkipBad: %d examples (last on line %d), %d skipped; want 2 (last on line 3), 1 skipped", len(exs), exs[len(exs)-1].Line, skipped)
			}
		})
	}
}

func TestReadSkipBad(t *testing.T) {
	tests := []struct {
		name        string
		content     string
		wantN       int
		wantSkipped int
		wantErr     string // "" for success; else after "FILE: "
	}{
		{"some bad", "{\"text\": \"a\", \"labels\": [\"none\"]}\nnot json\n{\"text\": \"\", \"labels\": [\"none\"]}\n{\"text\": \"b\", \"labels\": [\"x\"]}\n{\"text\": \"c\", \"labels\": [\"none\"]}\n", 2, 3, ""},
		{"all bad", "nope\n{}\n", 0, 2, "no examples (2 bad rows skipped)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "d.jsonl", []byte(tt.content))
			got, skipped, err := ReadFile(path, Options{Labels: taxonomy, SkipBad: true})
			if tt.wantErr != "" {
				if want := path + ": " + tt.wantErr; err == nil || err.Error() != want {
					t.Fatalf("error = %v, want %q", err, want)
				}
				if !errors.Is(err, ErrNoExamples) {
					t.Errorf("errors.Is(%v, ErrNoExamples) = false", err)
				}
			} else if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			if len(got) != tt.wantN || skipped != tt.wantSkipped {
				t.Errorf("got %d examples, %d skipped; want %d, %d", len(got), skipped, tt.wantN, tt.wantSkipped)
			}
		})
	}
}

// win1252 encodes the few non-ASCII characters the SemEval tests use.
func win1252(s string) []byte {
	r := strings.NewReplacer("\u201c", "\x93", "\u201d", "\x94", "\u00e9", "\xe9", "\u2019", "\x92")
	return []byte(r.Replace(s))
}

func TestReadSemEval(t *testing.T) {
	const file = "ID\tTarget\tTweet\tStance\n" +
		"101\tAtheism\tThe caf\u00e9 said \u201cpray\u201d, I didn\u2019t #SemST\tAGAINST\n" +
		"102\tHillary Clinton\tShe\u2019s got my vote #SemST\tfavor\n" +
		"\n" +
		"103\tClimate Change is a Real Concern\tnice weather today #SemST\tNONE\n"
	want := []Example{
		{ID: "101", Target: "Atheism", Text: "The caf\u00e9 said \u201cpray\u201d, I didn\u2019t #SemST", Labels: []string{"AGAINST"}, Line: 2},
		{ID: "102", Target: "Hillary Clinton", Text: "She\u2019s got my vote #SemST", Labels: []string{"FAVOR"}, Line: 3},
		{ID: "103", Target: "Climate Change is a Real Concern", Text: "nice weather today #SemST", Labels: []string{"NONE"}, Line: 5},
	}
	tests := []struct {
		name    string
		file    string // extension picks the format
		content []byte
	}{
		{"UTF-8", "test.tsv", []byte(file)},
		{"Windows-1252", "test.tsv", win1252(file)},
		{"BOM and CRLF", "test.txt", []byte("\xef\xbb\xbf" + strings.ReplaceAll(file, "\n", "\r\n"))},
		{"columns in another order", "test.tsv", []byte(reorder(file))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.file, tt.content)
			got, _, err := ReadFile(path, Options{Labels: []string{"FAVOR", "AGAINST", "NONE"}})
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			w := append([]Example(nil), want...)
			for i := range w {
				w[i].File = path
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("examples mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// reorder moves the Stance column of a SemEval file to the front.
func reorder(file string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(file, "\n") {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) == 4 {
			line = strings.Join([]string{f[3], f[0], f[1], f[2]}, "\t") + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

func TestReadSemEvalBad(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // after "FILE:"
	}{
		{"no header", "101\tAtheism\tgod is great\tAGAINST\n", `1: not a SemEval header: want tab-separated columns ID, Target, Tweet, Stance`},
		{"too few fields", "ID\tTarget\tTweet\tStance\n101\tAtheism\tAGAINST\n", `2: got 3 tab-separated fields, want 4`},
		{"tab inside tweet", "ID\tTarget\tTweet\tStance\n101\tAtheism\ta\tb\tAGAINST\n", `2: got 5 tab-separated fields, want 4`},
		{"unknown stance", "ID\tTarget\tTweet\tStance\n101\tAtheism\tgod is great\tNEUTRAL\n", `2: stance "NEUTRAL" is not FAVOR, AGAINST or NONE`},
		{"empty tweet", "ID\tTarget\tTweet\tStance\n101\tAtheism\t \tNONE\n", `2: empty tweet`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "bad.tsv", []byte(tt.content))
			_, _, err := ReadFile(path, Options{})
			if want := path + ":" + tt.want; err == nil || err.Error() != want {
				t.Errorf("error:\n got %v\nwant %s", err, want)
			}
		})
	}
}

func TestReadCSV(t *testing.T) {
	const file = "id,text,labels,target\n" +
		"1,\"Sanctions are illegal, unilateral \u201cbullying\u201d\",anti_unilateralism,US\n" +
		"2,\"Two lines:\nthe second\",pro_multipolarity | strategic_partnership,\n" +
		"3,Deepen ties and oppose hegemony,strategic_partnership; anti_unilateralism;,China\n"
	want := []Example{
		{Text: "Sanctions are illegal, unilateral \u201cbullying\u201d", Labels: []string{"anti_unilateralism"}, Target: "US", Line: 2},
		{Text: "Two lines:\nthe second", Labels: []string{"pro_multipolarity", "strategic_partnership"}, Line: 3},
		{Text: "Deepen ties and oppose hegemony", Labels: []string{"strategic_partnership", "anti_unilateralism"}, Target: "China", Line: 5},
	}
	tests := []struct {
		name    string
		content []byte
		opt     Options
		unused  string // the column the reader leaves aside
	}{
		{"default columns", []byte(file), Options{}, "id"},
		{"Windows-1252", win1252(file), Options{}, "id"},
		{"named columns", []byte(strings.Replace(file, "id,text,labels,target", "ID,Sentence,Gold,Entity", 1)), Options{TextCol: "sentence", LabelCol: "gold", TargetCol: "entity"}, "ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "data.csv", tt.content)
			got, _, err := ReadFile(path, tt.opt)
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			w := append([]Example(nil), want...)
			for i := range w {
				w[i].File = path
				w[i].Unused = []string{tt.unused}
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("examples mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadCSVBad(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opt     Options
		want    string // after "FILE"
	}{
		{"missing column", "sentence,labels\na,none\n", Options{}, `: no column "text" (columns: sentence, labels)`},
		{"missing named target", "text,labels\na,none\n", Options{TargetCol: "entity"}, `: no column "entity" (columns: text, labels)`},
		{"wrong field count", "text,labels\na,none\nb,none,extra\n", Options{}, `:3: got 3 fields, want 2`},
		{"bare quote", "text,labels\na,none\nsay \"hi\",none\n", Options{}, `:3: bare " in non-quoted-field (column 5)`},
		{"no labels", "text,labels\na, | ;\n", Options{}, `:2: no labels`},
		{"none combined", "text,labels\na,none|neutrality_claim\n", Options{}, `:2: label "none" combined with "neutrality_claim"`},
		{"unknown label", "text,labels\na,FAVOR\n", Options{Labels: []string{"none"}}, `:2: unknown label "FAVOR" (known: none)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "bad.csv", []byte(tt.content))
			_, _, err := ReadFile(path, tt.opt)
			if want := path + tt.want; err == nil || err.Error() != want {
				t.Errorf("error:\n got %v\nwant %s", err, want)
			}
		})
	}
}

func TestReadEmpty(t *testing.T) {
	tests := []struct{ file, content string }{
		{"empty.jsonl", ""},
		{"blank.jsonl", "\n  \n\r\n"},
		{"header-only.tsv", "ID\tTarget\tTweet\tStance\n"},
		{"empty.tsv", ""},
		{"header-only.csv", "text,labels\n"},
		{"empty.csv", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := writeFile(t, tt.file, []byte(tt.content))
			_, _, err := ReadFile(path, Options{})
			if want := path + ": no examples"; err == nil || err.Error() != want {
				t.Errorf("error = %v, want %q", err, want)
			}
			if !errors.Is(err, ErrNoExamples) {
				t.Errorf("errors.Is(%v, ErrNoExamples) = false", err)
			}
		})
	}
}

func TestReadFormat(t *testing.T) {
	const jsonl = `{"text": "a", "labels": ["none"]}` + "\n"
	const tsv = "ID\tTarget\tTweet\tStance\n1\tx\ta\tNONE\n"
	const csv = "text,labels\na,none\n"
	tests := []struct {
		name, content string
		format        Format
		wantLabel     string // "" for an error
	}{
		{"d.jsonl", jsonl, "", "none"},
		{"d.json", jsonl, "", "none"},
		{"d", jsonl, "", "none"},
		{"d.TSV", tsv, "", "NONE"},
		{"d.txt", tsv, "", "NONE"},
		{"d.csv", csv, "", "none"},
		{"d.txt", jsonl, FormatJSONL, "none"},
		{"d.jsonl", tsv, FormatSemEval, "NONE"},
		{"d.tsv", csv, FormatCSV, "none"},
		{"d.jsonl", jsonl, "xml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+string(tt.format), func(t *testing.T) {
			got, _, err := Read(strings.NewReader(tt.content), tt.name, Options{Format: tt.format})
			if tt.wantLabel == "" {
				if err == nil {
					t.Fatalf("Read = %v, want error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got[0].Text != "a" || got[0].Labels[0] != tt.wantLabel || got[0].File != tt.name {
				t.Errorf("Read = %+v, want text a, label %s, file %s", got[0], tt.wantLabel, tt.name)
			}
		})
	}
}

func TestWriteJSONL(t *testing.T) {
	in := []Example{
		{Text: "Hegemony & <bullying> must end: \u201cno\u201d", Labels: []string{"anti_unilateralism"}},
		{ID: "7", Text: "b", Labels: []string{"neutrality_doubt", "none_of_these"}, Target: "China", Source: "news", Hard: "negation"},
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, in); err != nil {
		t.Fatalf("WriteJSONL: %v", err)
	}
	wantText := `{"text":"Hegemony & <bullying> must end: ` + "\u201cno\u201d" + `","labels":["anti_unilateralism"]}
{"text":"b","labels":["neutrality_doubt","none_of_these"],"target":"China","id":"7","source":"news","hard":"negation"}
`
	if got := buf.String(); got != wantText {
		t.Errorf("WriteJSONL wrote\n%s\nwant\n%s", got, wantText)
	}

	back, _, err := Read(&buf, "rt.jsonl", Options{})
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	for i := range in {
		in[i].File, in[i].Line = "rt.jsonl", i+1
	}
	if diff := cmp.Diff(in, back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}

	for _, bad := range []Example{{Text: " ", Labels: []string{"none"}}, {Text: "a"}} {
		if err := WriteJSONL(&bytes.Buffer{}, []Example{bad}); err == nil {
			t.Errorf("WriteJSONL(%+v) = nil, want error: it would not read back", bad)
		}
	}
}

func TestSummarize(t *testing.T) {
	exs := []Example{
		{Text: "a", Labels: []string{"pro_multipolarity", "strategic_partnership"}, Hard: "several stances"},
		{Text: "b", Labels: []string{"neutrality_doubt"}, Hard: "negation"},
		{Text: "c", Labels: []string{"neutrality_doubt"}, Hard: "negation"},
		{Text: "d", Labels: []string{"none"}},
	}
	want := Stats{
		N:          4,
		Labels:     map[string]int{"pro_multipolarity": 1, "strategic_partnership": 1, "neutrality_doubt": 2, "none": 1},
		MultiLabel: 1,
		Hard:       map[string]int{"several stances": 1, "negation": 2},
	}
	if diff := cmp.Diff(want, Summarize(exs)); diff != "" {
		t.Errorf("Summarize mismatch (-want +got):\n%s", diff)
	}
	if got := Summarize(nil); got.Labels == nil || got.Hard == nil {
		t.Errorf("Summarize(nil) = %+v, want non-nil maps", got)
	}
}

func TestReadJSONLKeepsRowsWithTheirOwnFields(t *testing.T) {
	path := writeFile(t, "users.jsonl", []byte(`{"text": "a", "labels": ["none"], "annotator": "kim", "note": "x"}
{"text": "b", "labels": ["none"], "batch": "b01"}
`))
	got, skipped, err := ReadFile(path, Options{})
	if err != nil || skipped != 0 {
		t.Fatalf("ReadFile: %d skipped, %v", skipped, err)
	}
	if len(got) != 2 || !slices.Equal(got[0].Unused, []string{"annotator", "note"}) || got[1].Unused != nil || got[1].Batch != "b01" {
		t.Errorf("rows: %+v", got)
	}
}

func TestUnusedFields(t *testing.T) {
	exs := []Example{{Unused: []string{"url", "notes"}}, {Unused: []string{"notes"}}, {}}
	if got, want := UnusedFields(exs), `"notes" in 2, "url" in 1`; got != want {
		t.Errorf("UnusedFields = %s, want %s", got, want)
	}
	if got := UnusedFields(exs[2:]); got != "" {
		t.Errorf("UnusedFields of rows using every field = %q, want empty", got)
	}
}

func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	opts := Flags(fs)
	if err := fs.Parse([]string{"--format", "csv", "--text-col", "body", "--label-col", "tags", "--target-col", "about", "--skip-bad"}); err != nil {
		t.Fatal(err)
	}
	want := Options{Format: FormatCSV, TextCol: "body", LabelCol: "tags", TargetCol: "about", SkipBad: true}
	if got := opts(); !cmp.Equal(got, want) {
		t.Errorf("Options = %+v, want %+v", got, want)
	}
}
