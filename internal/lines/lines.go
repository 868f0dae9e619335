// Package lines classifies a text stream line by line in chunks, so that
// input of any length runs in bounded memory.
package lines

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stanceproject/stance"
)

// Chunk is how many lines go to the classifier at once.
const Chunk = 1024

// Classify reads the lines of r, named name in errors, and classifies each
// non-blank one (a blank line is a separator, not a text) as req with the
// line's text, in chunks of Chunk, each call bounded by timeout. It calls
// emit with each line's number, text and result, in order; a failed text
// comes with Result.Err, a failed call ends the run naming its first line.
func Classify(ctx context.Context, c stance.Classifier, r io.Reader, name string, req stance.Request, timeout time.Duration,
	emit func(line int, text string, r stance.Result) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	var texts []string
	var lines []int
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		reqs := make([]stance.Request, len(texts))
		for i, t := range texts {
			reqs[i] = req
			reqs[i].Text = t
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		results, err := c.Classify(cctx, reqs)
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
			continue
		}
		texts = append(texts, sc.Text())
		lines = append(lines, n)
		if len(texts) == Chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return flush()
}
