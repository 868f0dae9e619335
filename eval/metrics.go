package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Item is one evaluated example.
type Item struct {
	// Gold holds the gold labels; duplicates count once.
	Gold []string
	// Pred holds the predicted labels as the classifier returned them.
	Pred []string
	// Abstained is set when no label reached its threshold (Pred then
	// holds the classifier's fallback, its most probable label).
	Abstained bool
	// Top is the top-scoring label; empty when unknown.
	Top string
	// Scores holds the probability of each label, in [0, 1]; nil when the
	// classifier gave none. Labels outside the report's labels are ignored.
	Scores map[string]float64
	// Target is the entity the stance is about; optional, used for the
	// per-target F_avg breakdown.
	Target string
}

// Options configures [Compute]. The zero value is ready to use.
type Options struct {
	// Labels is the label order for tables and the set of labels the
	// metrics look at; nil means the sorted union of the gold and predicted
	// labels of all items.
	Labels []string
	// Bootstrap is the number of bootstrap resamples for confidence
	// intervals; 0 means 1000 and a negative value disables them.
	Bootstrap int
	// Seed seeds the bootstrap's PCG; a report is deterministic for a seed.
	Seed uint64
	// FavgLabels lists the labels whose F1 F_avg averages. Nil means FAVOR
	// and AGAINST when both are among the report's labels (SemEval-2016
	// Task 6), and no F_avg otherwise; a non-nil empty slice disables F_avg.
	FavgLabels []string
}

// LabelMetrics holds the figures of one label.
type LabelMetrics struct {
	// Precision is TP/(TP+FP), 0 when the label was never predicted.
	Precision float64 `json:"precision"`
	// Recall is TP/(TP+FN), 0 when the label has no support.
	Recall float64 `json:"recall"`
	// F1 is 2TP/(2TP+FP+FN), 0 when the denominator is 0.
	F1 float64 `json:"f1"`
	// Support counts the items whose gold set holds the label.
	Support int `json:"support"`
	// Predicted counts the items whose predicted set holds the label.
	Predicted int `json:"predicted"`
	// TP counts the items whose gold and predicted sets both hold the label.
	TP int `json:"tp"`
}

// Report holds the metrics of one evaluation run.
type Report struct {
	// N is the number of items.
	N int `json:"n"`
	// Labels is the label order of tables and the confusion matrix.
	Labels []string `json:"labels"`
	// PerLabel holds the figures of each label of Labels.
	PerLabel map[string]LabelMetrics `json:"per_label"`
	// PerLabelF1CI holds the 95% bootstrap interval of each label's F1;
	// nil when the bootstrap is disabled.
	PerLabelF1CI map[string][2]float64 `json:"per_label_f1_ci"`
	// MicroF1 pools TP, FP and FN over Labels.
	MicroF1 float64 `json:"micro_f1"`
	// MacroF1 is the mean of the per-label F1 over Labels.
	MacroF1 float64 `json:"macro_f1"`
	// MacroF1CI is the 95% bootstrap interval of MacroF1; zero when the
	// bootstrap is disabled.
	MacroF1CI [2]float64 `json:"macro_f1_ci"`
	// ExactMatch is the share of items whose predicted set equals the gold
	// set (subset accuracy), both restricted to Labels.
	ExactMatch float64 `json:"exact_match"`
	// HammingLoss is the share of wrong (item, label) decisions over
	// N × len(Labels).
	HammingLoss float64 `json:"hamming_loss"`
	// Accuracy is the top-1 accuracy: the share of items whose Top is one of
	// its gold labels.
	Accuracy float64 `json:"accuracy"`
	// Abstained counts the items on which the classifier abstained: no
	// label reached its threshold, or it returned none.
	Abstained int `json:"abstained"`
	// ECE is the expected calibration error over ten equal-width bins of all
	// (item, label) probabilities against gold membership; 0 when no item
	// has scores.
	ECE float64 `json:"ece"`
	// Calibration holds the non-empty bins, in increasing order, for a
	// reliability diagram.
	Calibration []CalibrationBin `json:"calibration"`
	// Confusion counts gold top label against predicted top label; the gold
	// top label of a multi-label gold set is its first label in Labels order.
	Confusion Confusion `json:"confusion"`
	// FAvg is the mean F1 of the F_avg labels over all items; nil when
	// F_avg does not apply (see Options.FavgLabels).
	FAvg *float64 `json:"f_avg,omitempty"`
	// FAvgCI is the 95% bootstrap interval of FAvg.
	FAvgCI *[2]float64 `json:"f_avg_ci,omitempty"`
	// FAvgByTarget holds F_avg within the items of each non-empty target.
	FAvgByTarget map[string]float64 `json:"f_avg_by_target,omitempty"`
	// Latency is filled by callers that time the classifier, as over gRPC.
	Latency *Latency `json:"latency,omitempty"`
	// FunctionWordShare is the share of the explanation weight (the
	// absolute contributions listed for the predicted labels) that falls
	// on features made only of function words and punctuation; filled by
	// callers that ask for explanations.
	FunctionWordShare *float64 `json:"function_word_share,omitempty"`
	// Run says what was measured; filled by callers.
	Run *Provenance `json:"run,omitempty"`
	// WorstErrors are the most confidently wrong items; filled by callers,
	// who have the texts and can ask for explanations.
	WorstErrors []WorstError `json:"worst_errors,omitempty"`
}

