package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// jsonlFields lists the keys a JSONL object of the project's corpus may
// have. In strict reading (the corpus check) any other key is an error, so
// that a typo such as "label" fails loudly instead of yielding a row
// without labels; users' files may carry fields of their own, which are
// recorded in Example.Unused.
const jsonlFields = "batch, hard, id, labels, source, target, text"

func knownField(key string) bool {
	switch key {
	case "batch", "hard", "id", "labels", "source", "target", "text":
		return true
	}
	return false
}

// readJSONL parses JSONL from r and hands every non-blank line to row.
// It returns an error only for I/O failures and when row stops it.
func readJSONL(r io.Reader, name string, strict bool, row rowFunc) error {
	lr := lineReader{br: bufio.NewReaderSize(r, 64<<10), max: maxLine}
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if lr.n == 1 {
			line = bytes.TrimPrefix(line, []byte(utf8BOM))
		}
		var ex Example
		var bad error
		switch {
		case tooLong:
			bad = fmt.Errorf("line longer than %d bytes", maxLine)
		case len(bytes.TrimSpace(line)) == 0:
			continue
		default:
			ex, bad = parseJSONLine(line, strict)
		}
		if bad != nil {
			err = row(Example{}, &LineError{File: name, Line: lr.n, Err: bad})
		} else {
			ex.File, ex.Line = name, lr.n
			err = row(ex, nil)
		}
		if err != nil {
			return err
		}
	}
}

// parseJSONLine parses one non-blank JSONL line. It checks structure only;
// label-set rules are the caller's. Unknown keys are an error when strict,
// else listed in Example.Unused.
func parseJSONLine(line []byte, strict bool) (Example, error) {
	var ex Example
	// encoding/json would silently replace bad bytes with U+FFFD.
	if !utf8.Valid(line) {
		return ex, errors.New("invalid UTF-8")
	}
	if line = bytes.TrimSpace(line); line[0] != '{' {
		return ex, errors.New("not a JSON object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return ex, fmt.Errorf("invalid JSON: %w", err)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if knownField(k) {
			continue
		}
		if strict {
			return ex, fmt.Errorf("unknown field %q (allowed: %s)", k, jsonlFields)
		}
		ex.Unused = append(ex.Unused, k)
	}

	raw, ok := obj["text"]
	if !ok {
		if len(ex.Unused) > 0 {
			return ex, fmt.Errorf(`missing "text" (fields not used: %s)`, strings.Join(ex.Unused, ", "))
		}
		return ex, errors.New(`missing "text"`)
	}
	if err := stringField(raw, "text", &ex.Text); err != nil {
		return ex, err
	}
	if strings.TrimSpace(ex.Text) == "" {
		return ex, errors.New(`empty "text"`)
	}

	raw, ok = obj["labels"]
	if !ok {
		if len(ex.Unused) > 0 {
			return ex, fmt.Errorf(`missing "labels" (fields not used: %s)`, strings.Join(ex.Unused, ", "))
		}
		return ex, errors.New(`missing "labels"`)
	}
	var labels []string
	if err := json.Unmarshal(raw, &labels); err != nil || labels == nil {
		return ex, errors.New(`"labels" must be an array of strings`)
	}
	if len(labels) == 0 {
		return ex, errors.New(`empty "labels"`)
	}
	for _, l := range labels {
		if err := checkLabelText(l); err != nil {
			return ex, err
		}
	}
	ex.Labels = dedup(labels)

	for _, f := range []struct {
		key string
		dst *string
	}{{"target", &ex.Target}, {"source", &ex.Source}, {"hard", &ex.Hard}, {"batch", &ex.Batch}} {
		if raw, ok := obj[f.key]; ok {
			if err := stringField(raw, f.key, f.dst); err != nil {
				return ex, err
			}
		}
	}
	if raw, ok := obj["id"]; ok {
		// Many corpora number their rows: accept a number and keep its text.
		var n json.Number
		if err := json.Unmarshal(raw, &n); err == nil {
			ex.ID = n.String()
		} else if err := stringField(raw, "id", &ex.ID); err != nil {
			return ex, errors.New(`"id" must be a string or a number`)
		}
	}
	return ex, nil
}

// stringField decodes a JSON string or null (left as "") into dst.
func stringField(raw json.RawMessage, key string, dst *string) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%q must be a string", key)
	}
	return nil
}

// checkLabelText rejects labels that would silently become a class of their
// own: empty ones and ones with stray spaces.
func checkLabelText(l string) error {
	switch {
	case strings.TrimSpace(l) == "":
		return errors.New("empty label")
	case strings.TrimSpace(l) != l:
		return fmt.Errorf("label %q has leading or trailing spaces", l)
	}
	return nil
}

// lineReader reads lines of any length, reporting those over max bytes
// instead of failing the whole file as bufio.Scanner does.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	n   int // number of the line last returned, 1-based
}

// next returns the next line without its "\n" or "\r\n". The line is only
// valid until the next call. tooLong reports a line over max bytes, whose
// content is dropped. At the end of input it returns io.EOF.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	read := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		read = read || len(chunk) > 0
		if !tooLong {
			lr.buf = append(lr.buf, chunk...)
			if len(lr.buf) > lr.max+len("\r\n") {
				tooLong, lr.buf = true, lr.buf[:0]
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if !read {
				return nil, false, io.EOF
			}
			break
		}
		if err != nil {
			return nil, false, err
		}
		break
	}
	lr.n++
	line = bytes.TrimSuffix(lr.buf, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if tooLong || len(line) > lr.max {
		return nil, true, nil
	}
	return line, false, nil
}

// jsonlRecord fixes the field order of written lines; omitempty drops the
// optional fields.
type jsonlRecord struct {
	Text   string   `json:"text"`
	Labels []string `json:"labels"`
	Target string   `json:"target,omitempty"`
	ID     string   `json:"id,omitempty"`
	Source string   `json:"source,omitempty"`
	Hard   string   `json:"hard,omitempty"`
}

// WriteJSONL writes examples as JSONL, one object a line, omitting empty
// optional fields. Text is written as UTF-8 without HTML escaping. An
// example that Read would reject (empty text, no labels) is an error, so
// that everything written can be read back.
func WriteJSONL(w io.Writer, examples []Example) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, ex := range examples {
		if strings.TrimSpace(ex.Text) == "" {
			return fmt.Errorf("write jsonl: example %d: empty text", i)
		}
		if len(ex.Labels) == 0 {
			return fmt.Errorf("write jsonl: example %d: no labels", i)
		}
		rec := jsonlRecord{
			Text: ex.Text, Labels: ex.Labels, Target: ex.Target,
			ID: ex.ID, Source: ex.Source, Hard: ex.Hard,
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("write jsonl: example %d: %w", i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write jsonl: %w", err)
	}
	return nil
}
