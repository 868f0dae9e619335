// Package engine classifies texts and documents in process: it validates
// requests, detects their language, runs the linear model, and splits
// documents into sentences. It owns the models' life: loading, warm-up,
// atomic swaps, reloads and the watch of model directories, for one model
// (Engine) or several served side by side (Registry). It implements the
// root package's interfaces and knows nothing of any transport.
package engine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/langid"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/segment"
)

// Config holds the engine's limits. Zero values take the defaults.
type Config struct {
	// MaxTextBytes bounds one text; default 10,000.
	MaxTextBytes int
	// MaxDocumentBytes bounds one document; default 1,000,000.
	MaxDocumentBytes int
	// MaxDocumentSentences bounds the sentences of one document; default 5,000.
	MaxDocumentSentences int
	// MaxTargetBytes bounds a request's target; default 256.
	MaxTargetBytes int
	// MaxContributions bounds the features listed per explained label;
	// default 10.
	MaxContributions int
	// MinLanguageConfidence is the detector confidence at or over which a
	// text in a language the model does not declare is marked unsupported;
	// below it the model classifies the text. Default 0.9.
	MinLanguageConfidence float64
}

// Defaults of Config.
const (
	DefaultMaxTextBytes          = 10_000
	DefaultMaxDocumentBytes      = 1_000_000
	DefaultMaxDocumentSentences  = 5_000
	DefaultMaxTargetBytes        = 256
	DefaultMaxContributions      = 10
	DefaultMinLanguageConfidence = 0.9
)