// Confusion is a confusion matrix of gold top label against predicted top
// label. The gold "top" label of an item is the gold label that comes first
// in Labels order (for a single-label gold set, its only label); the
// predicted one is Item.Top. Items with no gold label in Labels, or whose
// Top is not in Labels (an empty Top included), are not counted.
type Confusion struct {
	// Labels orders both the rows and the columns.
	Labels []string `json:"labels"`
	// Counts[gold][pred] counts the items with that gold and predicted top
	// label, indexes into Labels.
	Counts [][]int `json:"counts"`
}

// CalibrationBin is one bin of the reliability diagram.
type CalibrationBin struct {
	// Lo and Hi bound the bin's probabilities: [Lo, Hi), the last bin
	// including 1.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Count is the number of (item, label) probabilities in the bin.
	Count int `json:"count"`
	// Confidence is their mean.
	Confidence float64 `json:"confidence"`
	// Frequency is the share of them whose label is gold.
	Frequency float64 `json:"frequency"`
}

// calibrationBins is the number of equal-width bins of ECE.
const calibrationBins = 10

// defaultBootstrap is the number of resamples when Options.Bootstrap is 0.
const defaultBootstrap = 1000

// counts holds per-label TP, FP and FN, indexed like the label list.
type counts struct {
	tp, fp, fn []int
}

func newCounts(n int) counts {
	return counts{tp: make([]int, n), fp: make([]int, n), fn: make([]int, n)}
}

func (c counts) reset() {
	clear(c.tp)
	clear(c.fp)
	clear(c.fn)
}

// f1 returns 2TP/(2TP+FP+FN) of label i, 0 when the denominator is 0.
func (c counts) f1(i int) float64 {
	return f1(c.tp[i], c.fp[i], c.fn[i])
}

