// Package langid tells whether a sentence is English, and if not, which
// language it is most likely in. The question the service asks is the
// first: its models read English, and a text in another language is
// flagged rather than guessed at. So the detector weighs word evidence —
// which words are English, which are function words of other languages —
// and asks a small trigram model (whatlanggo) only to name a foreign
// language.
package langid

import (
	_ "embed"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
)

// Languages are the candidates a foreign text is named among (ISO 639-1).
var Languages = []string{"en", "fr", "de", "es", "pt", "it", "nl", "ru", "uk", "pl", "tr", "ar", "fa", "zh", "ja", "ko", "hi", "id",
	"sv", "da", "no", "cs", "ro", "hu", "vi", "el", "he", "bg", "sr", "hr", "fi", "sk"}

// english holds the whole words of the BERT uncased WordPiece vocabulary
// (the default model's tokenizer) and the lower-case words of the training
// corpus (scripts/englishwords): words of two or more ASCII letters,
// English but for a few hundred names and foreign function words, which
// the word classes below override.
//
//go:embed english.txt
var englishList string

var englishWords = func() map[string]bool {
	m := make(map[string]bool, 22000)
	for _, w := range strings.Fields(englishList) {
		m[w] = true
	}
	return m
}()

// Detector detects languages. It is safe for concurrent use.
type Detector struct {
	whitelist whatlanggo.Options
}

// Result is a detection.
type Result struct {
	// Code is the ISO 639-1 code, "" when the text has no letters.
	Code string
	// Confidence is in [0, 1].
	Confidence float64
}

// New returns a detector over Languages.
func New() *Detector {
	d := &Detector{whitelist: whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{}}}
	for l := range whatlanggo.Langs {
		if code := l.Iso6391(); code != "en" && slices.Contains(Languages, code) {
			d.whitelist.Whitelist[l] = true
		}
	}
	return d
}

// Likelihood ratios of one lower-case word's evidence, foreign against
// English. A function word of another language, or a letter English does
// not use, is strong evidence; a word outside the English list is good
// evidence; a word in the list is weaker evidence for English, because the
// list holds some foreign words and names. One strong or good word alone
// makes a text foreign at 0.9 or more; a text with as much evidence either
// way is even.
const (
	strongOdds  = 20
	unknownOdds = 9
	englishOdds = 4
)

// Detect returns the most likely language of text.
//
// Most sentences the service sees are English: Latin-script text that
// English function words mark beyond doubt (see plainEnglish) returns at
// once with confidence 1. Text mostly in another script is foreign with
// confidence 1. Other Latin-script text is weighed word by word (see
// evidence); when it leans foreign, whatlanggo names the language.
func (d *Detector) Detect(text string) Result {
	if plainEnglish(text) {
		return Result{Code: "en", Confidence: 1}
	}
	letters, latin := 0, 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.Is(unicode.Latin, r) {
				latin++
			}
		}
	}
	if letters == 0 {
		return Result{}
	}
	if 2*latin < letters {
		return Result{Code: d.name(text, ""), Confidence: 1}
	}
	p := 1 / (1 + math.Exp(-evidence(text))) // P(foreign)
	if p <= 0.5 {
		return Result{Code: "en", Confidence: 1 - p}
	}
	return Result{Code: d.name(text, "en"), Confidence: p}
}

// functionWordsOf lists frequent function words of the Latin-script
// candidates. Short texts give a trigram model little to go on, and it
// confuses near neighbours (Dutch and German, Spanish and Portuguese);
// two or more of a language's function words name it.
var functionWordsOf = func() map[string][]string {
	m := map[string][]string{}
	for code, words := range map[string]string{
		"de": "der die das und ist nicht ein eine einen dem den des mit sich auf auch wird sind zu von nach bei aus wie im ich wir sie es hat haben werden",
		"fr": "le la les et est une un du des dans par pour que qui pas sur avec ne se il elle sont ont au aux ce cette nous vous",
		"es": "el la los las y del una un por con para su al lo como pero sus es que se en no muy esta este",
		"pt": "o os as da do dos das com uma um nao não em que se para por mais muito foi",
		"it": "il lo la gli le di che della del non nel alla un una per con sono ha è anche",
		"nl": "het een en van niet zijn dat op ook voor er te naar bij maar de is wordt heeft ik we",
		"pl": "i w z na sie się nie jest ze do to że jak od po we przez",
		"tr": "ve bir bu ile icin için da de çok ne",
		"id": "dan yang ini itu dengan untuk dari tidak akan ke pada di",
		"sv": "och att det som en är på för med har inte jag vi av",
		"cs": "je že jsem jsou byl není také",
		"ro": "și şi este în la cu pe din care un o",
		"vi": "và là của có không trong những được",
	} {
		for _, w := range strings.Fields(words) {
			m[w] = append(m[w], code)
		}
	}
	return m
}()

