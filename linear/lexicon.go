package linear

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/stanceproject/stance/tokenize"
)

// Lexicon names classes of a model's vocabulary: each concept lists the
// words and phrases that express it ("hegemony": hegemony, domination,
// bullying, "might makes right"). A model trained with Features.Concepts
// carries its lexicon as lexicon.json, so that its explanations can name
// a concept and a later edit of the team's file cannot change its scores.
type Lexicon struct {
	Version  string    `json:"version"`
	Concepts []Concept `json:"concepts"`
}

// Concept is one class of a Lexicon.
type Concept struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Terms       []string `json:"terms"`
}

var conceptName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ParseLexicon decodes and checks a lexicon: every concept has a
// lower-case snake_case name of its own and at least one term; terms are
// not empty and do not repeat within a concept.
func ParseLexicon(data []byte) (Lexicon, error) {
	var lx Lexicon
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lx); err != nil {
		return Lexicon{}, fmt.Errorf("lexicon: %w", err)
	}
	if lx.Version == "" {
		return Lexicon{}, fmt.Errorf("lexicon: version is required")
	}
	if len(lx.Concepts) == 0 {
		return Lexicon{}, fmt.Errorf("lexicon: no concepts")
	}
	names := map[string]bool{}
	for i, c := range lx.Concepts {
		if !conceptName.MatchString(c.Name) || names[c.Name] {
			return Lexicon{}, fmt.Errorf("lexicon: concept %d: name %q is not snake_case or repeats", i+1, c.Name)
		}
		names[c.Name] = true
		if len(c.Terms) == 0 {
			return Lexicon{}, fmt.Errorf("lexicon: concept %s: no terms", c.Name)
		}
		terms := map[string]bool{}
		for _, t := range c.Terms {
			key := strings.ToLower(strings.TrimSpace(t))
			if key == "" || terms[key] {
				return Lexicon{}, fmt.Errorf("lexicon: concept %s: term %q is empty or repeats", c.Name, t)
			}
			terms[key] = true
		}
	}
	return lx, nil
}

// lexicon is a Lexicon compiled for matching over word stems.
type lexicon struct {
	names  []string
	hashes []uint64            // each concept's feature hash
	first  map[string][]phrase // by the stem of a phrase's first word
}

type phrase struct {
	rest    []string // the stems after the first
	concept int
}

// compileLexicon tokenises and stems every term as texts are, so that a
// term matches all inflections of its words.
func compileLexicon(lx Lexicon, tok *tokenize.Tokenizer) (*lexicon, error) {
	l := &lexicon{first: map[string][]phrase{}}
	var enc tokenize.Encoding
	for ci, c := range lx.Concepts {
		l.names = append(l.names, c.Name)
		l.hashes = append(l.hashes, fnv(seedConcept, []byte(c.Name)))
		for _, t := range c.Terms {
			if err := tok.Encode(t, &enc); err != nil {
				return nil, fmt.Errorf("lexicon: concept %s: term %q: %w", c.Name, t, err)
			}
			if len(enc.Stems) == 0 {
				return nil, fmt.Errorf("lexicon: concept %s: term %q has no words", c.Name, t)
			}
			l.first[enc.Stems[0]] = append(l.first[enc.Stems[0]], phrase{rest: append([]string(nil), enc.Stems[1:]...), concept: ci})
		}
	}
	return l, nil
}

// match calls emit with the concept of every term that occurs in stems.
func (l *lexicon) match(stems []string, emit func(concept int)) {
	for i, s := range stems {
		for _, p := range l.first[s] {
			if i+len(p.rest) >= len(stems) {
				continue
			}
			ok := true
			for k, r := range p.rest {
				if stems[i+1+k] != r {
					ok = false
					break
				}
			}
			if ok {
				emit(p.concept)
			}
		}
	}
}
