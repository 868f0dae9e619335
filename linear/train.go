package linear

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/tokenize"
)

// Example is one training example, as the root package defines it;
// Train reads its Text, Target, Labels and Batch.
type Example = stance.Example

// TrainConfig configures Train. Zero values take the documented defaults.
type TrainConfig struct {
	// Name and Description go into the manifest; Name defaults to "stance".
	Name, Description string
	// Labels fixes the label order and descriptions; nil takes the labels
	// of the training data, sorted. Thresholds are ignored.
	Labels []LabelEntry
	// ExclusiveLabel never combines with another label; default "none"
	// when the data has it.
	ExclusiveLabel string
	// Languages the model reads; default ["en"].
	Languages []string
	// Grid is the feature sets cross-validation compares; default:
	// DefaultFeatures without and with character 3–5-grams, and with a
	// Lexicon each also with concepts.
	Grid []Features
	// L2 is the regularisation strengths compared; default 1e-6 to 3e-5.
	L2 []float64
	// Folds of cross-validation; default 3. 1 skips cross-validation and
	// trains the first grid point (tests, quick experiments).
	Folds int
	// MaxIterations bounds the epochs of the solver per label; default 300.
	// It stops earlier, at its tolerance, within a few dozen.
	MaxIterations int
	// Seed drives fold assignment; the same seed and data give the same
	// model.
	Seed uint64
	// Tokenizer is the tokenizer.json the model carries.
	Tokenizer []byte
	// Lexicon is the lexicon.json (see [Lexicon]) that grid points with
	// Features.Concepts use; the model carries it when they win.
	Lexicon []byte
	// Created is recorded in the manifest.
	Created time.Time
	// Data records the data files in the manifest.
	Data map[string]DataRef
	// Progress, when set, is called as work completes.
	Progress func(done, total int)
}

