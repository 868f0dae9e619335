package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readCSV parses a comma-separated file (already UTF-8) with a header row.
func readCSV(data []byte, name string, opt Options, row rowFunc) error {
	cr := csv.NewReader(bytes.NewReader(data))
	header, err := cr.Read()
	if err == io.EOF {
		return nil // no rows: the caller reports "no examples"
	}
	if err != nil {
		return fmt.Errorf("%s: header: %w", name, err)
	}
	find := func(want string, required bool) (int, error) {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), want) {
				return i, nil
			}
		}
		if !required {
			return -1, nil
		}
		return 0, fmt.Errorf("%s: no column %q (columns: %s)", name, want, strings.Join(header, ", "))
	}
	textCol, err := find(or(opt.TextCol, "text"), true)
	if err != nil {
		return err
	}
	labelCol, err := find(or(opt.LabelCol, "labels"), true)
	if err != nil {
		return err
	}
	targetCol, err := find(or(opt.TargetCol, "target"), opt.TargetCol != "")
	if err != nil {
		return err
	}
	var unused []string
	for i, h := range header {
		if i != textCol && i != labelCol && i != targetCol {
			unused = append(unused, strings.TrimSpace(h))
		}
	}

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var ex Example
		var bad *LineError
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			bad = &LineError{File: name, Line: pe.StartLine, Err: csvMessage(pe, rec, len(header))}
		} else if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		} else {
			line, _ := cr.FieldPos(0)
			ex, err = csvRow(rec, textCol, labelCol, targetCol)
			if err != nil {
				bad = &LineError{File: name, Line: line, Err: err}
			}
			ex.File, ex.Line, ex.Unused = name, line, unused
		}
		if bad != nil {
			err = row(Example{}, bad)
		} else {
			err = row(ex, nil)
		}
		if err != nil {
			return err
		}
	}
}

func csvRow(rec []string, textCol, labelCol, targetCol int) (Example, error) {
	var ex Example
	ex.Text = rec[textCol]
	if strings.TrimSpace(ex.Text) == "" {
		return ex, errors.New("empty text")
	}
	for _, l := range strings.FieldsFunc(rec[labelCol], func(r rune) bool { return r == '|' || r == ';' }) {
		if l = strings.TrimSpace(l); l != "" {
			ex.Labels = append(ex.Labels, l)
		}
	}
	if len(ex.Labels) == 0 {
		return ex, errors.New("no labels")
	}
	ex.Labels = dedup(ex.Labels)
	if targetCol >= 0 {
		ex.Target = strings.TrimSpace(rec[targetCol])
	}
	return ex, nil
}

// csvMessage words a csv.ParseError without repeating the line number,
// which LineError already carries.
func csvMessage(pe *csv.ParseError, rec []string, want int) error {
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return fmt.Errorf("got %d fields, want %d", len(rec), want)
	}
	if pe.Line != pe.StartLine {
		return fmt.Errorf("%w (line %d, column %d)", pe.Err, pe.Line, pe.Column)
	}
	return fmt.Errorf("%w (column %d)", pe.Err, pe.Column)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
