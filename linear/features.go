package linear

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stanceproject/stance/tokenize"
)

// Features configures feature extraction. The zero value is invalid; see
// DefaultFeatures.
type Features struct {
	// Dim is the number of hash buckets, a power of two.
	Dim int `json:"dim"`
	// WordNgrams is the longest word n-gram (1 to 3).
	WordNgrams int `json:"word_ngrams"`
	// Pieces adds every WordPiece token as a feature.
	Pieces bool `json:"pieces"`
	// CharMin and CharMax bound character n-grams within words; 0 disables.
	CharMin int `json:"char_min"`
	CharMax int `json:"char_max"`
	// TargetCross adds, when a request names a target, a copy of every
	// feature crossed with the target, so that each target learns its own
	// weights on top of the shared ones.
	TargetCross bool `json:"target_cross"`

	// The options below are off in models trained before they existed,
	// which therefore score as they always did.

	// Binary counts each feature once per text and normalises over the
	// distinct features, so that repeating a word cannot raise a score.
	Binary bool `json:"binary,omitempty"`
	// MinNorm is the least feature count the vector is normalised by: a
	// text of few features is not scaled up to the weight of a sentence,
	// so that a single word carries little evidence.
	MinNorm int `json:"min_norm,omitempty"`
	// ContentWords leaves function words and punctuation out as features
	// of their own (and bigrams made only of them), so that they cannot
	// decide a stance; they still form bigrams with content words.
	ContentWords bool `json:"content_words,omitempty"`
	// Stems adds each word's stem, shared by its inflected forms.
	Stems bool `json:"stems,omitempty"`
	// PieceBackoff limits WordPiece features to words the vocabulary
	// splits into several pieces, where they back off from a rare word.
	PieceBackoff bool `json:"piece_backoff,omitempty"`
	// Concepts adds a feature per match of a class of the model's lexicon
	// (lexicon.json), named "concept:NAME".
	Concepts bool `json:"concepts,omitempty"`
	// Negation adds, for each content word in the scope of a negation
	// ("has not condemned"), a negated copy named "not WORD".
	Negation bool `json:"negation,omitempty"`
}

// DefaultFeatures is the feature set training starts from: content words,
// their stems and bigrams, negated words, and pieces of rare words, each
// counted once.
var DefaultFeatures = Features{
	Dim: 1 << 18, WordNgrams: 2, Pieces: true,
	Binary: true, MinNorm: 16, ContentWords: true, Stems: true, PieceBackoff: true, Negation: true,
}

func (f Features) validate() error {
	switch {
	case f.Dim < 2 || f.Dim > 1<<24 || f.Dim&(f.Dim-1) != 0:
		return fmt.Errorf("feature dim %d is not a power of two in [2, 2^24]", f.Dim)
	case f.WordNgrams < 1 || f.WordNgrams > 3:
		return fmt.Errorf("word_ngrams %d not in [1, 3]", f.WordNgrams)
	case f.CharMin < 0 || f.CharMax < f.CharMin || f.CharMax > 6 || (f.CharMin == 0) != (f.CharMax == 0):
		return fmt.Errorf("char n-gram range [%d, %d] invalid", f.CharMin, f.CharMax)
	case f.MinNorm < 0 || f.MinNorm > 1000:
		return fmt.Errorf("min_norm %d not in [0, 1000]", f.MinNorm)
	}
	return nil
}

// Seeds keep feature kinds apart in the hash space.
const (
	seedWord    = 0x9e3779b97f4a7c15
	seedBigram  = 0xbf58476d1ce4e5b9
	seedTri     = 0x94d049bb133111eb
	seedPiece   = 0x2545f4914f6cdd1d
	seedChar    = 0x632be59bd9b4e019
	seedTarget  = 0x8cb92ba72f3d8dd7
	seedStem    = 0x4be98134a5976fd3
	seedConcept = 0x3bc0993a5ad19a13
	seedNeg     = 0x1b8b4e54e4bd3c9f
)

// mix is the splitmix64 finaliser: it spreads FNV's weak low bits.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func fnv(seed uint64, b []byte) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return mix(h)
}