func (c *Config) defaults() {
	if c.MaxTextBytes <= 0 {
		c.MaxTextBytes = DefaultMaxTextBytes
	}
	if c.MaxDocumentBytes <= 0 {
		c.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if c.MaxDocumentSentences <= 0 {
		c.MaxDocumentSentences = DefaultMaxDocumentSentences
	}
	if c.MaxTargetBytes <= 0 {
		c.MaxTargetBytes = DefaultMaxTargetBytes
	}
	if c.MaxContributions <= 0 {
		c.MaxContributions = DefaultMaxContributions
	}
	if c.MinLanguageConfidence <= 0 {
		c.MinLanguageConfidence = DefaultMinLanguageConfidence
	}
}

// Engine is a stance.DocumentClassifier over a linear model that can be
// swapped while serving. It is safe for concurrent use.
type Engine struct {
	cfg   Config
	model atomic.Pointer[linear.Model]
	*tools
}

// tools are the model-independent parts, shared by the engines of one
// process: the language detector holds about 10 MB of profiles.
type tools struct {
	lang *langid.Detector
	// split returns the sentence splitter, which loads in the background:
	// its Punkt parameters take a few tens of milliseconds that a server's
	// start-up need not wait for.
	split func() (*segment.Splitter, error)
}

var _ stance.DocumentClassifier = (*Engine)(nil)

// New returns an engine serving m.
func New(m *linear.Model, cfg Config) (*Engine, error) {
	cfg.defaults()
	split := make(chan struct{})
	var splitter *segment.Splitter
	var splitErr error
	go func() {
		splitter, splitErr = segment.New()
		close(split)
	}()
	e := &Engine{cfg: cfg, tools: &tools{lang: langid.New(), split: func() (*segment.Splitter, error) {
		<-split
		return splitter, splitErr
	}}}
	e.model.Store(m)
	return e, nil
}

// With returns an engine serving m with e's limits, language detector and
// sentence splitter.
func (e *Engine) With(m *linear.Model) *Engine {
	n := &Engine{cfg: e.cfg, tools: e.tools}
	n.model.Store(m)
	return n
}

// Config returns the engine's limits with defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// Limits returns the engine's input limits.
func (e *Engine) Limits() stance.Limits {
	return stance.Limits{MaxTextBytes: e.cfg.MaxTextBytes, MaxTargetBytes: e.cfg.MaxTargetBytes,
		MaxDocumentBytes: e.cfg.MaxDocumentBytes, MaxDocumentSentences: e.cfg.MaxDocumentSentences}
}

// Model returns the model in use.
func (e *Engine) Model() *linear.Model { return e.model.Load() }

// Swap replaces the model; calls in flight finish on the model they began
// with.
func (e *Engine) Swap(m *linear.Model) { e.model.Store(m) }

// Classify classifies each request; a bad request fails only its Result.
func (e *Engine) Classify(ctx context.Context, reqs []stance.Request) ([]stance.Result, error) {
	m := e.model.Load()
	out := make([]stance.Result, len(reqs))
	// Large batches are shared among the cores; each worker takes every
	// n-th item, which balances the rare slow item (a sentence that needs
	// the full language detector) without coordination.
	workers := 1
	if len(reqs) >= parallelBatch {
		workers = min(runtime.GOMAXPROCS(0), len(reqs)/(parallelBatch/2))
	}
	if workers == 1 { // no goroutine for the common small call
		for i, r := range reqs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			res, err := e.classify(m, r)
			if err != nil {
				res = stance.Result{Err: err}
			}
			out[i] = res
		}
		return out, nil
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(reqs); i += workers {
				if ctx.Err() != nil {
					return
				}
				res, err := e.classify(m, reqs[i])
				if err != nil {
					res = stance.Result{Err: err}
				}
				out[i] = res
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parallelBatch is the batch size from which Classify uses several cores.
const parallelBatch = 64

// ClassifyOne classifies one request.
func (e *Engine) ClassifyOne(ctx context.Context, r stance.Request) (stance.Result, error) {
	if err := ctx.Err(); err != nil {
		return stance.Result{}, err
	}
	return e.classify(e.model.Load(), r)
}

// CheckText validates a text against the limits.
func (e *Engine) CheckText(text string) error {
	return checkText("text", text, e.cfg.MaxTextBytes, "--max-text-bytes")
}

func checkText(what, text string, limit int, flag string) error {
	if len(text) > limit {
		return stance.Errorf(stance.EInvalid, "%s is %d bytes; the limit is %d bytes (%s)", what, len(text), limit, flag)
	}
	if !utf8.ValidString(text) {
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && size == 1 {
				return stance.Errorf(stance.EInvalid, "%s is not valid UTF-8 (bad byte 0x%02x at offset %d)", what, text[i], i)
			}
			i += size
		}
	}
	if strings.TrimFunc(text, unicode.IsSpace) == "" {
		return stance.Errorf(stance.EInvalid, "%s is empty", what)
	}
	if !hasContent(text) {
		return stance.Errorf(stance.EInvalid, "%s has no content: no letter, digit or symbol, only punctuation, spaces or invisible characters", what)
	}
	return nil
}

// checkTarget validates a target; its length is checked first, so that
// the model's error, which quotes the target, stays short.
func (e *Engine) checkTarget(m *linear.Model, target string) error {
	if len(target) > e.cfg.MaxTargetBytes {
		return stance.Errorf(stance.EInvalid, "target is %d bytes; the limit is %d bytes (--max-target-bytes)", len(target), e.cfg.MaxTargetBytes)
	}
	return m.CheckTarget(target)
}

// hasContent reports whether text holds a letter, a digit or a symbol
// (emoji included): a text of punctuation, spaces, control, zero-width or
// bidi characters says nothing to classify.
func hasContent(text string) bool {
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSymbol(r) {
			return true
		}
	}
	return false
}

func (e *Engine) classify(m *linear.Model, r stance.Request) (stance.Result, error) {
	if err := e.CheckText(r.Text); err != nil {
		return stance.Result{}, err
	}
	if err := e.checkTarget(m, r.Target); err != nil {
		return stance.Result{}, err
	}
	return e.run(m, r)
}

// run classifies a validated request.
func (e *Engine) run(m *linear.Model, r stance.Request) (stance.Result, error) {
	man := m.ManifestRef()
	lang := e.lang.Detect(r.Text)
	res := stance.Result{Language: lang.Code, LanguageConfidence: lang.Confidence, ModelVersion: man.Version}
	if lang.Code != "" && lang.Confidence >= e.cfg.MinLanguageConfidence && !declares(man.Languages, lang.Code) {
		res.Unsupported = true
		return res, nil
	}
	var p linear.Prediction
	var ex []stance.Explanation
	var err error
	if r.Explain {
		p, ex, err = m.PredictExplained(r.Text, r.Target)
	} else {
		p, err = m.Predict(r.Text, r.Target)
	}
	if err != nil {
		return stance.Result{}, err
	}
	res.Scores = make([]stance.Score, len(p.Probs))
	for l, pr := range p.Probs {
		res.Scores[l] = stance.Score{Label: man.Labels[l].Name, Score: pr}
	}
	res.Top = man.Labels[p.Top].Name
	res.Abstained = p.Abstained
	res.Labels = make([]string, len(p.Labels))
	for i, l := range p.Labels {
		res.Labels[i] = man.Labels[l].Name
	}
	for i := range ex {
		if len(ex[i].Contributions) > e.cfg.MaxContributions {
			ex[i].Contributions = ex[i].Contributions[:e.cfg.MaxContributions]
		}
	}
	res.Explanations = ex
	return res, nil
}

func declares(langs []string, code string) bool {
	for _, l := range langs {
		if l == code {
			return true
		}
	}
	return false
}

// Info describes the model in use.
func (e *Engine) Info(ctx context.Context) (stance.ModelInfo, error) {
	if err := ctx.Err(); err != nil {
		return stance.ModelInfo{}, err
	}
	return InfoOf(e.model.Load()), nil
}

// InfoOf describes a model.
func InfoOf(m *linear.Model) stance.ModelInfo {
	man := m.ManifestRef()
	info := stance.ModelInfo{
		Name:           man.Name,
		Version:        man.Version,
		ExclusiveLabel: man.ExclusiveLabel,
		MultiLabel:     man.MultiLabel,
		Targets:        man.Targets,
		Languages:      man.Languages,
		Metrics:        man.Metrics,
		Created:        man.Created,
	}
	for _, l := range man.Labels {
		info.Labels = append(info.Labels, stance.LabelInfo{Name: l.Name, Description: l.Description, Threshold: l.Threshold})
	}
	return info
}

// ClassifyDocument splits text into sentences and classifies each.
func (e *Engine) ClassifyDocument(ctx context.Context, req stance.DocumentRequest) (stance.Document, error) {
	text, target, explain := req.Text, req.Target, req.Explain
	m := e.model.Load()
	if err := checkText("document", text, e.cfg.MaxDocumentBytes, "--max-document-bytes"); err != nil {
		return stance.Document{}, err
	}
	if err := e.checkTarget(m, target); err != nil {
		return stance.Document{}, err
	}
	splitter, err := e.split()
	if err != nil {
		return stance.Document{}, fmt.Errorf("sentence splitter: %w", err)
	}
	spans := splitter.Split(text)
	if len(spans) > e.cfg.MaxDocumentSentences {
		return stance.Document{}, stance.Errorf(stance.EInvalid, "document has %d sentences; the limit is %d (--max-document-sentences)", len(spans), e.cfg.MaxDocumentSentences)
	}
	man := m.ManifestRef()
	doc := stance.Document{ModelVersion: man.Version, Labels: make([]stance.LabelShare, len(man.Labels))}
	for i, l := range man.Labels {
		doc.Labels[i].Label = l.Name
	}
	index := make(map[string]int, len(man.Labels))
	for i, l := range man.Labels {
		index[l.Name] = i
	}
	var total int
	covered := make([]int, len(man.Labels))
	for _, sp := range spans {
		// A sentence costs milliseconds, a pathological one (a megabyte of
		// unique words with no full stop) under a second: checking before
		// each stops the work soon after the caller stops waiting.
		if err := ctx.Err(); err != nil {
			return stance.Document{}, err
		}
		s := stance.Sentence{Text: text[sp.Start:sp.End], Start: sp.Start, End: sp.End}
		if !hasContent(s.Text) {
			continue // a run of punctuation or invisible characters is no sentence
		}
		// A sentence may exceed the text limit inside an allowed document;
		// the model handles any length, so it is classified all the same.
		res, err := e.run(m, stance.Request{Text: s.Text, Target: target, Explain: explain})
		if err != nil {
			return stance.Document{}, err
		}
		s.Result = res
		n := utf8.RuneCountInString(s.Text)
		total += n
		switch {
		case res.Unsupported:
			doc.Unsupported++
		case res.Abstained:
			doc.Abstained++
		}
		for _, l := range res.Labels {
			doc.Labels[index[l]].Sentences++
			covered[index[l]] += n
		}
		doc.Sentences = append(doc.Sentences, s)
	}
	for i := range doc.Labels {
		if total > 0 {
			doc.Labels[i].Share = float64(covered[i]) / float64(total)
		}
	}
	return doc, nil
}
