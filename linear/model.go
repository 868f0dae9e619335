package linear

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/tokenize"
)

// Model is a trained stance model. It is immutable and safe for concurrent
// use.
type Model struct {
	manifest  Manifest
	tok       *tokenize.Tokenizer
	tokJSON   []byte
	lexJSON   []byte   // lexicon.json, nil unless Features.Concepts
	lex       *lexicon // compiled from lexJSON
	labels    []string
	weights   []float32 // [Dim][len(labels)]: one feature's weights share a cache line
	bias      []float32
	threshold []float64
	exclusive int // index of the exclusive label, -1 if none
	targets   map[string]uint64
	scratch   sync.Pool
}

type scratch struct {
	enc    tokenize.Encoding
	x      extractor
	logits []float64
}

// Manifest returns a copy of the model's manifest.
func (m *Model) Manifest() Manifest {
	c := m.manifest
	c.Labels = slices.Clone(c.Labels)
	c.Targets = slices.Clone(c.Targets)
	c.Languages = slices.Clone(c.Languages)
	c.Hyperparameters.Grid = slices.Clone(c.Hyperparameters.Grid)
	c.Files = maps.Clone(c.Files)
	c.Data = maps.Clone(c.Data)
	if c.Metrics != nil {
		c.Metrics = make(map[string]map[string]float64, len(m.manifest.Metrics))
		for k, v := range m.manifest.Metrics {
			c.Metrics[k] = maps.Clone(v)
		}
	}
	return c
}

// SetMetrics records evaluation figures of the data set name in the
// manifest. Call it only before the model is shared or saved.
func (m *Model) SetMetrics(name string, figures map[string]float64) {
	if m.manifest.Metrics == nil {
		m.manifest.Metrics = map[string]map[string]float64{}
	}
	m.manifest.Metrics[name] = figures
}

// ManifestRef returns the manifest without copying; callers must not
// modify it. It serves the per-request path.
func (m *Model) ManifestRef() *Manifest { return &m.manifest }

// Labels returns the label names in model order.
func (m *Model) Labels() []string { return slices.Clone(m.labels) }

// Prediction is the output of Predict. Its slices are owned by the caller.
type Prediction struct {
	// Probs holds each label's probability, in model label order.
	Probs []float64
	// Labels holds the indices of the predicted labels, never empty.
	Labels []int
	// Top is the index of the most probable of Labels.
	Top int
	// Abstained is set when no label reaches its threshold; Labels then
	// holds the most probable label alone.
	Abstained bool
}

// CheckTarget validates a request's target against the model.
func (m *Model) CheckTarget(target string) error {
	if target == "" {
		return nil
	}
	if len(m.targets) == 0 {
		return stance.Errorf(stance.EInvalid, "target %q given, but model %s takes no target", target, m.manifest.Name)
	}
	if _, ok := m.targets[target]; !ok {
		return stance.Errorf(stance.EInvalid, "unknown target %q; model %s accepts: %s", target, m.manifest.Name, joinQuoted(m.manifest.Targets))
	}
	return nil
}

func joinQuoted(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", v)
	}
	return out
}

// Predict classifies text. The target must have passed CheckTarget.
func (m *Model) Predict(text, target string) (Prediction, error) {
	s := m.getScratch()
	defer m.scratch.Put(s)
	if err := m.logits(s, text, target); err != nil {
		return Prediction{}, err
	}
	return m.decide(s.logits), nil
}

func (m *Model) getScratch() *scratch {
	if s, ok := m.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{x: extractor{cfg: m.manifest.Features, lex: m.lex}, logits: make([]float64, len(m.labels))}
}

// logits computes each label's logit into s.logits.
func (m *Model) logits(s *scratch, text, target string) error {
	if err := m.tok.Encode(text, &s.enc); err != nil {
		return err
	}
	s.x.extract(&s.enc, m.tok, m.targets[target], target)
	m.score(s)
	return nil
}

// score computes s.logits from the features in s.x.
func (m *Model) score(s *scratch) {
	L := len(m.labels)
	for l := range s.logits {
		s.logits[l] = float64(m.bias[l])
	}
	v := scale(len(s.x.hashes), m.manifest.Features.MinNorm)
	mask := uint64(m.manifest.Features.Dim - 1)
	var acc [maxLabels]float64
	for _, h := range s.x.hashes {
		row := m.weights[int(h&mask)*L : int(h&mask)*L+L]
		for l, w := range row {
			acc[l] += float64(w)
		}
	}
	for l := range s.logits {
		s.logits[l] += acc[l] * float64(v)
	}
}

