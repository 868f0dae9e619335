package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/apiconv"
)

// chunkLines is how many input lines go to the backend at once.
const chunkLines = 1024

func (e env) classify(ctx context.Context, args []string) error {
	fs := e.newFlags("classify", "classify [flags] [TEXT...]\n\nTexts come from the arguments, else from --file, else one per line from stdin.")
	file := fs.String("file", "", "read texts from `FILE`, one per line")
	target := fs.String("target", "", "the entity the stance is about (target-conditioned models)")
	explain := fs.Bool("explain", false, "show the features behind each predicted label")
	asJSON := fs.Bool("json", false, "print one JSON object per input line")
	timeout := fs.Duration("timeout", time.Minute, "deadline of each call to the server")
	cf := connFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, closeFn, err := cf.open()
	if err != nil {
		return err
	}
	defer closeFn()

	var src io.Reader
	name := "stdin"
	switch {
	case fs.NArg() > 0:
		src = strings.NewReader(strings.Join(fs.Args(), "\n"))
		name = "argument"
	case *file != "":
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		src, name = f, *file
	default:
		src = e.stdin
	}
	out := bufio.NewWriterSize(e.stdout, 1<<16)
	defer out.Flush()
	var tab *table
	if !*asJSON {
		tab = newTable("TEXT\tLABELS\tTOP\tSCORE\tLANG")
		defer tab.writeTo(out) // keep the rows already classified if a later chunk fails
	}
	failed := 0
	emit := func(line int, text string, r stance.Result) error {
		if r.Err != nil {
			failed++
			fmt.Fprintf(e.stderr, "%s:%d: %v\n", name, line, r.Err)
		}
		if *asJSON {
			return writeJSONResult(out, line, text, r)
		}
		tab.addResult(text, r)
		return nil
	}
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	var texts []string
	var lines []int
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		reqs := make([]stance.Request, len(texts))
		for i, t := range texts {
			reqs[i] = stance.Request{Text: t, Target: *target, Explain: *explain}
		}
		cctx, cancel := context.WithTimeout(ctx, *timeout)
		results, err := b.Classify(cctx, reqs)
		cancel()
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lines[0], err)
		}
		for i, r := range results {
			if err := emit(lines[i], texts[i], r); err != nil {
				return err
			}
		}
		texts, lines = texts[:0], lines[:0]
		return nil
	}
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue // a blank line is a separator, not a text
		}
		texts = append(texts, sc.Text())
		lines = append(lines, n)
		if len(texts) == chunkLines {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := flush(); err != nil {
		return err
	}
	if failed > 0 {
		out.Flush()
		fmt.Fprintf(e.stderr, "%d text(s) failed\n", failed)
		return exitCode(1)
	}
	return nil
}

