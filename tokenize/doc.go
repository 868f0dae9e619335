// Package tokenize turns text into the WordPiece tokens of a BERT-style
// tokenizer.json and is the only package that imports
// github.com/sugarme/tokenizer.
//
// The library defines tokenisation; [Tokenizer.Encode] is a fast path that
// reproduces the library's normaliser and pre-tokeniser in one pass over the
// text and calls the library's WordPiece model once per distinct word (a
// bounded cache remembers the pieces). [Tokenizer.Reference] runs the
// library's full pipeline; tests hold the two equal.
//
// The library calls log.Fatal and panics on malformed files, so [Load]
// validates a tokenizer.json completely before handing it over and accepts
// only the BERT shape this project writes ([BuildBertJSON]).
package tokenize
