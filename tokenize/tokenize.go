package tokenize

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/sugarme/tokenizer"
	"github.com/sugarme/tokenizer/model"
	"github.com/sugarme/tokenizer/model/wordpiece"
	"github.com/sugarme/tokenizer/normalizer"
	"github.com/sugarme/tokenizer/pretrained"
)

// Tokenizer splits text into words and WordPiece tokens. It is safe for
// concurrent use.
type Tokenizer struct {
	json     []byte
	model    tokenizer.Model // the library's WordPiece, which the fast path calls
	libOnce  sync.Once
	lib      *tokenizer.Tokenizer // the library's full pipeline; see library
	libErr   error
	vocab    []string // id → token
	specials []string // added tokens the library matches in raw text
	unk      int32
	cache    *wordCache
	maxWord  int       // longer words are one [UNK]; see appendWord
	longWord *wordInfo // what every such word maps to
}

// Encoding is the result of [Tokenizer.Encode]. Its slices are reused by the
// next call on the same Encoding, so one Encoding serves a whole stream of
// texts without allocating.
type Encoding struct {
	// Norm is the normalised text of the words, concatenated.
	Norm []byte
	// Words holds each word's [start, end) in Norm.
	Words [][2]int32
	// Pieces holds the WordPiece token ids of all words, in order.
	Pieces []int32
	// PieceWord holds, for each piece, the index of its word.
	PieceWord []int32
	// Stems holds each word's English (Snowball) stem; words of fewer
	// than three bytes are their own stem.
	Stems []string
}

// Word returns the normalised text of word i. It allocates; the hot path
// reads Norm[Words[i][0]:Words[i][1]] instead.
func (e *Encoding) Word(i int) string {
	return string(e.Norm[e.Words[i][0]:e.Words[i][1]])
}

func (e *Encoding) reset() {
	e.Norm = e.Norm[:0]
	e.Words = e.Words[:0]
	e.Pieces = e.Pieces[:0]
	e.PieceWord = e.PieceWord[:0]
	e.Stems = e.Stems[:0]
}

// DefaultCacheBytes bounds the memory of a Tokenizer's word cache.
const DefaultCacheBytes = 8 << 20

// Load builds a Tokenizer from the bytes of a tokenizer.json written by
// [BuildBertJSON] (or an equivalent HuggingFace file).
//
// The fast path needs only the library's WordPiece model, built here from
// the validated vocabulary. The library's full pipeline, which parses the
// file a second time and takes most of the loading time, is built on first
// use by [Tokenizer.Reference] or the special-token path.
func Load(data []byte) (*Tokenizer, error) {
	cfg, err := parse(data)
	if err != nil {
		return nil, err
	}
	vocab := model.Vocab(cfg.Model.Vocab)
	wp := wordpiece.NewWordPieceBuilder().
		Vocab(&vocab).
		UnkToken(cfg.Model.UnkToken).
		ContinuingSubwordPrefix(cfg.Model.ContinuingSubwordPrefix).
		MaxInputCharsPerWord(cfg.Model.MaxInputCharsPerWord).
		Build()
	t := &Tokenizer{
		json:    data,
		model:   wp,
		vocab:   make([]string, len(cfg.Model.Vocab)),
		unk:     int32(cfg.Model.Vocab[cfg.Model.UnkToken]),
		cache:   newWordCache(DefaultCacheBytes),
		maxWord: cfg.Model.MaxInputCharsPerWord,
	}
	t.longWord = &wordInfo{pieces: []int32{t.unk}}
	for tok, id := range cfg.Model.Vocab {
		t.vocab[id] = tok
	}
	for _, a := range cfg.AddedTokens {
		t.specials = append(t.specials, a.Content)
	}
	return t, nil
}

// library returns the library's full tokenizer, loading it once.
func (t *Tokenizer) library() (*tokenizer.Tokenizer, error) {
	t.libOnce.Do(func() {
		// The file was validated by Load; the recover is a backstop for
		// library code paths that panic instead of returning errors.
		defer func() {
			if r := recover(); r != nil {
				t.libErr = fmt.Errorf("tokenizer.json: rejected by the tokenizer library: %v", r)
			}
		}()
		t.lib, t.libErr = pretrained.FromReader(bytes.NewReader(t.json))
		if t.libErr != nil {
			t.libErr = fmt.Errorf("tokenizer.json: %w", t.libErr)
		}
	})
	return t.lib, t.libErr
}

// VocabSize returns the number of WordPiece tokens.
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// Piece returns the token string of a vocabulary id.
func (t *Tokenizer) Piece(id int32) string {
	if id < 0 || int(id) >= len(t.vocab) {
		return ""
	}
	return t.vocab[id]
}