func f1(tp, fp, fn int) float64 {
	d := 2*tp + fp + fn
	if d == 0 {
		return 0
	}
	return float64(2*tp) / float64(d)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// encoded is an item with its label sets as index sets over all labels.
type encoded struct {
	gold, pred []bool
}

// add adds the decisions of e to c.
func (c counts) add(e encoded) {
	for i := range e.gold {
		switch {
		case e.gold[i] && e.pred[i]:
			c.tp[i]++
		case e.pred[i]:
			c.fp[i]++
		case e.gold[i]:
			c.fn[i]++
		}
	}
}

// Compute evaluates items. It fails on zero items, on empty or duplicate
// labels in opt, on empty labels in items, and on scores that are not
// probabilities.
func Compute(items []Item, opt Options) (*Report, error) {
	if len(items) == 0 {
		return nil, errors.New("compute metrics: no items")
	}
	labels, err := reportLabels(items, opt.Labels)
	if err != nil {
		return nil, fmt.Errorf("compute metrics: %w", err)
	}
	favg, err := favgLabels(labels, opt.FavgLabels)
	if err != nil {
		return nil, fmt.Errorf("compute metrics: %w", err)
	}
	// all lists Labels followed by the F_avg labels that are not in it, so
	// that F_avg can be computed for labels outside the table.
	all := slices.Clone(labels)
	index := make(map[string]int, len(labels)+len(favg))
	for i, l := range labels {
		index[l] = i
	}
	favgIdx := make([]int, len(favg))
	for k, l := range favg {
		i, ok := index[l]
		if !ok {
			i = len(all)
			all = append(all, l)
			index[l] = i
		}
		favgIdx[k] = i
	}
	nl := len(labels)

	enc := make([]encoded, len(items))
	for n, it := range items {
		e := encoded{gold: make([]bool, len(all)), pred: make([]bool, len(all))}
		for _, l := range it.Gold {
			if l == "" {
				return nil, fmt.Errorf("compute metrics: item %d: empty gold label", n)
			}
			if i, ok := index[l]; ok {
				e.gold[i] = true
			}
		}
		for _, l := range it.Pred {
			if l == "" {
				return nil, fmt.Errorf("compute metrics: item %d: empty predicted label", n)
			}
			if i, ok := index[l]; ok {
				e.pred[i] = true
			}
		}
		for l, p := range it.Scores {
			if math.IsNaN(p) || p < 0 || p > 1 {
				return nil, fmt.Errorf("compute metrics: item %d: score %v of label %q is not a probability", n, p, l)
			}
		}
		enc[n] = e
	}

	r := &Report{
		N:        len(items),
		Labels:   labels,
		PerLabel: make(map[string]LabelMetrics, nl),
	}

	c := newCounts(len(all))
	exact, wrong, correctTop := 0, 0, 0
	for n, e := range enc {
		c.add(e)
		same := true
		for i := range nl {
			if e.gold[i] != e.pred[i] {
				same = false
				wrong++
			}
		}
		if same {
			exact++
		}
		if items[n].Abstained || len(items[n].Pred) == 0 {
			r.Abstained++
		}
		if items[n].Top != "" && slices.Contains(items[n].Gold, items[n].Top) {
			correctTop++
		}
	}

	var sumTP, sumFP, sumFN int
	var sumF1 float64
	for i, l := range labels {
		m := LabelMetrics{
			Precision: ratio(c.tp[i], c.tp[i]+c.fp[i]),
			Recall:    ratio(c.tp[i], c.tp[i]+c.fn[i]),
			F1:        c.f1(i),
			Support:   c.tp[i] + c.fn[i],
			Predicted: c.tp[i] + c.fp[i],
			TP:        c.tp[i],
		}
		r.PerLabel[l] = m
		sumTP += c.tp[i]
		sumFP += c.fp[i]
		sumFN += c.fn[i]
		sumF1 += m.F1
	}
	r.MicroF1 = f1(sumTP, sumFP, sumFN)
	if nl > 0 {
		r.MacroF1 = sumF1 / float64(nl)
	}
	r.ExactMatch = ratio(exact, len(items))
	r.HammingLoss = ratio(wrong, len(items)*nl)
	r.Accuracy = ratio(correctTop, len(items))

	r.ECE, r.Calibration = calibration(items, labels)
	r.Confusion = confusion(items, enc, labels)

	if len(favgIdx) > 0 {
		v := favgOf(c, favgIdx)
		r.FAvg = &v
		r.FAvgByTarget = favgByTarget(items, enc, len(all), favgIdx)
	}

	b := opt.Bootstrap
	if b == 0 {
		b = defaultBootstrap
	}
	if b > 0 {
		bootstrap(r, enc, nl, favgIdx, b, opt.Seed)
	}
	return r, nil
}

// reportLabels returns the given labels after checking them, or the sorted
// union of the items' gold and predicted labels.
func reportLabels(items []Item, given []string) ([]string, error) {
	if given != nil {
		seen := make(map[string]bool, len(given))
		for _, l := range given {
			if l == "" {
				return nil, errors.New("options: empty label")
			}
			if seen[l] {
				return nil, fmt.Errorf("options: duplicate label %q", l)
			}
			seen[l] = true
		}
		return slices.Clone(given), nil
	}
	seen := make(map[string]bool)
	var labels []string
	for _, it := range items {
		for _, set := range [][]string{it.Gold, it.Pred} {
			for _, l := range set {
				if l != "" && !seen[l] {
					seen[l] = true
					labels = append(labels, l)
				}
			}
		}
	}
	sort.Strings(labels)
	if labels == nil {
		labels = []string{}
	}
	return labels, nil
}

// favgLabels resolves Options.FavgLabels against the report's labels.
func favgLabels(labels, given []string) ([]string, error) {
	if given == nil {
		if slices.Contains(labels, "FAVOR") && slices.Contains(labels, "AGAINST") {
			return []string{"FAVOR", "AGAINST"}, nil
		}
		return nil, nil
	}
	seen := make(map[string]bool, len(given))
	for _, l := range given {
		if l == "" {
			return nil, errors.New("options: empty F_avg label")
		}
		if seen[l] {
			return nil, fmt.Errorf("options: duplicate F_avg label %q", l)
		}
		seen[l] = true
	}
	return slices.Clone(given), nil
}

// favgOf returns the mean F1 of the labels at idx.
func favgOf(c counts, idx []int) float64 {
	var s float64
	for _, i := range idx {
		s += c.f1(i)
	}
	return s / float64(len(idx))
}

// favgByTarget returns F_avg within each non-empty target, nil when no item
// has a target.
func favgByTarget(items []Item, enc []encoded, nall int, idx []int) map[string]float64 {
	byTarget := make(map[string]counts)
	for n, it := range items {
		if it.Target == "" {
			continue
		}
		c, ok := byTarget[it.Target]
		if !ok {
			c = newCounts(nall)
			byTarget[it.Target] = c
		}
		c.add(enc[n])
	}
	if len(byTarget) == 0 {
		return nil
	}
	out := make(map[string]float64, len(byTarget))
	for t, c := range byTarget {
		out[t] = favgOf(c, idx)
	}
	return out
}

// calibration bins every (item, label) probability of the labels and
// returns the expected calibration error and the non-empty bins.
func calibration(items []Item, labels []string) (float64, []CalibrationBin) {
	var (
		count [calibrationBins]int
		conf  [calibrationBins]float64
		hits  [calibrationBins]int
		total int
	)
	for _, it := range items {
		if len(it.Scores) == 0 {
			continue
		}
		for _, l := range labels {
			p, ok := it.Scores[l]
			if !ok {
				continue
			}
			b := min(int(p*calibrationBins), calibrationBins-1)
			count[b]++
			conf[b] += p
			if slices.Contains(it.Gold, l) {
				hits[b]++
			}
			total++
		}
	}
	bins := []CalibrationBin{}
	var ece float64
	for b := range calibrationBins {
		if count[b] == 0 {
			continue
		}
		bin := CalibrationBin{
			Lo:         float64(b) / calibrationBins,
			Hi:         float64(b+1) / calibrationBins,
			Count:      count[b],
			Confidence: conf[b] / float64(count[b]),
			Frequency:  float64(hits[b]) / float64(count[b]),
		}
		bins = append(bins, bin)
		// The conversion keeps the multiply-add unfused on every architecture.
		ece += float64(float64(count[b]) / float64(total) * math.Abs(bin.Confidence-bin.Frequency))
	}
	return ece, bins
}

// confusion counts gold top label against predicted top label.
func confusion(items []Item, enc []encoded, labels []string) Confusion {
	n := len(labels)
	cm := Confusion{Labels: slices.Clone(labels), Counts: make([][]int, n)}
	for i := range cm.Counts {
		cm.Counts[i] = make([]int, n)
	}
	for k, it := range items {
		g := slices.Index(enc[k].gold[:n], true)
		p := slices.Index(labels, it.Top)
		if g < 0 || p < 0 {
			continue
		}
		cm.Counts[g][p]++
	}
	return cm
}
