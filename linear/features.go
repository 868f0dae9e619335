package linear

import (
	"fmt"
	"math"
	"strconv"
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
}

// DefaultFeatures is the feature set training starts from.
var DefaultFeatures = Features{Dim: 1 << 18, WordNgrams: 2, Pieces: true}

func (f Features) validate() error {
	switch {
	case f.Dim < 2 || f.Dim > 1<<24 || f.Dim&(f.Dim-1) != 0:
		return fmt.Errorf("feature dim %d is not a power of two in [2, 2^24]", f.Dim)
	case f.WordNgrams < 1 || f.WordNgrams > 3:
		return fmt.Errorf("word_ngrams %d not in [1, 3]", f.WordNgrams)
	case f.CharMin < 0 || f.CharMax < f.CharMin || f.CharMax > 6 || (f.CharMin == 0) != (f.CharMax == 0):
		return fmt.Errorf("char n-gram range [%d, %d] invalid", f.CharMin, f.CharMax)
	}
	return nil
}

// Seeds keep feature kinds apart in the hash space.
const (
	seedWord   = 0x9e3779b97f4a7c15
	seedBigram = 0xbf58476d1ce4e5b9
	seedTri    = 0x94d049bb133111eb
	seedPiece  = 0x2545f4914f6cdd1d
	seedChar   = 0x632be59bd9b4e019
	seedTarget = 0x8cb92ba72f3d8dd7
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
	cfg    Features
	hashes []uint64
	names  []string
	framed []byte // scratch for charNgrams
}

func (x *extractor) add(h uint64, name func() string) {
	x.hashes = append(x.hashes, h)
	if x.names != nil {
		x.names = append(x.names, name())
	}
}

// extract fills x from an encoding; vocab names pieces for explanations.
func (x *extractor) extract(e *tokenize.Encoding, tk *tokenize.Tokenizer, target uint64, targetName string) {
	x.hashes = x.hashes[:0]
	if x.names != nil {
		x.names = x.names[:0]
	}
	word := func(i int) []byte { return e.Norm[e.Words[i][0]:e.Words[i][1]] }
	var prev, prev2 uint64
	for i := range e.Words {
		w := word(i)
		h := fnv(seedWord, w)
		x.add(h, func() string { return string(word(i)) })
		if x.cfg.WordNgrams >= 2 && i >= 1 {
			x.add(mix(prev^seedBigram+h), func() string { return string(word(i-1)) + " " + string(word(i)) })
		}
		if x.cfg.WordNgrams >= 3 && i >= 2 {
			x.add(mix(mix(prev2^seedTri+prev)+h), func() string {
				return string(word(i-2)) + " " + string(word(i-1)) + " " + string(word(i))
			})
		}
		if x.cfg.CharMin > 0 {
			x.charNgrams(w)
		}
		prev2, prev = prev, h
	}
	if x.cfg.Pieces {
		for _, p := range e.Pieces {
			x.add(mix(seedPiece+uint64(p)), func() string { return "piece:" + tk.Piece(p) })
		}
	}
	if x.cfg.TargetCross && target != 0 {
		n := len(x.hashes)
		for i := 0; i < n; i++ {
			x.add(mix(x.hashes[i]^target), func() string { return targetName + "×" + x.names[i] })
		}
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
// by its count, so long and short sentences score on one scale.
func scale(n int) float32 {
	if n == 0 {
		return 0
	}
	return float32(1 / math.Sqrt(float64(n)))
}
