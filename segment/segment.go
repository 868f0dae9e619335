// Package segment splits documents into sentences with the Punkt
// algorithm (github.com/neurosnap/sentences, trained on English), which
// knows abbreviations such as "U.S." and "Mr." and closing quotes.
package segment

import (
	"unicode"
	"unicode/utf8"

	"github.com/neurosnap/sentences"
	"github.com/neurosnap/sentences/english"
)

// Span is one sentence: its byte offsets in the document.
type Span struct {
	Start, End int
}

// Splitter splits text into sentences. It is safe for concurrent use.
type Splitter struct {
	punkt *sentences.DefaultSentenceTokenizer
}

// New loads the English Punkt parameters.
func New() (*Splitter, error) {
	t, err := english.NewSentenceTokenizer(nil)
	if err != nil {
		return nil, err
	}
	return &Splitter{punkt: t}, nil
}

// Split returns the sentences of text as trimmed byte spans, in order. The
// spans never overlap and never cut a UTF-8 sequence; whitespace-only
// stretches yield no sentence.
func (s *Splitter) Split(text string) []Span {
	var out []Span
	pos := 0
	for _, sent := range s.punkt.Tokenize(text) {
		// Punkt reports the spans it found; clamp them to the text so that
		// a library slip can never produce an out-of-range span.
		end := min(max(sent.End, pos), len(text))
		for _, sp := range splitEllipsis(text, pos, end) {
			if sp = trim(text, sp); sp.Start < sp.End {
				out = append(out, sp)
			}
		}
		pos = end
	}
	if pos < len(text) {
		if sp := trim(text, Span{pos, len(text)}); sp.Start < sp.End {
			out = append(out, sp)
		}
	}
	return out
}

// splitEllipsis splits [start, end) after each "…" or "..." that is
// followed by space and an upper-case letter, which Punkt leaves joined.
func splitEllipsis(text string, start, end int) []Span {
	var out []Span
	from := start
	for i := start; i < end; {
		n := ellipsisAt(text, i)
		if n == 0 {
			_, size := utf8.DecodeRuneInString(text[i:])
			i += size
			continue
		}
		j := i + n
		k := j
		for k < end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n') {
			k++
		}
		if k > j && k < end {
			r, _ := utf8.DecodeRuneInString(text[k:])
			if unicode.IsUpper(r) || r == '“' || r == '"' {
				out = append(out, Span{from, j})
				from = k
			}
		}
		i = j
	}
	return append(out, Span{from, end})
}

func ellipsisAt(text string, i int) int {
	switch {
	case len(text)-i >= 3 && text[i:i+3] == "…":
		return 3
	case len(text)-i >= 3 && text[i:i+3] == "...":
		return 3
	}
	return 0
}

func trim(text string, sp Span) Span {
	for sp.Start < sp.End {
		r, size := utf8.DecodeRuneInString(text[sp.Start:])
		if !unicode.IsSpace(r) {
			break
		}
		sp.Start += size
	}
	for sp.End > sp.Start {
		r, size := utf8.DecodeLastRuneInString(text[:sp.End])
		if !unicode.IsSpace(r) {
			break
		}
		sp.End -= size
	}
	return sp
}
