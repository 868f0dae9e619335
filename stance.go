// Package stance defines the domain of the stance service: requests,
// results, model descriptions and the Classifier interface that a local
// model and a remote server both implement. It imports no transport.
package stance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Request is one text to classify.
type Request struct {
	// Text is the sentence or short passage to classify.
	Text string
	// Target names the entity the stance is about, for target-conditioned
	// models; empty for models that take none.
	Target string
	// Explain asks for the features that contributed most to each
	// predicted label.
	Explain bool
	// Model names the served model to use; empty for the default.
	Model string
}

// DocumentRequest is one document to classify sentence by sentence.
type DocumentRequest struct {
	Text    string
	Target  string
	Explain bool
	// Model names the served model to use; empty for the default.
	Model string
}

// Example is one labelled sentence: a row of a data file, what training
// learns from and what evaluation scores against.
type Example struct {
	// ID is the row's identifier, optional.
	ID   string
	Text string
	// Target is the entity the stance is about, optional.
	Target string
	// Labels are the gold labels, in file order, deduplicated.
	Labels []string
	// Source says where the text comes from, optional.
	Source string
	// Hard names the hard-case type of a deliberately difficult example.
	Hard string
	// Batch names the batch the example was written in; cross-validation
	// holds out whole batches, so that figures are on writers a model
	// never saw.
	Batch string
	// Unused lists the fields or columns of the row that the reader left
	// aside.
	Unused []string
	// File and Line locate the row (Line is 1-based; a CSV record's first
	// line).
	File string
	Line int
}

// BatchFolds deals examples to k folds by whole batches — the largest
// batch first, each to the fold with the fewest examples so far; examples
// without a batch form one of their own — and returns each example's fold.
func BatchFolds(exs []Example, k int) []int {
	size := map[string]int{}
	for _, x := range exs {
		size[x.Batch]++
	}
	order := slices.SortedFunc(maps.Keys(size), func(a, b string) int {
		if c := cmp.Compare(size[b], size[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	load := make([]int, k)
	fold := make(map[string]int, len(order))
	for _, b := range order {
		f := slices.Index(load, slices.Min(load))
		fold[b] = f
		load[f] += size[b]
	}
	out := make([]int, len(exs))
	for i, x := range exs {
		out[i] = fold[x.Batch]
	}
	return out
}

// Score is the probability a model gives one label.
type Score struct {
	Label string
	Score float64
}

// Contribution is the signed part one feature adds to a label's logit.
type Contribution struct {
	Feature string
	Weight  float64
}

// Explanation lists the strongest contributions to one label's logit.
type Explanation struct {
	Label string
	// Bias is the label's intercept; Bias plus the sum of all contributions
	// (not only those listed) is the label's logit.
	Bias          float64
	Contributions []Contribution
}

// Result is the classification of one Request.
type Result struct {
	// Scores holds every label of the model, in the model's label order.
	Scores []Score
	// Labels are the predicted labels: those at or over their threshold,
	// with the exclusive label (none) only when no other label passes.
	// Never empty for a supported language: when no label reaches its
	// threshold it holds the most probable label alone (see Abstained).
	Labels []string
	// Top is the highest-scoring of Labels.
	Top string
	// Abstained is set when no label, the exclusive one included, reaches
	// its threshold; Labels then holds the most probable label alone.
	Abstained bool
	// Unsupported is set when the text's language is not one the model
	// declares; Scores and Labels are then empty.
	Unsupported bool
	// Language is the detected ISO 639-1 code, "" when undetermined.
	Language string
	// LanguageConfidence is the detector's confidence in Language, in [0, 1].
	LanguageConfidence float64
	// ModelVersion is the version of the model that produced the result.
	ModelVersion string
	// Explanations holds one entry per predicted label when requested.
	Explanations []Explanation
	// Err is set, and the other fields empty, when this item of a batch
	// failed; the other items are unaffected.
	Err error
}

// LabelInfo describes one label of a model.
type LabelInfo struct {
	Name        string
	Description string
	Threshold   float64
}

// ModelInfo describes a loaded model.
type ModelInfo struct {
	Name    string
	Version string
	Labels  []LabelInfo
	// ExclusiveLabel is the label that never combines with another ("none").
	ExclusiveLabel string
	// MultiLabel is false for models that predict exactly one label.
	MultiLabel bool
	// Targets lists the accepted targets; empty when the model takes none.
	Targets []string
	// Languages lists the ISO 639-1 codes of the languages the model reads.
	Languages []string
	// Metrics holds the evaluation figures stored with the model, by data
	// set ("dev", "cv") and metric name.
	Metrics map[string]map[string]float64
	// Created is the artifact's creation time, RFC 3339.
	Created string
}

// Sentence is one sentence of a classified document.
type Sentence struct {
	// Text is the sentence, trimmed of surrounding whitespace.
	Text string
	// Start and End are the sentence's UTF-8 byte offsets in the document.
	Start, End int
	Result     Result
}

// LabelShare says how much of a document carries one label.
type LabelShare struct {
	Label string
	// Sentences is the number of sentences predicted with the label.
	Sentences int
	// Share is the fraction of the document's sentence characters that
	// those sentences cover.
	Share float64
}

// Document is a classified document.
type Document struct {
	Sentences []Sentence
	// Labels has one entry per model label, in model order.
	Labels       []LabelShare
	Abstained    int
	Unsupported  int
	ModelVersion string
}

// Classifier classifies texts. Implementations are safe for concurrent use.
type Classifier interface {
	// Classify classifies each request. A bad request fails only its own
	// Result (Result.Err); the returned error is for failures of the whole
	// call.
	Classify(ctx context.Context, reqs []Request) ([]Result, error)
	// Info describes the model in use (the default one of several).
	Info(ctx context.Context) (ModelInfo, error)
}

// DocumentClassifier is a Classifier that also classifies documents.
type DocumentClassifier interface {
	Classifier
	// ClassifyDocument splits a document into sentences and classifies
	// each.
	ClassifyDocument(ctx context.Context, req DocumentRequest) (Document, error)
}

// Limits are the input limits a classifier enforces.
type Limits struct {
	MaxTextBytes         int
	MaxTargetBytes       int
	MaxDocumentBytes     int
	MaxDocumentSentences int
}

// ServedModel is one model of several served side by side.
type ServedModel struct {
	// Name is the name requests select the model by; the default model's
	// is its manifest name unless it was given another.
	Name string
	// Default is set for the model that requests naming none get.
	Default bool
	Info    ModelInfo
	// Reloads and FailedReloads count the model's reloads since start;
	// a failed reload leaves the previous version serving.
	Reloads, FailedReloads int64
}

// Models is a DocumentClassifier over several named models: requests
// choose one by their Model field, and a name that is not served fails
// with ENotFound.
type Models interface {
	DocumentClassifier
	// ModelInfo describes the named model; "" is the default.
	ModelInfo(ctx context.Context, name string) (ModelInfo, error)
	// List describes the served models, the default first.
	List(ctx context.Context) ([]ServedModel, error)
	// Limits returns the input limits, the same for every model.
	Limits() Limits
}

// ErrorCode classifies errors so that transports can map them.
type ErrorCode int

// Error codes.
const (
	// EInternal is a failure that is not the caller's fault.
	EInternal ErrorCode = iota
	// EInvalid is a request that can never succeed as it is.
	EInvalid
	// EUnavailable is a temporary condition, such as no model loaded yet.
	EUnavailable
	// ENotFound is a request for something that does not exist, such as a
	// model that is not served.
	ENotFound
)

// Error is an error with a code and a message fit for the caller.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Code returns the code of err's *Error, or EInternal.
func Code(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