// name returns the language of a foreign text: the one whose function
// words it holds most, with at least two and no tie; else the one
// whatlanggo finds among the candidates; else fallback.
func (d *Detector) name(text, fallback string) string {
	votes := map[string]int{}
	for w := range strings.FieldsFuncSeq(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		for _, code := range functionWordsOf[w] {
			votes[code]++
		}
	}
	best, second := "", 0
	for code, n := range votes {
		switch {
		case best == "" || n > votes[best] || n == votes[best] && code < best:
			if best != "" {
				second = max(second, votes[best])
			}
			best = code
		default:
			second = max(second, n)
		}
	}
	if best != "" && votes[best] >= 2 && votes[best] > second {
		return best
	}
	info := whatlanggo.DetectWithOptions(text, d.whitelist)
	if code := info.Lang.Iso6391(); code != "" && d.whitelist.Whitelist[info.Lang] {
		return code
	}
	if fallback == "" {
		return "und"
	}
	return fallback
}

// evidence returns the log-odds that a Latin-script text is foreign, from
// its words. Lower-case words are the evidence (see the odds above).
// Capitalised words are mostly names, which tell nothing, so they count
// only when the text has no lower-case word (a headline in title case),
// and then not when they are unknown.
func evidence(text string) float64 {
	var capitalised []string
	lower, score := 0, 0.0
	strong, unknown, english := math.Log(strongOdds), math.Log(unknownOdds), math.Log(englishOdds)
	for w := range strings.FieldsFuncSeq(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '\u2019' && r != '-' }) {
		w = strings.Trim(w, "'\u2019-")
		compound := false
		if i := strings.LastIndexByte(w, '-'); i >= 0 {
			// "de-risking", "non-negotiable": the head, the last part,
			// is the word; a first part is no function word.
			w, compound = w[i+1:], true
		}
		if w == "" {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(w); !unicode.IsLower(r) {
			capitalised = append(capitalised, w)
			continue
		}
		lower++
		switch {
		case isForeignWord(w) && !compound || !isASCIIWord(w):
			score += strong
		case isSharedWord(w):
			// "was", "will", "in": words of English and other languages alike
		case isEnglishWord(w):
			score -= english
		default:
			score += unknown
		}
	}
	if lower == 0 {
		for _, w := range capitalised {
			switch w = strings.ToLower(w); {
			case isForeignWord(w) || !isASCIIWord(w):
				score += strong
			case isEnglishWord(w):
				score -= english
			}
		}
	}
	return score
}

// isASCIIWord reports whether w uses only letters English uses (the
// apostrophe of "it’s" included).
func isASCIIWord(w string) bool {
	for _, r := range w {
		if r >= utf8.RuneSelf && r != '\u2019' {
			return false
		}
	}
	return true
}

func isForeignWord(w string) bool {
	return len(w) <= 8 && wordClass[packWord(w)] == foreignWord
}

func isSharedWord(w string) bool {
	return len(w) <= 8 && wordClass[packWord(w)] == sharedWord
}

// isEnglishWord reports whether a lower-case word is English: in the list,
// or a possessive or plural of a word in it.
func isEnglishWord(w string) bool {
	for _, r := range w {
		if r >= utf8.RuneSelf && r != '’' {
			return false
		}
	}
	w = strings.ReplaceAll(w, "’", "'")
	if englishWords[w] {
		return true
	}
	for _, suffix := range []string{"'s", "s", "es", "ed", "d", "ing", "ly"} {
		if stem, ok := strings.CutSuffix(w, suffix); ok && len(stem) > 2 && englishWords[stem] {
			return true
		}
	}
	return len(w) == 1
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
		// "da", "al"): they only keep a text off the fast path.
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
