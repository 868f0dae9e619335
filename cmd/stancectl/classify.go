package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stanceproject/stance"
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
	if err := fs.Parse(args); err != nil {
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
	var tw *tabwriter.Writer
	if !*asJSON {
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		defer tw.Flush() // keep the rows already classified if a later chunk fails
		fmt.Fprintln(tw, "TEXT\tLABELS\tTOP\tSCORE\tLANG")
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
		writeRow(tw, text, r)
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
	if tw != nil {
		tw.Flush()
	}
	if failed > 0 {
		out.Flush()
		fmt.Fprintf(e.stderr, "%d text(s) failed\n", failed)
		return exitCode(1)
	}
	return nil
}

// jsonResult is the machine output of classify, one object per line.
type jsonResult struct {
	Line               int               `json:"line"`
	Text               string            `json:"text"`
	Labels             []string          `json:"labels"`
	Top                string            `json:"top,omitempty"`
	Scores             scoreObject       `json:"scores,omitempty"`
	Abstained          bool              `json:"abstained,omitempty"`
	Unsupported        bool              `json:"unsupported_language,omitempty"`
	Language           string            `json:"language,omitempty"`
	LanguageConfidence float64           `json:"language_confidence,omitempty"`
	ModelVersion       string            `json:"model_version,omitempty"`
	Explanations       []jsonExplanation `json:"explanations,omitempty"`
	Error              string            `json:"error,omitempty"`
}

// jsonExplanation is a stance.Explanation with the snake_case keys of the
// rest of the machine output.
type jsonExplanation struct {
	Label         string             `json:"label"`
	Bias          float64            `json:"bias"`
	Contributions []jsonContribution `json:"contributions"`
}

type jsonContribution struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"`
}

// jsonShare is a stance.LabelShare in doc's machine output.
type jsonShare struct {
	Label     string  `json:"label"`
	Sentences int     `json:"sentences"`
	Share     float64 `json:"share"`
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

func toJSONResult(line int, text string, r stance.Result) jsonResult {
	j := jsonResult{Line: line, Text: text, Labels: r.Labels, Top: r.Top, Abstained: r.Abstained, Unsupported: r.Unsupported,
		Language: r.Language, LanguageConfidence: r.LanguageConfidence, ModelVersion: r.ModelVersion}
	for _, ex := range r.Explanations {
		je := jsonExplanation{Label: ex.Label, Bias: ex.Bias, Contributions: make([]jsonContribution, len(ex.Contributions))}
		for i, c := range ex.Contributions {
			je.Contributions[i] = jsonContribution{Feature: c.Feature, Weight: c.Weight}
		}
		j.Explanations = append(j.Explanations, je)
	}
	if j.Labels == nil {
		j.Labels = []string{}
	}
	j.Scores = r.Scores
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return j
}

// scoreObject writes scores as one JSON object, label to probability, in
// the model's label order. encoding/json would sort a map's keys through
// reflection, which was a fifth of the time of bulk classification.
type scoreObject []stance.Score

func (s scoreObject) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 32*len(s))
	b = append(b, '{')
	for i, sc := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, sc.Label)
		b = append(b, ':')
		b = strconv.AppendFloat(b, sc.Score, 'g', -1, 64)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string: strconv's quoting where it
// coincides with JSON's (printable ASCII), encoding/json's elsewhere.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return strconv.AppendQuote(b, s)
}

func writeJSONResult(w io.Writer, line int, text string, r stance.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(toJSONResult(line, text, r))
}

func writeRow(tw io.Writer, text string, r stance.Result) {
	short := text
	if rs := []rune(short); len(rs) > 60 {
		short = string(rs[:59]) + "…"
	}
	switch {
	case r.Err != nil:
		fmt.Fprintf(tw, "%s\terror: %v\t\t\t\n", short, r.Err)
		return
	case r.Unsupported:
		fmt.Fprintf(tw, "%s\t(unsupported language)\t\t\t%s\n", short, r.Language)
		return
	}
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
	fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%s\n", short, labels, r.Top, top, r.Language)
	for _, ex := range r.Explanations {
		var parts []string
		for _, c := range ex.Contributions {
			parts = append(parts, fmt.Sprintf("%s %+.2f", c.Feature, c.Weight))
		}
		fmt.Fprintf(tw, "  %s:\t%s\t\t\t\n", ex.Label, strings.Join(parts, "; "))
	}
}

func (e env) doc(ctx context.Context, args []string) error {
	fs := e.newFlags("doc", "doc [flags] [FILE]\n\nClassifies a document (FILE, or stdin) sentence by sentence.")
	target := fs.String("target", "", "the entity the stance is about (target-conditioned models)")
	explain := fs.Bool("explain", false, "show the features behind each predicted label")
	asJSON := fs.Bool("json", false, "print the document result as JSON")
	timeout := fs.Duration("timeout", time.Minute, "deadline of the call")
	cf := connFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var text []byte
	var err error
	if fs.NArg() > 0 {
		text, err = os.ReadFile(fs.Arg(0))
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
	doc, err := b.ClassifyDocument(ctx, string(text), *target, *explain)
	if err != nil {
		return err
	}
	if *asJSON {
		type sentence struct {
			Start  int        `json:"start"`
			End    int        `json:"end"`
			Result jsonResult `json:"result"`
		}
		var out struct {
			Sentences    []sentence  `json:"sentences"`
			Labels       []jsonShare `json:"labels"`
			Abstained    int         `json:"abstained"`
			Unsupported  int         `json:"unsupported"`
			ModelVersion string      `json:"model_version"`
		}
		out.Abstained, out.Unsupported, out.ModelVersion = doc.Abstained, doc.Unsupported, doc.ModelVersion
		for _, l := range doc.Labels {
			out.Labels = append(out.Labels, jsonShare{Label: l.Label, Sentences: l.Sentences, Share: l.Share})
		}
		for i, s := range doc.Sentences {
			out.Sentences = append(out.Sentences, sentence{Start: s.Start, End: s.End, Result: toJSONResult(i+1, s.Text, s.Result)})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SENTENCE\tLABELS\tTOP\tSCORE\tLANG")
	for _, s := range doc.Sentences {
		writeRow(tw, s.Text, s.Result)
	}
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
	if err := fs.Parse(args); err != nil {
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
