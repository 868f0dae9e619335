// Package linear is the stance model: hashed features over WordPiece tokens
// and word n-grams, one-vs-rest logistic regression with per-label
// thresholds, its training, and its artifact (manifest.json, tokenizer.json
// and weights.safetensors).
//
// A Model is immutable once built and safe for concurrent use; prediction
// reuses pooled scratch space, so classifying a sentence allocates only its
// result.
package linear