// maxLabels bounds the label count so that per-call sums live on the stack.
const maxLabels = 64

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// decide turns logits into probabilities and predicted labels. Every
// answer carries at least one label: when none reaches its threshold, the
// most probable label is returned alone and Abstained is set. Top is the
// most probable of the returned labels.
func (m *Model) decide(logits []float64) Prediction {
	p := Prediction{Probs: make([]float64, len(logits))}
	best := 0
	for l, z := range logits {
		p.Probs[l] = sigmoid(z)
		if p.Probs[l] > p.Probs[best] {
			best = l
		}
	}
	if m.manifest.MultiLabel {
		for l, pr := range p.Probs {
			if l != m.exclusive && pr >= m.threshold[l] {
				p.Labels = append(p.Labels, l)
			}
		}
		if len(p.Labels) == 0 && m.exclusive >= 0 && p.Probs[m.exclusive] >= m.threshold[m.exclusive] {
			p.Labels = []int{m.exclusive}
		}
	} else if p.Probs[best] >= m.threshold[best] {
		p.Labels = []int{best}
	}
	if len(p.Labels) == 0 {
		p.Labels, p.Abstained = []int{best}, true
	}
	p.Top = p.Labels[0]
	for _, l := range p.Labels {
		if p.Probs[l] > p.Probs[p.Top] {
			p.Top = l
		}
	}
	return p
}

// Explain returns, for each label index in labels, the bias and the
// contributions of every feature of text to its logit, strongest first,
// merged by feature name. Contributions plus bias sum to the logit.
func (m *Model) Explain(text, target string, labels []int) ([]stance.Explanation, error) {
	x, err := m.namedFeatures(text, target)
	if err != nil {
		return nil, err
	}
	return m.explain(x, labels)
}

// PredictExplained classifies text and explains its predicted labels,
// tokenizing and hashing the text once. The target must have passed
// CheckTarget.
func (m *Model) PredictExplained(text, target string) (Prediction, []stance.Explanation, error) {
	x, err := m.namedFeatures(text, target)
	if err != nil {
		return Prediction{}, nil, err
	}
	s := &scratch{x: *x, logits: make([]float64, len(m.labels))}
	m.score(s)
	p := m.decide(s.logits)
	ex, err := m.explain(x, p.Labels)
	return p, ex, err
}

// namedFeatures extracts the features of text with their names.
func (m *Model) namedFeatures(text, target string) (*extractor, error) {
	var enc tokenize.Encoding
	if err := m.tok.Encode(text, &enc); err != nil {
		return nil, err
	}
	x := &extractor{cfg: m.manifest.Features, lex: m.lex, names: []string{}}
	x.extract(&enc, m.tok, m.targets[target], target)
	return x, nil
}

func (m *Model) explain(x *extractor, labels []int) ([]stance.Explanation, error) {
	v := scale(len(x.hashes), m.manifest.Features.MinNorm)
	L := len(m.labels)
	mask := uint64(m.manifest.Features.Dim - 1)
	out := make([]stance.Explanation, 0, len(labels))
	for _, l := range labels {
		if l < 0 || l >= L {
			return nil, fmt.Errorf("explain: label index %d out of range [0, %d)", l, L)
		}
		byName := map[string]float64{}
		for i, h := range x.hashes {
			byName[x.names[i]] += float64(m.weights[int(h&mask)*L+l]) * float64(v)
		}
		e := stance.Explanation{Label: m.labels[l], Bias: float64(m.bias[l])}
		for name, w := range byName {
			e.Contributions = append(e.Contributions, stance.Contribution{Feature: name, Weight: w})
		}
		slices.SortFunc(e.Contributions, func(a, b stance.Contribution) int {
			if c := cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)); c != 0 {
				return c
			}
			return cmp.Compare(a.Feature, b.Feature)
		})
		out = append(out, e)
	}
	return out, nil
}

// Logits returns each label's logit for text; explanations sum to these.
func (m *Model) Logits(text, target string) ([]float64, error) {
	s := m.getScratch()
	defer m.scratch.Put(s)
	if err := m.logits(s, text, target); err != nil {
		return nil, err
	}
	return slices.Clone(s.logits), nil
}