// classifyJSON is a line of classify --json: the input line, its text, and
// the API's ClassifyResult as protojson (what grpcurl and the generated
// clients read), or the error that stopped the text.
type classifyJSON struct {
	Line   int             `json:"line"`
	Text   string          `json:"text"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func writeJSONResult(w io.Writer, line int, text string, r stance.Result) error {
	out := classifyJSON{Line: line, Text: text}
	if r.Err != nil {
		out.Error = r.Err.Error()
	} else {
		res, err := protojson.Marshal(apiconv.Result(r))
		if err != nil {
			return err
		}
		out.Result = res
	}
	enc := json.NewEncoder(w) // compacts the protojson onto the line
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// jsonInfo is a stance.ModelInfo in info's machine output.
type jsonInfo struct {
	Name           string                        `json:"name"`
	Version        string                        `json:"version"`
	Labels         []jsonLabel                   `json:"labels"`
	ExclusiveLabel string                        `json:"exclusive_label,omitempty"`
	MultiLabel     bool                          `json:"multi_label"`
	Targets        []string                      `json:"targets,omitempty"`
	Languages      []string                      `json:"languages"`
	Metrics        map[string]map[string]float64 `json:"metrics,omitempty"`
	Created        string                        `json:"created,omitempty"`
}

type jsonLabel struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Threshold   float64 `json:"threshold"`
}

func toJSONInfo(info stance.ModelInfo) jsonInfo {
	j := jsonInfo{Name: info.Name, Version: info.Version, Labels: make([]jsonLabel, len(info.Labels)),
		ExclusiveLabel: info.ExclusiveLabel, MultiLabel: info.MultiLabel, Targets: info.Targets,
		Languages: info.Languages, Metrics: info.Metrics, Created: info.Created}
	for i, l := range info.Labels {
		j.Labels[i] = jsonLabel{Name: l.Name, Description: l.Description, Threshold: l.Threshold}
	}
	return j
}

// table aligns rows in columns and prints each row's explanations on their
// own indented lines under it, outside the columns, so that a long
// explanation does not widen them.
type table struct {
	rows  []string
	notes [][]string
}

func newTable(header string) *table {
	return &table{rows: []string{header + "\n"}, notes: [][]string{nil}}
}

func (t *table) addResult(text string, r stance.Result) {
	short := strings.ReplaceAll(text, "\t", " ")
	if rs := []rune(short); len(rs) > 60 {
		short = string(rs[:59]) + "…"
	}
	var row string
	switch {
	case r.Err != nil:
		row = fmt.Sprintf("%s\terror: %v\t\t\t\n", short, r.Err)
	case r.Unsupported:
		row = fmt.Sprintf("%s\t(unsupported language)\t\t\t%s\n", short, r.Language)
	default:
		labels := strings.Join(r.Labels, ",")
		if r.Abstained {
			labels += " (below threshold)"
		}
		top := 0.0
		for _, s := range r.Scores {
			if s.Label == r.Top {
				top = s.Score
			}
		}
		row = fmt.Sprintf("%s\t%s\t%s\t%.3f\t%s\n", short, labels, r.Top, top, r.Language)
	}
	var notes []string
	for _, ex := range r.Explanations {
		parts := make([]string, len(ex.Contributions))
		for i, c := range ex.Contributions {
			parts[i] = fmt.Sprintf("%s %+.2f", c.Feature, c.Weight)
		}
		notes = append(notes, fmt.Sprintf("%s: %s", ex.Label, strings.Join(parts, "; ")))
	}
	t.rows = append(t.rows, row)
	t.notes = append(t.notes, notes)
}

func (t *table) writeTo(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, r := range t.rows {
		io.WriteString(tw, r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(b.String(), "\n")
	for i, notes := range t.notes {
		io.WriteString(w, strings.TrimRight(lines[i], " \n")+"\n")
		for _, n := range notes {
			fmt.Fprintf(w, "    %s\n", n)
		}
	}
	return nil
}

func (e env) doc(ctx context.Context, args []string) error {
	fs := e.newFlags("doc", "doc [flags] [FILE]\n\nClassifies a document (--file, a FILE argument, or stdin) sentence by sentence.")
	file := fs.String("file", "", "read the document from `FILE`")
	target := fs.String("target", "", "the entity the stance is about (target-conditioned models)")
	explain := fs.Bool("explain", false, "show the features behind each predicted label")
	asJSON := fs.Bool("json", false, "print the API's ClassifyDocumentResponse as JSON (offsets in UTF-8 bytes)")
	timeout := fs.Duration("timeout", time.Minute, "deadline of the call")
	cf := connFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path := *file
	switch {
	case fs.NArg() > 1 || (fs.NArg() == 1 && path != ""):
		return errors.New("doc: give one document: --file FILE or a FILE argument")
	case fs.NArg() == 1:
		path = fs.Arg(0)
	}
	var text []byte
	var err error
	if path != "" {
		text, err = os.ReadFile(path)
	} else {
		text, err = io.ReadAll(e.stdin)
	}
	if err != nil {
		return err
	}
	b, closeFn, err := cf.open()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	doc, err := b.ClassifyDocument(ctx, stance.DocumentRequest{Text: string(text), Target: *target, Explain: *explain})
	if err != nil {
		return err
	}
	if *asJSON {
		out, err := protojson.MarshalOptions{Multiline: true}.Marshal(apiconv.Document(doc, string(text), stancev1.EncodingType_ENCODING_TYPE_UTF8))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", out)
		return err
	}
	tab := newTable("SENTENCE\tLABELS\tTOP\tSCORE\tLANG")
	for _, s := range doc.Sentences {
		tab.addResult(s.Text, s.Result)
	}
	if err := tab.writeTo(e.stdout); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "LABEL\tSENTENCES\tSHARE\t\t")
	for _, l := range doc.Labels {
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t\t\n", l.Label, l.Sentences, 100*l.Share)
	}
	fmt.Fprintf(tw, "(abstained)\t%d\t\t\t\n(unsupported language)\t%d\t\t\t\n", doc.Abstained, doc.Unsupported)
	return tw.Flush()
}

func (e env) info(ctx context.Context, args []string) error {
	fs := e.newFlags("info", "info [flags]")
	asJSON := fs.Bool("json", false, "print JSON")
	cf := connFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, closeFn, err := cf.open()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	info, err := b.Info(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(toJSONInfo(info))
	}
	fmt.Fprintf(e.stdout, "model     %s %s (created %s)\nlanguages %s\n", info.Name, info.Version, info.Created, strings.Join(info.Languages, ", "))
	if len(info.Targets) > 0 {
		fmt.Fprintf(e.stdout, "targets   %s\n", strings.Join(info.Targets, ", "))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nLABEL\tTHRESHOLD\tDESCRIPTION")
	for _, l := range info.Labels {
		fmt.Fprintf(tw, "%s\t%.3f\t%s\n", l.Name, l.Threshold, l.Description)
	}
	tw.Flush()
	for _, set := range slices.Sorted(maps.Keys(info.Metrics)) {
		vals := info.Metrics[set]
		fmt.Fprintf(e.stdout, "\n%s metrics:", set)
		for _, k := range []string{"macro_f1", "micro_f1", "exact_match", "accuracy"} {
			if v, ok := vals[k]; ok {
				fmt.Fprintf(e.stdout, " %s %.4f", k, v)
			}
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}
