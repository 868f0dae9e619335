// Package render writes what stancectl prints: tables of results with
// their explanations, documents with their label shares, model
// descriptions, and the JSON forms of each.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/apiconv"
)

// classifyJSON is a line of classify --json: the input line, its text, and
// the API's ClassifyResult as protojson (what grpcurl and the generated
// clients read), or the error that stopped the text.
type classifyJSON struct {
	Line   int             `json:"line"`
	Text   string          `json:"text"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// ResultJSON writes the result r of the text on an input line as one line
// of JSON.
func ResultJSON(w io.Writer, line int, text string, r stance.Result) error {
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

// Table aligns rows in columns and prints each row's explanations on their
// own indented lines under it, outside the columns, so that a long
// explanation does not widen them.
type Table struct {
	rows  []string
	notes [][]string
}

// NewTable returns a table of results whose first column, the text, is
// headed first.
func NewTable(first string) *Table {
	return &Table{rows: []string{first + "\tLABELS\tTOP\tSCORE\tLANG\n"}, notes: [][]string{nil}}
}

// Add adds the result r of text as a row.
func (t *Table) Add(text string, r stance.Result) {
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

// Write writes the table to w.
func (t *Table) Write(w io.Writer) error {
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

// DocumentJSON writes doc, the classification of text, as the API's
// ClassifyDocumentResponse in JSON, offsets in UTF-8 bytes.
func DocumentJSON(w io.Writer, doc stance.Document, text string) error {
	out, err := protojson.MarshalOptions{Multiline: true}.Marshal(apiconv.Document(doc, text, stancev1.EncodingType_ENCODING_TYPE_UTF8))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// Document writes doc as a table of its sentences and one of its label
// shares.
func Document(w io.Writer, doc stance.Document) error {
	tab := NewTable("SENTENCE")
	for _, s := range doc.Sentences {
		tab.Add(s.Text, s.Result)
	}
	if err := tab.Write(w); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "LABEL\tSENTENCES\tSHARE\t\t")
	for _, l := range doc.Labels {
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t\t\n", l.Label, l.Sentences, 100*l.Share)
	}
	fmt.Fprintf(tw, "(abstained)\t%d\t\t\t\n(unsupported language)\t%d\t\t\t\n", doc.Abstained, doc.Unsupported)
	return tw.Flush()
}

// InfoJSON writes a model description as indented JSON.
func InfoJSON(w io.Writer, info stance.ModelInfo) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSONInfo(info))
}

// Info writes a model description: name, languages, targets, labels with
// thresholds, and the stored evaluation figures.
func Info(w io.Writer, info stance.ModelInfo) error {
	fmt.Fprintf(w, "model     %s %s (created %s)\nlanguages %s\n", info.Name, info.Version, info.Created, strings.Join(info.Languages, ", "))
	if len(info.Targets) > 0 {
		fmt.Fprintf(w, "targets   %s\n", strings.Join(info.Targets, ", "))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nLABEL\tTHRESHOLD\tDESCRIPTION")
	for _, l := range info.Labels {
		fmt.Fprintf(tw, "%s\t%.3f\t%s\n", l.Name, l.Threshold, l.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, set := range slices.Sorted(maps.Keys(info.Metrics)) {
		vals := info.Metrics[set]
		fmt.Fprintf(w, "\n%s metrics:", set)
		for _, k := range []string{"macro_f1", "micro_f1", "exact_match", "accuracy"} {
			if v, ok := vals[k]; ok {
				fmt.Fprintf(w, " %s %.4f", k, v)
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}
