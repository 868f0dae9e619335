package dataset

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/stanceproject/stance"
)

// Example is one labelled sentence, as the root package defines it.
type Example = stance.Example

// Format names a file format understood by Read.
type Format string

// The formats Read understands.
const (
	FormatJSONL   Format = "jsonl"   // one JSON object a line
	FormatSemEval Format = "semeval" // SemEval-2016 Task 6: ID, Target, Tweet, Stance, tab-separated
	FormatCSV     Format = "csv"     // comma-separated with a header row
)

// Options configure reading. The zero value reads JSONL (unless the file
// name's extension says otherwise), accepts any label and fails on the first
// malformed row.
type Options struct {
	// Format is the file format. "" detects it from the name's extension:
	// .tsv and .txt are SemEval, .csv is CSV, anything else
	// (.jsonl, .json, none) is JSONL.
	Format Format

	// TextCol, LabelCol and TargetCol name the CSV columns (matched
	// case-insensitively against the header row). "" means "text",
	// "labels" and, for the optional target, "target" if such a column
	// exists. Values of LabelCol are split on '|' or ';'.
	TextCol, LabelCol, TargetCol string

	// Labels, when non-nil, is the label set: any other label is an error.
	Labels []string

	// SkipBad skips malformed rows and counts them instead of failing.
	SkipBad bool
}

// LineError is a malformed row.
type LineError struct {
	File string
	Line int
	Err  error
}

// Error returns "FILE:LINE: MESSAGE".
func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// ErrNoExamples is returned, wrapped with the file name, for a file that
// holds no usable example.
var ErrNoExamples = errors.New("no examples")

// labelNone is the exclusive label of the annotation guideline.
const labelNone = "none"

// maxLine bounds a JSONL line: long enough for any sentence with metadata,
// short enough that a binary file fed by mistake fails fast.
const maxLine = 1 << 20

// rowFunc receives each row of a file: a parsed example, or the reason the
// row is malformed. A non-nil return stops reading and is returned as is.
type rowFunc func(ex Example, bad *LineError) error

// ReadFile reads the examples in the file at path; see Read.
func ReadFile(path string, opt Options) (examples []Example, skipped int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read dataset: %w", err)
	}
	defer f.Close() // read-only: a close error cannot lose data
	return Read(f, path, opt)
}

// Read reads examples from r. name is used to pick the format when
// opt.Format is "", and in error messages and Example.File.
//
// A malformed row is returned as a *LineError unless opt.SkipBad is set, in
// which case it is counted in skipped. A file with no example is an error
// wrapping ErrNoExamples.
func Read(r io.Reader, name string, opt Options) (examples []Example, skipped int, err error) {
	format, err := resolveFormat(opt.Format, name)
	if err != nil {
		return nil, 0, err
	}
	known := newLabelSet(opt.Labels)
	row := func(ex Example, bad *LineError) error {
		if bad == nil {
			if err := known.check(ex.Labels); err != nil {
				bad = &LineError{File: ex.File, Line: ex.Line, Err: err}
			}
		}
		if bad != nil {
			if opt.SkipBad {
				skipped++
				return nil
			}
			return bad
		}
		examples = append(examples, ex)
		return nil
	}

	switch format {
	case FormatJSONL:
		err = readJSONL(r, name, false, row)
	case FormatSemEval, FormatCSV:
		var data []byte
		data, err = io.ReadAll(r)
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", name, err)
		}
		data, err = toUTF8(data)
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", name, err)
		}
		if format == FormatSemEval {
			err = readSemEval(data, name, row)
		} else {
			err = readCSV(data, name, opt, row)
		}
	}
	if err != nil {
		return nil, 0, err
	}
	if len(examples) == 0 {
		if skipped > 0 {
			return nil, skipped, fmt.Errorf("%s: %w (%d bad rows skipped)", name, ErrNoExamples, skipped)
		}
		return nil, 0, fmt.Errorf("%s: %w", name, ErrNoExamples)
	}
	return examples, skipped, nil
}

func resolveFormat(f Format, name string) (Format, error) {
	switch f {
	case FormatJSONL, FormatSemEval, FormatCSV:
		return f, nil
	case "":
		switch strings.ToLower(filepath.Ext(name)) {
		case ".tsv", ".txt":
			return FormatSemEval, nil
		case ".csv":
			return FormatCSV, nil
		}
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("read %s: unknown format %q (want jsonl, semeval or csv)", name, f)
}

const utf8BOM = "\xef\xbb\xbf"

// toUTF8 returns data as UTF-8 without a byte-order mark. Bytes that are not
// valid UTF-8 are taken to be Windows-1252, the encoding most tab- and
// comma-separated files in the wild (SemEval's included) were saved in.
func toUTF8(data []byte) ([]byte, error) {
	if utf8.Valid(data) {
		return bytes.TrimPrefix(data, []byte(utf8BOM)), nil
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("decode windows-1252: %w", err)
	}
	return out, nil
}

// labelSet is an optional set of allowed labels; the nil set allows any.
type labelSet struct {
	m     map[string]bool
	names string // for error messages
}

func newLabelSet(labels []string) *labelSet {
	if labels == nil {
		return nil
	}
	s := &labelSet{m: make(map[string]bool, len(labels))}
	for _, l := range labels {
		s.m[l] = true
	}
	sorted := slices.Clone(labels)
	slices.Sort(sorted)
	s.names = strings.Join(slices.Compact(sorted), ", ")
	return s
}

// check returns the first problem with a row's labels: "none" combined with
// another label, or a label outside the set.
func (s *labelSet) check(labels []string) error {
	if err := checkNone(labels); err != nil {
		return err
	}
	for _, l := range labels {
		if err := s.checkOne(l); err != nil {
			return err
		}
	}
	return nil
}

func (s *labelSet) checkOne(label string) error {
	if s == nil || s.m[label] {
		return nil
	}
	return fmt.Errorf("unknown label %q (known: %s)", label, s.names)
}

// checkNone enforces the guideline's rule that "none" is exclusive.
func checkNone(labels []string) error {
	if len(labels) < 2 || !slices.Contains(labels, labelNone) {
		return nil
	}
	var others []string
	for _, l := range labels {
		if l != labelNone {
			others = append(others, fmt.Sprintf("%q", l))
		}
	}
	return fmt.Errorf("label %q combined with %s", labelNone, strings.Join(others, ", "))
}

// dedup removes repeated labels, keeping the first of each.
func dedup(labels []string) []string {
	out := labels[:0:0]
	for _, l := range labels {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// Flags declares the data-reading flags of the commands that read data
// files on fs, and returns a function giving their Options once parsed.
func Flags(fs *flag.FlagSet) func() Options {
	format := fs.String("format", "", "data format: jsonl, semeval or csv (default: from the file extension)")
	text := fs.String("text-col", "", "CSV column of the text (default \"text\")")
	label := fs.String("label-col", "", "CSV column of the labels, separated by | or ; (default \"labels\")")
	target := fs.String("target-col", "", "CSV column of the target (default \"target\" when present)")
	skip := fs.Bool("skip-bad", false, "skip malformed rows and report how many, instead of failing")
	return func() Options {
		return Options{Format: Format(*format), TextCol: *text, LabelCol: *label, TargetCol: *target, SkipBad: *skip}
	}
}
