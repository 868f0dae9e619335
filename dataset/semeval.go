package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// readSemEval parses a SemEval-2016 Task 6 file (already UTF-8): a header
// naming the columns ID, Target, Tweet and Stance, then one tab-separated
// row a line. There is no quoting, so a tweet cannot contain a tab.
func readSemEval(data []byte, name string, row rowFunc) error {
	lines := bytes.Split(data, []byte("\n"))
	col := map[string]int{}
	ncol, headerLine := 0, 0
	for i, b := range lines {
		n := i + 1
		line := strings.TrimSuffix(string(b), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		if headerLine == 0 {
			for j, h := range fields {
				h = strings.ToLower(strings.TrimSpace(h))
				if _, dup := col[h]; !dup {
					col[h] = j
				}
			}
			_, okTweet := col["tweet"]
			_, okStance := col["stance"]
			if !okTweet || !okStance {
				return fmt.Errorf("%s:%d: not a SemEval header: want tab-separated columns ID, Target, Tweet, Stance", name, n)
			}
			ncol, headerLine = len(fields), n
			continue
		}

		ex, bad := semEvalRow(fields, ncol, col)
		var err error
		if bad != nil {
			err = row(Example{}, &LineError{File: name, Line: n, Err: bad})
		} else {
			ex.File, ex.Line = name, n
			err = row(ex, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func semEvalRow(fields []string, ncol int, col map[string]int) (Example, error) {
	var ex Example
	if len(fields) != ncol {
		return ex, fmt.Errorf("got %d tab-separated fields, want %d", len(fields), ncol)
	}
	ex.Text = fields[col["tweet"]]
	if strings.TrimSpace(ex.Text) == "" {
		return ex, errors.New("empty tweet")
	}
	stance := strings.ToUpper(strings.TrimSpace(fields[col["stance"]]))
	switch stance {
	case "FAVOR", "AGAINST", "NONE":
	default:
		return ex, fmt.Errorf("stance %q is not FAVOR, AGAINST or NONE", fields[col["stance"]])
	}
	ex.Labels = []string{stance}
	if j, ok := col["id"]; ok {
		ex.ID = strings.TrimSpace(fields[j])
	}
	if j, ok := col["target"]; ok {
		ex.Target = strings.TrimSpace(fields[j])
	}
	return ex, nil
}
