// Package langid detects the language of a sentence with lingua-go,
// restricted to the languages of international news, behind a fast path
// for plain English.
package langid

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pemistahl/lingua-go"
)

// Languages are the candidates the detector chooses among (ISO 639-1).
var Languages = []string{"en", "fr", "de", "es", "pt", "it", "nl", "ru", "uk", "pl", "tr", "ar", "fa", "zh", "ja", "ko", "hi", "id"}

// Detector detects languages. It is safe for concurrent use.
type Detector struct {
	ready  chan struct{} // closed once lingua is set
	lingua lingua.LanguageDetector
}

// Result is a detection.
type Result struct {
	// Code is the ISO 639-1 code, "" when the text has no letters.
	Code string
	// Confidence is in [0, 1].
	Confidence float64
}

// New returns a detector over Languages. Lingua's low-accuracy (trigram)
// models, about 10 MB, load in the background — 0.1 to 0.2 s that would
// otherwise double a server's start-up — while the fast path answers at
// once; the first text that needs lingua waits for them.
func New() *Detector {
	d := &Detector{ready: make(chan struct{})}
	go func() {
		var langs []lingua.Language
		for _, code := range Languages {
			langs = append(langs, lingua.GetLanguageFromIsoCode639_1(lingua.GetIsoCode639_1FromValue(code)))
		}
		d.lingua = lingua.NewLanguageDetectorBuilder().
			FromLanguages(langs...).
			WithLowAccuracyMode().
			WithPreloadedLanguageModels().
			Build()
		close(d.ready)
	}()
	return d
}

// Detect returns the most likely language of text.
//
// Most sentences the service sees are English, and lingua costs about
// 0.2 ms a sentence — more than the whole classification. Latin-script text
// in which English function words are at least a fifth of the words, two
// distinct ones at least, is English beyond doubt and returns at once with
// confidence 1.
func (d *Detector) Detect(text string) Result {
	if plainEnglish(text) {
		return Result{Code: "en", Confidence: 1}
	}
	<-d.ready
	vals := d.lingua.ComputeLanguageConfidenceValues(text)
	if len(vals) == 0 || vals[0].Value() == 0 {
		return Result{}
	}
	return Result{Code: strings.ToLower(vals[0].Language().IsoCode639_1().String()), Confidence: vals[0].Value()}
}

// plainEnglish reports whether text is Latin-script English by its
// function words.
func plainEnglish(text string) bool {
	var strong, shared distinctWords
	hits, words := 0, 0
	var buf [6]byte
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if !isLetter(r) {
			i += size
			continue
		}
		j, ascii := i, true
		for j < len(text) {
			r, size := rune(text[j]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(text[j:])
			}
			if !isLetter(r) {
				break
			}
			if r >= utf8.RuneSelf {
				if !unicode.Is(unicode.Latin, r) {
					return false
				}
				ascii = false
			}
			j += size
		}
		words++
		if w := text[i:j]; ascii && len(w) <= len(buf) {
			lw := buf[:len(w)]
			for k := range len(w) {
				lw[k] = w[k] | 0x20 // ASCII letters only: sets the lower-case bit
			}
			switch {
			case isFunctionWord(string(lw)):
				hits++
				strong.add(lw)
			case isSharedWord(string(lw)):
				hits++
				shared.add(lw)
			}
		}
		i = j
	}
	evidence := strong.n >= 2 || strong.n >= 1 && shared.n >= 2
	return evidence && hits*7 >= words
}

// distinctWords counts distinct words of up to six bytes, up to three.
// Words are kept packed in integers, so counting allocates nothing.
type distinctWords struct {
	seen [3]uint64
	n    int
}

func (d *distinctWords) add(w []byte) {
	var key uint64
	for _, c := range w {
		key = key<<8 | uint64(c)
	}
	if d.n < len(d.seen) && key != d.seen[0] && key != d.seen[1] {
		d.seen[d.n] = key
		d.n++
	}
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r|0x20 && r|0x20 <= 'z'
	}
	return unicode.IsLetter(r)
}

// isFunctionWord reports English function words that are not words of the
// other candidate languages.
func isFunctionWord(w string) bool {
	switch w {
	case "the", "and", "that", "with", "said", "has", "have", "had", "its",
		"their", "would", "should", "could", "which", "who", "not", "are",
		"this", "these", "those", "from", "they", "them", "been", "were", "our",
		"his", "she", "after", "about", "into", "than", "also", "while", "when",
		"there", "two", "three", "did", "does", "told", "says", "any":
		return true
	}
	return false
}

// isSharedWord reports English function words that are also words of other
// languages ("was" and "will" in German, "of" in Dutch, "on" in French, "to"
// in Polish, ...).
func isSharedWord(w string) bool {
	switch w {
	case "a", "in", "of", "to", "is", "was", "for", "will", "it", "be", "at",
		"on", "as", "an", "or", "but", "we", "us", "he", "her", "by", "over",
		"more", "all", "can", "may":
		return true
	}
	return false
}
