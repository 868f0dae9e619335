package tokenize

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Special tokens of a BERT vocabulary; the library matches them in raw text.
var bertSpecials = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

// maxWordChars is BERT's max_input_chars_per_word: longer words become [UNK].
const maxWordChars = 100

// tokenizerJSON is the subset of HuggingFace's tokenizer.json that this
// project writes and reads. Field types are concrete so that a malformed file
// fails in encoding/json, not in the library's unchecked type assertions.
type tokenizerJSON struct {
	Version       string          `json:"version"`
	Truncation    *struct{}       `json:"truncation"`
	Padding       *struct{}       `json:"padding"`
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    bertNormalizer  `json:"normalizer"`
	PreTokenizer  typed           `json:"pre_tokenizer"`
	PostProcessor bertProcessing  `json:"post_processor"`
	Decoder       wordPieceDecode `json:"decoder"`
	Model         wordPieceModel  `json:"model"`
}

type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	Lstrip     bool   `json:"lstrip"`
	Rstrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type typed struct {
	Type string `json:"type"`
}

type bertNormalizer struct {
	Type               string `json:"type"`
	CleanText          bool   `json:"clean_text"`
	HandleChineseChars bool   `json:"handle_chinese_chars"`
	StripAccents       bool   `json:"strip_accents"`
	Lowercase          bool   `json:"lowercase"`
}

type bertProcessing struct {
	Type string `json:"type"`
	Sep  [2]any `json:"sep"`
	Cls  [2]any `json:"cls"`
}

type wordPieceDecode struct {
	Type    string `json:"type"`
	Prefix  string `json:"prefix"`
	Cleanup bool   `json:"cleanup"`
}

type wordPieceModel struct {
	Type                    string         `json:"type"`
	UnkToken                string         `json:"unk_token"`
	ContinuingSubwordPrefix string         `json:"continuing_subword_prefix"`
	MaxInputCharsPerWord    int            `json:"max_input_chars_per_word"`
	Vocab                   map[string]int `json:"vocab"`
}

// BuildBertJSON writes the tokenizer.json of an uncased BERT WordPiece
// tokenizer (clean text, CJK splitting, lower-casing, accent stripping) over
// vocab, a vocab.txt with one token a line whose line number is its id.
func BuildBertJSON(vocab io.Reader) ([]byte, error) {
	v := make(map[string]int)
	sc := bufio.NewScanner(vocab)
	for id := 0; sc.Scan(); id++ {
		tok := strings.TrimRight(sc.Text(), "\r")
		if tok == "" {
			return nil, fmt.Errorf("vocab line %d: empty token", id+1)
		}
		if _, dup := v[tok]; dup {
			return nil, fmt.Errorf("vocab line %d: duplicate token %q", id+1, tok)
		}
		v[tok] = id
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read vocab: %w", err)
	}
	cfg := tokenizerJSON{
		Version:       "1.0",
		Normalizer:    bertNormalizer{Type: "BertNormalizer", CleanText: true, HandleChineseChars: true, StripAccents: true, Lowercase: true},
		PreTokenizer:  typed{Type: "BertPreTokenizer"},
		PostProcessor: bertProcessing{Type: "BertProcessing", Sep: [2]any{"[SEP]", v["[SEP]"]}, Cls: [2]any{"[CLS]", v["[CLS]"]}},
		Decoder:       wordPieceDecode{Type: "WordPiece", Prefix: "##", Cleanup: true},
		Model:         wordPieceModel{Type: "WordPiece", UnkToken: "[UNK]", ContinuingSubwordPrefix: "##", MaxInputCharsPerWord: maxWordChars, Vocab: v},
	}
	for _, s := range bertSpecials {
		id, ok := v[s]
		if !ok {
			return nil, fmt.Errorf("vocab: special token %s missing", s)
		}
		cfg.AddedTokens = append(cfg.AddedTokens, addedToken{ID: id, Content: s, Special: true})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parse validates a tokenizer.json against the shape BuildBertJSON writes.
func parse(data []byte) (*tokenizerJSON, error) {
	var cfg tokenizerJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	n := cfg.Normalizer
	switch {
	case n.Type != "BertNormalizer" || !n.CleanText || !n.HandleChineseChars || !n.StripAccents || !n.Lowercase:
		return nil, fmt.Errorf("tokenizer.json: normalizer must be an uncased BertNormalizer with every option on")
	case cfg.PreTokenizer.Type != "BertPreTokenizer":
		return nil, fmt.Errorf("tokenizer.json: pre_tokenizer %q, want BertPreTokenizer", cfg.PreTokenizer.Type)
	case cfg.PostProcessor.Type != "BertProcessing":
		return nil, fmt.Errorf("tokenizer.json: post_processor %q, want BertProcessing", cfg.PostProcessor.Type)
	case cfg.Decoder.Type != "WordPiece":
		return nil, fmt.Errorf("tokenizer.json: decoder %q, want WordPiece", cfg.Decoder.Type)
	case cfg.Model.Type != "WordPiece":
		return nil, fmt.Errorf("tokenizer.json: model %q, want WordPiece", cfg.Model.Type)
	case cfg.Model.ContinuingSubwordPrefix != "##":
		return nil, fmt.Errorf("tokenizer.json: continuing_subword_prefix %q, want \"##\"", cfg.Model.ContinuingSubwordPrefix)
	case cfg.Model.MaxInputCharsPerWord != maxWordChars:
		return nil, fmt.Errorf("tokenizer.json: max_input_chars_per_word %d, want %d", cfg.Model.MaxInputCharsPerWord, maxWordChars)
	case cfg.Model.UnkToken != "[UNK]":
		return nil, fmt.Errorf("tokenizer.json: unk_token %q, want [UNK]", cfg.Model.UnkToken)
	}
	ids := make([]bool, len(cfg.Model.Vocab))
	for tok, id := range cfg.Model.Vocab {
		if tok == "" || id < 0 || id >= len(ids) || ids[id] {
			return nil, fmt.Errorf("tokenizer.json: vocab ids must be distinct and in 0..%d (token %q has %d)", len(ids)-1, tok, id)
		}
		ids[id] = true
	}
	for _, pt := range []struct {
		name string
		v    [2]any
	}{{"sep", cfg.PostProcessor.Sep}, {"cls", cfg.PostProcessor.Cls}} {
		s, ok1 := pt.v[0].(string)
		f, ok2 := pt.v[1].(float64)
		if id, ok := cfg.Model.Vocab[s]; !ok1 || !ok2 || !ok || float64(id) != f {
			return nil, fmt.Errorf("tokenizer.json: post_processor %s %v is not a [token, id] pair of the vocab", pt.name, pt.v)
		}
	}
	var contents []string
	for _, a := range cfg.AddedTokens {
		if id, ok := cfg.Model.Vocab[a.Content]; !ok || id != a.ID || !a.Special || a.Normalized || a.SingleWord || a.Lstrip || a.Rstrip {
			return nil, fmt.Errorf("tokenizer.json: added token %q must be a special vocab token with its vocab id", a.Content)
		}
		contents = append(contents, a.Content)
	}
	for _, s := range bertSpecials {
		if !slices.Contains(contents, s) {
			return nil, fmt.Errorf("tokenizer.json: special token %s missing from added_tokens", s)
		}
	}
	return &cfg, nil
}