// Encode tokenises text into e, replacing its previous contents. The result
// equals the library's full pipeline ([Tokenizer.Reference]) for every
// input; text holding a special token such as "[SEP]", which the library
// treats as a token of its own, takes the library's path.
func (t *Tokenizer) Encode(text string, e *Encoding) error {
	e.reset()
	if strings.IndexByte(text, '[') >= 0 && t.hasSpecial(text) {
		return t.encodeLibrary(text, e)
	}
	start := 0
	endWord := func() {
		if end := len(e.Norm); end > start {
			t.appendWord(e, int32(start), int32(end))
			start = end
		}
	}
	for _, r := range text {
		// Order as in the library: clean text, pad CJK, lower-case, strip
		// combining marks, then split on ASCII whitespace and punctuation.
		if r < utf8.RuneSelf {
			switch {
			case r == ' ' || r == '\t' || r == '\n' || r == '\r':
				endWord()
			case r < 0x20 || r == 0x7f:
				// control characters are dropped
			case 'A' <= r && r <= 'Z':
				e.Norm = append(e.Norm, byte(r+'a'-'A'))
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
				e.Norm = append(e.Norm, byte(r))
			default: // all other printable ASCII is BERT punctuation
				endWord()
				e.Norm = append(e.Norm, byte(r))
				endWord()
			}
			continue
		}
		if r == utf8.RuneError || isControl(r) {
			continue
		}
		if normalizer.IsChinese(r) {
			endWord()
			e.Norm = utf8.AppendRune(e.Norm, r)
			endWord()
			continue
		}
		r = unicode.ToLower(r)
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if normalizer.IsBertPunctuation(r) {
			endWord()
			e.Norm = utf8.AppendRune(e.Norm, r)
			endWord()
			continue
		}
		e.Norm = utf8.AppendRune(e.Norm, r)
	}
	endWord()
	return nil
}