// TargetKey hashes a target name for crossing; 0 means no target.
func targetKey(target string) uint64 {
	if target == "" {
		return 0
	}
	return fnv(seedTarget, []byte(target))
}

// extractor collects the hashed features of one text. When names is
// non-nil it also records a readable name for each feature (explanations).
type extractor struct {
	cfg        Features
	lex        *lexicon // nil unless cfg.Concepts
	hashes     []uint64
	names      []string
	framed     []byte // scratch for charNgrams
	kinds      []wordKind
	wordHashes []uint64
	seen       []uint64 // scratch hash set of dedupe
}

func (x *extractor) add(h uint64, name func() string) {
	x.hashes = append(x.hashes, h)
	if x.names != nil {
		x.names = append(x.names, name())
	}
}

// negationScope is how many content words after a negation it reaches.
const negationScope = 3

// extract fills x from an encoding; vocab names pieces for explanations.
func (x *extractor) extract(e *tokenize.Encoding, tk *tokenize.Tokenizer, target uint64, targetName string) {
	x.hashes = x.hashes[:0]
	if x.names != nil {
		x.names = x.names[:0]
	}
	word := func(i int) []byte { return e.Norm[e.Words[i][0]:e.Words[i][1]] }
	x.wordHashes = x.wordHashes[:0]
	for i := range e.Words {
		x.wordHashes = append(x.wordHashes, fnv(seedWord, word(i)))
	}
	content := x.cfg.ContentWords || x.cfg.Negation
	if content {
		x.kinds = wordKinds(x.kinds[:0], x.wordHashes, word)
	}
	// kind reports a word's class when the options need it, else contentWord.
	kind := func(i int) wordKind {
		if !content {
			return contentWord
		}
		return x.kinds[i]
	}
	var prev, prev2 uint64
	negLeft := 0 // content words left in the current negation's scope
	for i := range e.Words {
		w, h, k := word(i), x.wordHashes[i], kind(i)
		if !x.cfg.ContentWords || k == contentWord {
			x.add(h, func() string { return string(word(i)) })
		}
		if x.cfg.WordNgrams >= 2 && i >= 1 && x.keepNgram(kind(i-1), k) {
			x.add(mix(prev^seedBigram+h), func() string { return string(word(i-1)) + " " + string(word(i)) })
		}
		if x.cfg.WordNgrams >= 3 && i >= 2 && x.keepNgram(kind(i-2), kind(i-1), k) {
			x.add(mix(mix(prev2^seedTri+prev)+h), func() string {
				return string(word(i-2)) + " " + string(word(i-1)) + " " + string(word(i))
			})
		}
		if x.cfg.Stems && k == contentWord {
			if st := e.Stems[i]; st != "" && st != string(w) {
				x.add(fnv(seedStem, []byte(st)), func() string { return string(word(i)) })
			}
		}
		if x.cfg.Negation {
			switch {
			case k == negationWord:
				negLeft = negationScope
			case k == punctWord:
				negLeft = 0
			case k == contentWord && negLeft > 0:
				negLeft--
				x.add(mix(seedNeg^h), func() string { return "not " + string(word(i)) })
			}
		}
		if x.cfg.CharMin > 0 {
			x.charNgrams(w)
		}
		prev2, prev = prev, h
	}
	if x.cfg.Pieces {
		for j, p := range e.Pieces {
			wi := int(e.PieceWord[j])
			if x.cfg.PieceBackoff {
				if !multiPiece(e, j) || kind(wi) != contentWord {
					continue
				}
				x.add(mix(seedPiece+uint64(p)), func() string { return string(word(wi)) })
				continue
			}
			x.add(mix(seedPiece+uint64(p)), func() string { return "piece:" + tk.Piece(p) })
		}
	}
	if x.cfg.Concepts && x.lex != nil {
		x.lex.match(e.Stems, func(c int) {
			x.add(x.lex.hashes[c], func() string { return "concept:" + x.lex.names[c] })
		})
	}
	if x.cfg.TargetCross && target != 0 {
		n := len(x.hashes)
		for i := 0; i < n; i++ {
			x.add(mix(x.hashes[i]^target), func() string { return targetName + "×" + x.names[i] })
		}
	}
	if x.cfg.Binary {
		x.dedupe()
	}
}