// Train fits a model on train. With dev, thresholds are tuned on dev;
// without, on the out-of-fold predictions of cross-validation.
// Hyperparameters are always chosen by cross-validation on train.
func Train(train, dev []Example, cfg TrainConfig) (*Model, error) {
	cfg.defaults()
	if len(train) == 0 {
		return nil, errors.New("train: no training examples")
	}
	for _, f := range cfg.Grid {
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("train: grid: %w", err)
		}
	}
	for _, l2 := range cfg.L2 {
		if !(l2 > 0) || math.IsInf(l2, 0) {
			return nil, fmt.Errorf("train: l2 %g is not a positive finite number", l2)
		}
	}
	tok, err := tokenize.Load(cfg.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	labels, err := cfg.labelSet(train, dev)
	if err != nil {
		return nil, err
	}
	t := &trainer{cfg: cfg, tok: tok, labels: labels}
	if cfg.Lexicon != nil {
		lx, err := ParseLexicon(cfg.Lexicon)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if t.lex, err = compileLexicon(lx, tok); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	for _, f := range cfg.Grid {
		if f.Concepts && t.lex == nil {
			return nil, errors.New("train: grid: concepts need a lexicon")
		}
	}
	t.multi = slices.ContainsFunc(train, func(e Example) bool { return len(e.Labels) > 1 })
	targets := map[string]bool{}
	for _, e := range slices.Concat(train, dev) {
		if e.Target != "" {
			targets[e.Target] = true
		}
	}
	t.targets = slices.Sorted(func(yield func(string) bool) {
		for k := range targets {
			if !yield(k) {
				return
			}
		}
	})
	grid := cfg.Grid
	if len(t.targets) > 0 {
		grid = slices.Clone(grid)
		for i := range grid {
			grid[i].TargetCross = true
		}
	}
	trainSet, err := t.encode(train)
	if err != nil {
		return nil, err
	}
	devSet, err := t.encode(dev)
	if err != nil {
		return nil, err
	}

	// Cross-validate the grid.
	best, bestF1 := GridPoint{Features: grid[0], L2: cfg.L2[0]}, math.Inf(-1)
	var bestOOF [][]float64
	var points []GridPoint
	steps, done := len(grid)*len(cfg.L2)*cfg.Folds+1, 0
	if cfg.Folds > 1 {
		folds := t.folds(train)
		for _, feat := range grid {
			v := t.vectors(trainSet, feat)
			oofs := t.crossValidate(trainSet, v, cfg.L2, folds, func() {
				done++
				cfg.progress(done, steps)
			})
			for i, l2 := range cfg.L2 {
				th := t.tuneThresholds(oofs[i], trainSet.y)
				f1 := t.macroF1(oofs[i], trainSet.y, th)
				gp := GridPoint{L2: l2, Features: feat, MacroF1: round4(f1)}
				points = append(points, gp)
				if f1 > bestF1 {
					best, bestF1, bestOOF = gp, f1, oofs[i]
				}
			}
		}
	}

	v := t.vectors(trainSet, best.Features)
	w, b := v.weights(t.fit(v.xs, len(v.buckets), trainSet.labelsOf(trainSet.all()), best.L2))
	done = steps
	cfg.progress(done, steps)
	man := Manifest{
		FormatVersion: FormatVersion,
		Name:          cfg.Name,
		Description:   cfg.Description,
		Languages:     cfg.Languages,
		MultiLabel:    t.multi,
		Features:      best.Features,
		Targets:       t.targets,
		Data:          cfg.Data,
		Hyperparameters: Hyperparameters{
			L2: best.L2, Solver: Solver, MaxIterations: cfg.MaxIterations, Seed: cfg.Seed, Grid: points,
		},
		Created: cfg.Created.UTC().Format(time.RFC3339),
	}
	if cfg.Folds > 1 {
		man.Hyperparameters.CVFolds = cfg.Folds
	}
	for _, l := range labels {
		man.Labels = append(man.Labels, l)
		if l.Name == cfg.ExclusiveLabel {
			man.ExclusiveLabel = l.Name
		}
	}
	m := newModel(man, tok, cfg.Tokenizer, w, b)
	if best.Features.Concepts {
		m.lex, m.lexJSON = t.lex, cfg.Lexicon
	}

	// Thresholds: on dev when given, else on the out-of-fold predictions.
	var th []float64
	switch {
	case len(dev) > 0:
		th = t.tuneThresholds(t.predictAll(m, devSet), devSet.y)
		m.manifest.Hyperparameters.Thresholds = "dev"
	case bestOOF != nil:
		th = t.tuneThresholds(bestOOF, trainSet.y)
		m.manifest.Hyperparameters.Thresholds = "cv"
	default:
		th = t.tuneThresholds(t.predictAll(m, trainSet), trainSet.y)
		m.manifest.Hyperparameters.Thresholds = "train"
	}
	for i := range m.manifest.Labels {
		m.manifest.Labels[i].Threshold = th[i]
	}
	m.threshold = th
	if cfg.Folds > 1 {
		m.manifest.Metrics = map[string]map[string]float64{"cv": {"macro_f1": best.MacroF1}}
	}
	m.manifest.Version, err = m.contentVersion()
	if err != nil {
		return nil, err
	}
	return m, nil
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func (c *TrainConfig) defaults() {
	if c.Name == "" {
		c.Name = "stance"
	}
	if len(c.Languages) == 0 {
		c.Languages = []string{"en"}
	}
	if len(c.Grid) == 0 {
		chars := DefaultFeatures
		chars.CharMin, chars.CharMax = 3, 5
		c.Grid = []Features{DefaultFeatures, chars}
		if c.Lexicon != nil {
			for _, f := range c.Grid[:2] {
				f.Concepts = true
				c.Grid = append(c.Grid, f)
			}
		}
	}
	if len(c.L2) == 0 {
		c.L2 = []float64{1e-6, 3e-6, 1e-5, 3e-5}
	}
	if c.Folds == 0 {
		c.Folds = 3
	}
	if c.MaxIterations == 0 {
		c.MaxIterations = 300
	}
}

func (c *TrainConfig) progress(done, total int) {
	if c.Progress != nil {
		c.Progress(done, total)
	}
}

// labelSet returns the labels in model order, checking the data against
// a configured label set.
func (c *TrainConfig) labelSet(train, dev []Example) ([]LabelEntry, error) {
	seen := map[string]bool{}
	for _, e := range slices.Concat(train, dev) {
		if len(e.Labels) == 0 {
			return nil, fmt.Errorf("train: example %q has no labels", e.Text)
		}
		for _, l := range e.Labels {
			seen[l] = true
		}
	}
	var out []LabelEntry
	if c.Labels != nil {
		known := map[string]bool{}
		for _, l := range c.Labels {
			known[l.Name] = true
			out = append(out, LabelEntry{Name: l.Name, Description: l.Description})
		}
		for l := range seen {
			if !known[l] {
				return nil, fmt.Errorf("train: data has label %q, which the label set does not define", l)
			}
		}
	} else {
		for l := range seen {
			out = append(out, LabelEntry{Name: l})
		}
		slices.SortFunc(out, func(a, b LabelEntry) int { return cmp.Compare(a.Name, b.Name) })
	}
	if c.ExclusiveLabel == "" && seen["none"] {
		c.ExclusiveLabel = "none"
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("train: %d label(s); a model needs at least 2", len(out))
	}
	if len(out) > maxLabels {
		return nil, fmt.Errorf("train: %d labels; at most %d", len(out), maxLabels)
	}
	return out, nil
}

type trainer struct {
	cfg     TrainConfig
	tok     *tokenize.Tokenizer
	lex     *lexicon
	labels  []LabelEntry
	targets []string
	multi   bool
}

// dataset holds examples tokenised once; features are hashed per setting.
type dataset struct {
	enc     []tokenize.Encoding
	targets []string
	y       [][]bool // [example][label]
}

func (d *dataset) all() []int {
	idx := make([]int, len(d.enc))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func (t *trainer) encode(exs []Example) (*dataset, error) {
	d := &dataset{enc: make([]tokenize.Encoding, len(exs)), targets: make([]string, len(exs)), y: make([][]bool, len(exs))}
	index := map[string]int{}
	for i, l := range t.labels {
		index[l.Name] = i
	}
	for i, e := range exs {
		if err := t.tok.Encode(e.Text, &d.enc[i]); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		d.targets[i] = e.Target
		d.y[i] = make([]bool, len(t.labels))
		for _, l := range e.Labels {
			d.y[i][index[l]] = true
		}
	}
	return d, nil
}

// sparse is one example's feature vector over compacted indices.
type sparse struct {
	idx []int32
	val []float64
}

// vectorized is a data set's feature vectors under one feature setting,
// over compacted indices: buckets[j] is the hash bucket of index j. Buckets
// absent from a fold's training rows keep weight 0, so one vectorisation
// serves every fold.
type vectorized struct {
	feat    Features
	xs      []sparse
	buckets []int32
}

func (t *trainer) vectors(d *dataset, feat Features) *vectorized {
	x := extractor{cfg: feat, lex: t.lex}
	compact := map[uint32]int32{}
	var buckets []int32
	out := make([]sparse, len(d.enc))
	mask := uint64(feat.Dim - 1)
	for k := range d.enc {
		i := k
		x.extract(&d.enc[i], t.tok, targetKey(d.targets[i]), d.targets[i])
		v := float64(scale(len(x.hashes), feat.MinNorm))
		acc := map[int32]float64{}
		for _, h := range x.hashes {
			b := uint32(h & mask)
			j, ok := compact[b]
			if !ok {
				j = int32(len(buckets))
				compact[b] = j
				buckets = append(buckets, int32(b))
			}
			acc[j] += v
		}
		s := sparse{}
		for j := range acc {
			s.idx = append(s.idx, j)
		}
		slices.Sort(s.idx)
		for _, j := range s.idx {
			s.val = append(s.val, acc[j])
		}
		out[k] = s
	}
	return &vectorized{feat: feat, xs: out, buckets: buckets}
}

// rows returns the examples idx of v.
func (v *vectorized) rows(idx []int) []sparse {
	xs := make([]sparse, len(idx))
	for k, i := range idx {
		xs[k] = v.xs[i]
	}
	return xs
}

// labelsOf returns the gold labels of the examples idx by label: [label][row].
func (d *dataset) labelsOf(idx []int) [][]bool {
	ys := make([][]bool, len(d.y[0]))
	for l := range ys {
		ys[l] = make([]bool, len(idx))
		for k, i := range idx {
			ys[l][k] = d.y[i][l]
		}
	}
	return ys
}

// fit trains every label on the rows xs over n columns and returns each
// label's weights with the bias last. Labels train in parallel; each fit
// is deterministic.
func (t *trainer) fit(xs []sparse, n int, ys [][]bool, l2 float64) [][]float64 {
	sol := make([][]float64, len(ys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for l := range ys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sol[l] = fitBinary(xs, n, ys[l], l2, t.cfg.MaxIterations, t.cfg.Seed^uint64(l))
		}()
	}
	wg.Wait()
	return sol
}

// weights spreads per-label solutions over v's columns into model weights.
func (v *vectorized) weights(sol [][]float64) ([]float32, []float32) {
	L := len(sol)
	weights := make([]float32, v.feat.Dim*L)
	bias := make([]float32, L)
	for l, w := range sol {
		for j, b := range v.buckets {
			weights[int(b)*L+l] = float32(w[j])
		}
		bias[l] = float32(w[len(v.buckets)])
	}
	return weights, bias
}

// Solver is recorded in the manifests of the models Train fits.
const Solver = "l2-logistic dual coordinate descent"

// Stopping rule of the dual solver, as LIBLINEAR's: the largest dual
// gradient of an epoch under dualTol, and the inner Newton tolerance
// tightening from 1e-2 as the epochs need fewer Newton steps.
const (
	dualTol     = 0.1
	innerTolMin = 1e-8
	maxInner    = 100
)

// fitBinary minimises the mean logistic loss plus l2/2·‖w‖² over rows xs
// of n columns, the bias stored last as a feature of value 1, by dual
// coordinate descent (Yu, Huang and Lin, 2011; LIBLINEAR's solver for
// L2-regularised logistic regression). Each step solves one example's
// dual variable exactly, so an epoch costs one pass over the data, and a
// few dozen epochs reach what L-BFGS needs a hundred gradient passes and
// their dense updates for. No Go library implements it; it is short.
// The seed orders the examples.
func fitBinary(xs []sparse, n int, y []bool, l2 float64, maxEpochs int, seed uint64) []float64 {
	N := len(xs)
	C := 1 / (l2 * float64(N))
	w := make([]float64, n+1)
	alpha := make([]float64, 2*N) // each example's dual variable and its complement to C
	sq := make([]float64, N)
	sign := func(i int) float64 {
		if y[i] {
			return 1
		}
		return -1
	}
	axpy := func(d float64, x sparse) {
		w[n] += d
		for k, j := range x.idx {
			w[j] += d * x.val[k]
		}
	}
	for i, x := range xs {
		s := 1.0
		for _, v := range x.val {
			s += v * v
		}
		sq[i] = s
		alpha[2*i] = min(1e-3*C, 1e-8)
		alpha[2*i+1] = C - alpha[2*i]
		axpy(sign(i)*alpha[2*i], x)
	}
	rng := rand.New(rand.NewPCG(seed, 0xd0a1))
	order := make([]int, N)
	for i := range order {
		order[i] = i
	}
	innerTol := 1e-2
	for range maxEpochs {
		rng.Shuffle(N, func(i, j int) { order[i], order[j] = order[j], order[i] })
		gmax, newton := 0.0, 0
		for _, i := range order {
			x, yi := xs[i], sign(i)
			wx := w[n]
			for k, j := range x.idx {
				wx += w[j] * x.val[k]
			}
			a, b := sq[i], yi*wx
			// Minimise g(z) = z log z + (C−z) log(C−z) + a/2 (z−old)² + s·b (z−old)
			// over whichever of the pair moves away from its bound.
			i1, i2, s := 2*i, 2*i+1, 1.0
			if 0.5*a*(alpha[i2]-alpha[i1])+b < 0 {
				i1, i2, s = i2, i1, -1
			}
			old := alpha[i1]
			z := old
			if C-z < 0.5*C {
				z *= 0.1
			}
			gp := a*(z-old) + s*b + math.Log(z/(C-z))
			gmax = max(gmax, math.Abs(gp))
			inner := 0
			for ; inner <= maxInner && math.Abs(gp) >= innerTol; inner++ {
				if next := z - gp/(a+C/(C-z)/z); next <= 0 {
					z *= 0.1
				} else {
					z = next
				}
				gp = a*(z-old) + s*b + math.Log(z/(C-z))
				newton++
			}
			if inner > 0 {
				alpha[i1], alpha[i2] = z, C-z
				axpy(s*(z-old)*yi, x)
			}
		}
		if gmax < dualTol {
			break
		}
		if newton <= N/10 {
			innerTol = max(innerTolMin, 0.1*innerTol)
		}
	}
	return w
}

// folds assigns each example to a fold. Examples with batches keep their
// batch together (stance.BatchFolds); examples without are shuffled by the seed
// and dealt round the folds.
func (t *trainer) folds(exs []Example) []int {
	if slices.ContainsFunc(exs, func(e Example) bool { return e.Batch != "" }) {
		return stance.BatchFolds(exs, t.cfg.Folds)
	}
	f := make([]int, len(exs))
	perm := rand.New(rand.NewPCG(t.cfg.Seed, 0x5ca1ab1e)).Perm(len(exs))
	for k, i := range perm {
		f[i] = k % t.cfg.Folds
	}
	return f
}

// crossValidate returns out-of-fold probabilities [l2][example][label] for
// each strength in l2s.
func (t *trainer) crossValidate(d *dataset, v *vectorized, l2s []float64, folds []int, step func()) [][][]float64 {
	oofs := make([][][]float64, len(l2s))
	for i := range oofs {
		oofs[i] = make([][]float64, len(d.enc))
	}
	for k := range t.cfg.Folds {
		var in, out []int
		for i, f := range folds {
			if f == k {
				out = append(out, i)
			} else {
				in = append(in, i)
			}
		}
		xs, ys := v.rows(in), d.labelsOf(in)
		for i, l2 := range l2s {
			w, b := v.weights(t.fit(xs, len(v.buckets), ys, l2))
			m := t.model(v.feat, w, b)
			for _, e := range out {
				oofs[i][e] = t.probs(m, d, e)
			}
			step()
		}
	}
	return oofs
}

// model wraps weights for prediction during training.
func (t *trainer) model(feat Features, w, b []float32) *Model {
	man := Manifest{Features: feat, Targets: t.targets, Labels: t.labels, MultiLabel: t.multi, ExclusiveLabel: t.cfg.ExclusiveLabel}
	m := newModel(man, t.tok, nil, w, b)
	m.lex = t.lex
	return m
}

func (t *trainer) probs(m *Model, d *dataset, i int) []float64 {
	s := m.getScratch()
	defer m.scratch.Put(s)
	s.x.extract(&d.enc[i], t.tok, targetKey(d.targets[i]), d.targets[i])
	m.score(s)
	p := make([]float64, len(s.logits))
	for l, z := range s.logits {
		p[l] = sigmoid(z)
	}
	return p
}

func (t *trainer) predictAll(m *Model, d *dataset) [][]float64 {
	out := make([][]float64, len(d.enc))
	for i := range out {
		out[i] = t.probs(m, d, i)
	}
	return out
}

// tuneThresholds picks, per label, the threshold that maximises F1 on the
// given probabilities; single-label models predict their top label and
// keep threshold 0.
func (t *trainer) tuneThresholds(probs [][]float64, y [][]bool) []float64 {
	th := make([]float64, len(t.labels))
	if !t.multi {
		return th
	}
	for l := range th {
		p, pos := make([]float64, len(probs)), make([]bool, len(probs))
		total := 0
		for i := range probs {
			p[i], pos[i] = probs[i][l], y[i][l]
			if pos[i] {
				total++
			}
		}
		th[l] = sweep(p, pos, total, 0.5)
	}
	if x := t.exclusiveIndex(); x >= 0 {
		th[x] = t.tuneExclusive(probs, y, th, x)
	}
	return th
}

// sweep returns the threshold, midway between consecutive distinct
// probabilities, that maximises F1 over the examples of probabilities p
// and gold pos, of total gold positives in all (some may lie outside p);
// clamped to [0.01, 0.99] and rounded. Without positives or examples it
// returns fallback.
func sweep(p []float64, pos []bool, total int, fallback float64) float64 {
	if total == 0 || len(p) == 0 {
		return fallback
	}
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	best, bestF1, tp := fallback, -1.0, 0
	for k, i := range order {
		if pos[i] {
			tp++
		}
		if k+1 < len(order) && p[order[k+1]] == p[i] {
			continue // ties fall on the same side of any threshold
		}
		if f1 := 2 * float64(tp) / float64(k+1+total); f1 > bestF1 {
			bestF1 = f1
			next := 0.0
			if k+1 < len(order) {
				next = p[order[k+1]]
			}
			best = (p[i] + next) / 2
		}
	}
	return round4(min(max(best, 0.01), 0.99))
}

func (t *trainer) exclusiveIndex() int {
	for i, l := range t.labels {
		if l.Name == t.cfg.ExclusiveLabel {
			return i
		}
	}
	return -1
}

// tuneExclusive re-tunes the exclusive label's threshold for the decision
// as made: it is predicted only when no other label passes, so its F1 is
// measured on those examples alone. Tuned independently, its threshold
// comes out too high and the model abstains where "none" is right.
func (t *trainer) tuneExclusive(probs [][]float64, y [][]bool, th []float64, x int) float64 {
	total := 0
	var cands []float64 // p(exclusive) of examples where no other label passes
	var pos []bool
	for i, p := range probs {
		if y[i][x] {
			total++
		}
		blocked := false
		for l, pr := range p {
			blocked = blocked || (l != x && pr >= th[l])
		}
		if !blocked {
			cands = append(cands, p[x])
			pos = append(pos, y[i][x])
		}
	}
	return sweep(cands, pos, total, th[x])
}

// macroF1 is the mean per-label F1 of decided predictions.
func (t *trainer) macroF1(probs [][]float64, y [][]bool, th []float64) float64 {
	m := t.model(DefaultFeatures, nil, nil)
	m.threshold = th
	L := len(t.labels)
	tp, fp, fn := make([]int, L), make([]int, L), make([]int, L)
	logits := make([]float64, L)
	for i, p := range probs {
		for l, pr := range p {
			logits[l] = math.Log(pr / (1 - pr))
		}
		pred := make([]bool, L)
		for _, l := range m.decide(logits).Labels {
			pred[l] = true
		}
		for l := range L {
			switch {
			case pred[l] && y[i][l]:
				tp[l]++
			case pred[l]:
				fp[l]++
			case y[i][l]:
				fn[l]++
			}
		}
	}
	var sum float64
	for l := range L {
		if d := 2*tp[l] + fp[l] + fn[l]; d > 0 {
			sum += 2 * float64(tp[l]) / float64(d)
		}
	}
	return sum / float64(L)
}

// contentVersion derives the version from everything that affects
// predictions, so equal models get equal versions.
func (m *Model) contentVersion() (string, error) {
	w, err := m.encodeWeights()
	if err != nil {
		return "", err
	}
	man := m.Manifest()
	man.Version, man.Created, man.Files, man.Data = "", "", nil, nil
	meta, err := json.Marshal(man)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(meta)
	h.Write(w)
	h.Write(m.tokJSON)
	h.Write(m.lexJSON)
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// ReadLabels reads a JSON file of [{name, description}] that fixes a
// model's label order and descriptions.
func ReadLabels(path string) ([]LabelEntry, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var labels []LabelEntry
	if err := json.Unmarshal(raw, &labels); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return labels, nil
}

// ParseL2 reads a comma-separated list of L2 strengths, each a positive
// finite number.
func ParseL2(list string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a positive finite number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// ParseGrid reads a comma-separated list of feature sets (see
// ParseFeatures).
func ParseGrid(list string) ([]Features, error) {
	var out []Features
	for _, spec := range strings.Split(list, ",") {
		f, err := ParseFeatures(strings.TrimSpace(spec))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