func (t *Tokenizer) hasSpecial(text string) bool {
	for _, s := range t.specials {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// appendWord records Norm[start:end] as a word and appends its pieces.
// A word over the WordPiece limit is [UNK] whatever it holds: it is
// neither tokenised nor stemmed nor cached, so that a flood of long unique
// words costs neither CPU nor cache space.
func (t *Tokenizer) appendWord(e *Encoding, start, end int32) {
	w := int32(len(e.Words))
	e.Words = append(e.Words, [2]int32{start, end})
	word := e.Norm[start:end]
	info := t.longWord
	if len(word) <= t.maxWord || utf8.RuneCount(word) <= t.maxWord {
		if info = t.cache.get(word); info == nil {
			info = &wordInfo{pieces: t.wordPieces(string(word)), stem: stem(string(word))}
			t.cache.put(string(word), info)
		}
	}
	for _, p := range info.pieces {
		e.Pieces = append(e.Pieces, p)
		e.PieceWord = append(e.PieceWord, w)
	}
	e.Stems = append(e.Stems, info.stem)
}

// stem returns the Snowball English stem of a lower-case word.
func stem(word string) string {
	if len(word) < 3 {
		return word
	}
	return english.Stem(word, true)
}

// wordPieces runs the library's WordPiece model on one pre-tokenised word.
func (t *Tokenizer) wordPieces(word string) []int32 {
	toks, err := t.model.Tokenize(word)
	if err != nil || len(toks) == 0 {
		return []int32{t.unk}
	}
	ids := make([]int32, len(toks))
	for i, tk := range toks {
		ids[i] = int32(tk.Id)
	}
	return ids
}

// encodeLibrary fills e from the library's full pipeline.
func (t *Tokenizer) encodeLibrary(text string, e *Encoding) error {
	toks, words, err := t.Reference(text)
	if err != nil {
		return err
	}
	last := -1
	for i, id := range toks {
		if words[i] != last {
			last = words[i]
			start := int32(len(e.Norm))
			e.Norm = append(e.Norm, strings.TrimPrefix(t.vocab[id], "##")...)
			e.Words = append(e.Words, [2]int32{start, int32(len(e.Norm))})
		} else {
			e.Norm = append(e.Norm, strings.TrimPrefix(t.vocab[id], "##")...)
			e.Words[len(e.Words)-1][1] = int32(len(e.Norm))
		}
		e.Pieces = append(e.Pieces, id)
		e.PieceWord = append(e.PieceWord, int32(len(e.Words)-1))
	}
	for i := range e.Words {
		e.Stems = append(e.Stems, stem(e.Word(i)))
	}
	return nil
}

// Reference tokenises text with the library's full pipeline (normaliser,
// pre-tokeniser, WordPiece, no special tokens added) and returns the token
// ids with the index of each token's word. It is the definition that
// [Tokenizer.Encode] reproduces, and much slower.
//
// The library's offset bookkeeping breaks when a normalisation step changes
// a character's byte length: deleting a multi-byte control character garbles
// the text ("\ufeff00" becomes "000 ##00 ##0") and lower-casing "İ" panics.
// Reference therefore applies those two idempotent steps, exactly as the
// library defines them, before handing the text over.
func (t *Tokenizer) Reference(text string) (ids []int32, words []int, err error) {
	return t.reference(strings.ToLower(strings.Map(func(r rune) rune {
		if r == 0 || r == utf8.RuneError || isControl(r) {
			return -1
		}
		return r
	}, text)))
}

// ErrLibraryPanic wraps the errors of [Tokenizer.Reference] for inputs on
// which the library panicked: the library refusing an input, not a fault
// of the fast path.
var ErrLibraryPanic = errors.New("tokenize: library failed on input")

// isControl reports the characters BERT's clean-text step deletes.
func isControl(r rune) bool {
	return r != '\t' && r != '\n' && r != '\r' && unicode.In(r, unicode.Cc, unicode.Cf)
}

func (t *Tokenizer) reference(text string) (ids []int32, words []int, err error) {
	if !utf8.ValidString(text) {
		return nil, nil, fmt.Errorf("tokenize: text is not valid UTF-8")
	}
	defer func() {
		if r := recover(); r != nil {
			ids, words, err = nil, nil, fmt.Errorf("%w: %v", ErrLibraryPanic, r)
		}
	}()
	lib, err := t.library()
	if err != nil {
		return nil, nil, err
	}
	enc, err := lib.EncodeSingle(text, false)
	if err != nil {
		return nil, nil, fmt.Errorf("tokenize: %w", err)
	}
	ids = make([]int32, len(enc.Ids))
	for i, id := range enc.Ids {
		ids[i] = int32(id)
	}
	return ids, enc.Words, nil
}

// wordInfo is what the cache keeps of a word.
type wordInfo struct {
	pieces []int32
	stem   string
}

// size estimates the bytes an entry holds: the key, the pieces, the stem
// and the map's, the entry's and the slices' own overhead.
func (w *wordInfo) size(word string) int {
	return len(word) + 4*len(w.pieces) + len(w.stem) + 112
}

// wordCache maps words to their pieces and stems, bounded in bytes. Readers
// see an immutable snapshot through an atomic pointer, so the common hit
// costs one map lookup and no lock that cores would contend for; new words
// go to a small locked map that is merged into a fresh snapshot once it
// fills. When the snapshot would exceed its budget it starts again empty,
// which keeps memory bounded at the cost of a brief refill — cheaper than
// LRU bookkeeping on every hit of a Zipfian stream. While a snapshot is
// rebuilt the old one is still referenced, so the peak is twice the budget.
type wordCache struct {
	snap      atomic.Pointer[cacheSnap]
	mu        sync.Mutex // guards pending and pendingSz
	pending   map[string]*wordInfo
	pendingSz int
	maxBytes  int
}

type cacheSnap struct {
	words map[string]*wordInfo
	bytes int
}

// pendingWords is how many new words at most wait before a snapshot is
// rebuilt.
const pendingWords = 256

func newWordCache(maxBytes int) *wordCache {
	c := &wordCache{pending: make(map[string]*wordInfo), maxBytes: maxBytes}
	c.snap.Store(&cacheSnap{words: map[string]*wordInfo{}})
	return c
}

// get returns the cached entry of word, or nil.
func (c *wordCache) get(word []byte) *wordInfo {
	if p := c.snap.Load().words[string(word)]; p != nil { // no allocation: the compiler converts in place
		return p
	}
	c.mu.Lock()
	p := c.pending[string(word)]
	c.mu.Unlock()
	return p
}

func (c *wordCache) put(word string, info *wordInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[word]; !ok {
		c.pendingSz += info.size(word)
	}
	c.pending[word] = info
	old := c.snap.Load()
	// A small snapshot is cheap to copy, so it is rebuilt early: the
	// words of a warm, narrow stream move out of the locked map at once.
	if len(c.pending) < min(pendingWords, max(8, len(old.words)/4)) && c.pendingSz < c.maxBytes/16 {
		return
	}
	next := &cacheSnap{words: make(map[string]*wordInfo, len(old.words)+len(c.pending))}
	if old.bytes+c.pendingSz <= c.maxBytes {
		for k, v := range old.words {
			next.words[k] = v
		}
		next.bytes = old.bytes
	}
	for k, v := range c.pending {
		if _, ok := next.words[k]; !ok {
			next.bytes += v.size(k)
		}
		next.words[k] = v
	}
	c.snap.Store(next)
	clear(c.pending)
	c.pendingSz = 0
}

// CacheBytes reports the bytes held by the word cache's snapshot.
func (t *Tokenizer) CacheBytes() int { return t.cache.snap.Load().bytes }
