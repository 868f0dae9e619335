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
// 0.3 ms a sentence — thirty times the whole classification. Latin-script
// text that English function words mark beyond doubt (see plainEnglish)
// returns at once with confidence 1.
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

// Word classes of the fast path, keyed by a word's lower-case ASCII bytes
// packed into an integer.
const (
	strongWord  = 1 // English function words that are not words of the other candidates
	sharedWord  = 2 // English function words that are also words of other candidates
	foreignWord = 3 // function words of the other Latin-script candidates
)

var wordClass = func() map[uint64]uint8 {
	m := map[uint64]uint8{}
	for class, words := range map[uint8]string{
		strongWord: "the and that with said has have its their would should could which who not are " +
			"this these those from they them been were our his she after about into than while when " +
			"there two three did does told says any since along before under against between without " +
			"through during because where then only such being other some each both year many",
		// "was", "will" and "also" are German, "of" and "had" Dutch, "on"
		// French, "to" Polish, ...
		sharedWord: "a in of to is was for will it be at on as an or but we us he her by over more all can may had also",
		// Some are English too ("die", "pour", "I") or begin names ("de",
		// "da", "al"): they only send a text to lingua.
		foreignWord: "der die das und ist nicht ein eine einen dem den des mit sich auf auch wird sind zu von nach bei aus wie am im " +
			"de un le la les et est une du dans par pour que qui pas sur avec ne se il elle sont ont au aux " +
			"el es los las y del una por con para su al lo como pero sus " +
			"e o os da dos das com uma nao em um " +
			"di che della non gli nel alla " +
			"het een en van niet zijn dat op ook voor er te naar bij maar " +
			"i w z na sie nie jest ze " +
			"ve bir bu ile icin " +
			"dan yang ini itu dengan untuk dari tidak akan ke pada",
	} {
		for _, w := range strings.Fields(words) {
			m[packWord(w)] = class
		}
	}
	return m
}()

func packWord(w string) uint64 {
	var key uint64
	for i := range len(w) {
		key = key<<8 | uint64(w[i])
	}
	return key
}

// plainEnglish reports whether text is Latin-script English by its
// function words (of up to eight letters): two distinct English-only ones,
// or one and two shared with other languages, making an eighth of the
// words, and no function word of another candidate language. Shared words
// alone never suffice: "Was will Moskau in Kiew erreichen?" has three.
func plainEnglish(text string) bool {
	var strong, shared distinctWords
	hits, words, foreign := 0, 0, false
	for i := 0; i < len(text); {
		if c := text[i]; c < utf8.RuneSelf {
			if !isASCIILetter(c) {
				i++
				continue
			}
		} else if r, size := utf8.DecodeRuneInString(text[i:]); !unicode.IsLetter(r) {
			i += size
			continue
		}
		// A word: its ASCII letters are packed lower-case as they go.
		j, ascii, upper, key := i, true, true, uint64(0)
		for j < len(text) {
			if c := text[j]; c < utf8.RuneSelf {
				if !isASCIILetter(c) {
					break
				}
				upper = upper && c < 'a'
				key = key<<8 | uint64(c|0x20) // sets the lower-case bit
				j++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r) {
				break
			}
			if !unicode.Is(unicode.Latin, r) {
				return false
			}
			ascii = false
			j += size
		}
		words++
		// Capitals ("UN", "US", "I", "E3") and parts of compounds
		// ("de-risking", "Shangri-La") are not function words, nor are
		// foreign ones capitalised ("Kim Jong Un", "La Paz"); longer words
		// would overflow the key.
		compound := j < len(text) && text[j] == '-' || i > 0 && text[i-1] == '-'
		if ascii && !upper && !compound && j-i <= 8 {
			switch wordClass[key] {
			case strongWord:
				hits++
				strong.add(key)
			case sharedWord:
				hits++
				shared.add(key)
			case foreignWord:
				foreign = foreign || text[i] >= 'a'
			}
		}
		i = j
	}
	return !foreign && (strong.n >= 2 || strong.n >= 1 && shared.n >= 2) && hits*8 >= words
}

// distinctWords counts distinct packed words, up to three.
type distinctWords struct {
	seen [3]uint64
	n    int
}

func (d *distinctWords) add(key uint64) {
	if d.n < len(d.seen) && key != d.seen[0] && key != d.seen[1] {
		d.seen[d.n] = key
		d.n++
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