// keepNgram reports whether an n-gram of words of these kinds is a
// feature: with ContentWords, none that holds punctuation or only
// function words.
func (x *extractor) keepNgram(kinds ...wordKind) bool {
	if !x.cfg.ContentWords {
		return true
	}
	hasContent := false
	for _, k := range kinds {
		if k == punctWord {
			return false
		}
		hasContent = hasContent || k == contentWord
	}
	return hasContent
}

// multiPiece reports whether piece j belongs to a word of several pieces.
func multiPiece(e *tokenize.Encoding, j int) bool {
	w := e.PieceWord[j]
	return j > 0 && e.PieceWord[j-1] == w || j+1 < len(e.PieceWord) && e.PieceWord[j+1] == w
}

// dedupe keeps each feature hash once, in order, with the name it first
// had. The hashes are mixed, so their low bits index an open-addressing
// set directly; 0 marks an empty slot and is kept apart.
func (x *extractor) dedupe() {
	size := 16
	for size < 2*len(x.hashes) {
		size *= 2
	}
	if cap(x.seen) < size {
		x.seen = make([]uint64, size)
	}
	seen := x.seen[:size]
	clear(seen)
	mask := uint64(size - 1)
	n, zero := 0, false
	for i, h := range x.hashes {
		if h == 0 {
			if zero {
				continue
			}
			zero = true
		} else {
			j := h & mask
			for seen[j] != 0 && seen[j] != h {
				j = (j + 1) & mask
			}
			if seen[j] == h {
				continue
			}
			seen[j] = h
		}
		x.hashes[n] = h
		if x.names != nil {
			x.names[n] = x.names[i]
		}
		n++
	}
	x.hashes = x.hashes[:n]
	if x.names != nil {
		x.names = x.names[:n]
	}
}

// charNgrams adds the character n-grams of one word framed by '<' and '>'.
func (x *extractor) charNgrams(w []byte) {
	var starts [64]int // rune starts of the framed word, bounded for speed
	x.framed = append(append(append(x.framed[:0], '<'), w...), '>')
	framed := x.framed
	n := 0
	for i := 0; i < len(framed) && n < len(starts); {
		starts[n] = i
		n++
		_, size := utf8.DecodeRune(framed[i:])
		i += size
	}
	for k := x.cfg.CharMin; k <= x.cfg.CharMax; k++ {
		for s := 0; s+k <= n; s++ {
			end := len(framed)
			if s+k < n {
				end = starts[s+k]
			}
			g := framed[starts[s]:end]
			x.add(fnv(seedChar+uint64(k), g), func() string { return "char:" + strconv.Quote(string(g)) })
		}
	}
}

// scale is the value of each feature occurrence: the vector is L2-normalised
// by its count (at least minNorm), so long and short sentences score on one
// scale.
func scale(n, minNorm int) float32 {
	if n == 0 {
		return 0
	}
	return float32(1 / math.Sqrt(float64(max(n, minNorm))))
}

// ParseFeatures reads a feature set written as "default" and modifiers
// joined by "+": chars (character 3–5-grams), allwords (function words
// and punctuation as features), nostems, nonegation, concepts.
func ParseFeatures(spec string) (Features, error) {
	parts := strings.Split(spec, "+")
	if parts[0] != "default" {
		return Features{}, fmt.Errorf("%q does not start with default", spec)
	}
	f := DefaultFeatures
	for _, p := range parts[1:] {
		switch p {
		case "chars":
			f.CharMin, f.CharMax = 3, 5
		case "allwords":
			f.ContentWords = false
		case "nostems":
			f.Stems = false
		case "nonegation":
			f.Negation = false
		case "concepts":
			f.Concepts = true
		default:
			return Features{}, fmt.Errorf("%q: unknown modifier %q (chars, allwords, nostems, nonegation, concepts)", spec, p)
		}
	}
	return f, nil
}
