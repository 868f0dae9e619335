package linear

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// wordKind classes a normalised word for the feature options.
type wordKind uint8

const (
	contentWord wordKind = iota
	functionWord
	negationWord
	punctWord // no letter or digit
)

// functionWords are English closed-class words: articles, pronouns,
// prepositions, conjunctions, auxiliaries and a few fillers of wire copy.
// They carry a writer's style, not a stance. Words that can carry one on
// their own ("against", "without", "must") are left out of the list, and
// negations have a class of their own.
var functionWords = setOf(`a an the this that these those some any each every all both either
	i me my we us our you your he him his she her it its they them their one ones
	who whom whose which what where when why how there here
	and or but so yet if then than as because while although though whether
	of in on at to for from by with about into onto over under between through
	during before after since until upon within across along among around via per
	is am are was were be been being has have had do does did done having
	will would shall can could may might should
	also just very too more most much many such only even still again
	s t d ll m re ve said says say told tell according
	don doesn didn isn aren wasn weren hasn haven hadn won wouldn shouldn couldn`)

// negations start a negation scope; so does the "t" of "n't", which BERT
// splits off as "didn ' t" (see wordKinds).
var negations = setOf(`not no never neither nor cannot none nothing nobody hardly refused refuses declined declines`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// wordKinds appends the class of each of the words, whose feature hashes
// are hashes, to kinds.
func wordKinds(kinds []wordKind, hashes []uint64, word func(int) []byte) []wordKind {
	for i, h := range hashes {
		k, ok := listed.get(h)
		if !ok {
			k = contentOrPunct(word(i))
		}
		if k == functionWord && i >= 2 && hashes[i] == hashT && hashes[i-1] == hashApostrophe {
			k = negationWord
		}
		kinds = append(kinds, k)
	}
	return kinds
}

// listed maps the word features of the listed words to their class. The
// hot path has each word's hash at hand; a fixed open-addressing table
// over the mixed hash costs a fraction of a map lookup.
var listed = func() *kindTable {
	t := &kindTable{}
	for w := range functionWords {
		t.put(fnv(seedWord, []byte(w)), functionWord)
	}
	for w := range negations {
		t.put(fnv(seedWord, []byte(w)), negationWord)
	}
	return t
}()

// kindTable is a set of word hashes with their kinds; it holds at most
// half its slots, so probes stay short.
type kindTable struct {
	keys  [1024]uint64
	kinds [1024]wordKind
}

func (t *kindTable) put(h uint64, k wordKind) {
	j := h & (uint64(len(t.keys)) - 1)
	for t.keys[j] != 0 && t.keys[j] != h {
		j = (j + 1) & (uint64(len(t.keys)) - 1)
	}
	t.keys[j], t.kinds[j] = h, k
}

func (t *kindTable) get(h uint64) (wordKind, bool) {
	j := h & (uint64(len(t.keys)) - 1)
	for t.keys[j] != 0 {
		if t.keys[j] == h {
			return t.kinds[j], true
		}
		j = (j + 1) & (uint64(len(t.keys)) - 1)
	}
	return 0, false
}

var hashT, hashApostrophe = fnv(seedWord, []byte("t")), fnv(seedWord, []byte("'"))

// kindOf classes a normalised word.
func kindOf(w []byte) wordKind {
	if k, ok := listed.get(fnv(seedWord, w)); ok {
		return k
	}
	return contentOrPunct(w)
}

// contentOrPunct classes a word that is neither function word nor
// negation.
func contentOrPunct(w []byte) wordKind {
	if c := w[0]; c < utf8.RuneSelf {
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			return contentWord
		}
	}
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRune(w[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return contentWord
		}
		i += size
	}
	return punctWord
}

// IsFunctionWord reports whether a feature name is a function word or
// punctuation, the features that should not decide a stance.
func IsFunctionWord(feature string) bool {
	k := kindOf([]byte(feature))
	return k == functionWord || k == punctWord
}

// OnlyFunctionWords reports whether a feature is made only of function
// words and punctuation ("the", "of the", ","; "piece:the" of models that
// name pieces so).
func OnlyFunctionWords(feature string) bool {
	if strings.HasPrefix(feature, "concept:") {
		return false
	}
	for _, w := range strings.Fields(strings.TrimPrefix(feature, "piece:")) {
		if !IsFunctionWord(strings.TrimPrefix(w, "##")) {
			return false
		}
	}
	return true
}
