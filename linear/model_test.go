package linear_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/linear"
)

func TestExplainSumsToLogits(t *testing.T) {
	tests := []struct {
		name      string
		m         *linear.Model
		text      string
		target    string
		wantNames []string // features that must appear in every label's explanation
	}{
		{
			name:      "pro sentence",
			m:         trained(t),
			text:      "China and Russia will build a multipolar world together.",
			wantNames: []string{"multipolar", "multipolar world", "china", "and russia"},
		},
		{
			name:      "anti sentence",
			m:         trained(t),
			text:      "The spokesman condemned American hegemony.",
			wantNames: []string{"hegemony", "american hegemony", "the spokesman", "."},
		},
		{
			name:      "repeated words merge",
			m:         trained(t),
			text:      "Talks were held, talks were held, talks were held on Monday.",
			wantNames: []string{"talks", "were held", "monday"},
		},
		{
			name:      "unseen words",
			m:         trained(t),
			text:      "Quantum chromodynamics puzzles physicists.",
			wantNames: []string{"quantum", "quantum chromodynamics"},
		},
		{name: "empty", m: trained(t), text: ""},
		{
			name:      "crossed with a target",
			m:         trainTargets(t),
			text:      "I support it.",
			target:    "B",
			wantNames: []string{"support", "i support", "B×support", "B×i support"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels := make([]int, len(tt.m.Labels()))
			for i := range labels {
				labels[i] = i
			}
			logits, err := tt.m.Logits(tt.text, tt.target)
			if err != nil {
				t.Fatalf("Logits: %v", err)
			}
			expl, err := tt.m.Explain(tt.text, tt.target, labels)
			if err != nil {
				t.Fatalf("Explain: %v", err)
			}
			if len(expl) != len(labels) {
				t.Fatalf("Explain returned %d explanations for %d labels", len(expl), len(labels))
			}
			// Features of equal weight (words that always co-occur) must
			// still come in a stable order.
			again, err := tt.m.Explain(tt.text, tt.target, labels)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(expl, again); diff != "" {
				t.Errorf("two calls of Explain differ (-first +second):\n%s", diff)
			}
			for l, e := range expl {
				if want := tt.m.Labels()[l]; e.Label != want {
					t.Errorf("explanation %d is for %q, want %q", l, e.Label, want)
				}
				sum := e.Bias
				names := map[string]bool{}
				for i, c := range e.Contributions {
					sum += c.Weight
					if names[c.Feature] {
						t.Errorf("%s: feature %q listed twice; want contributions merged by name", e.Label, c.Feature)
					}
					names[c.Feature] = true
					if i > 0 && math.Abs(c.Weight) > math.Abs(e.Contributions[i-1].Weight) {
						t.Errorf("%s: contribution %d %+v is stronger than %d %+v; want |weight| descending",
							e.Label, i, c, i-1, e.Contributions[i-1])
					}
				}
				if math.Abs(sum-logits[l]) > 1e-4 {
					t.Errorf("%s: bias %v + contributions = %v, want the logit %v", e.Label, e.Bias, sum, logits[l])
				}
				for _, w := range tt.wantNames {
					if !names[w] {
						t.Errorf("%s: no feature %q among %d features", e.Label, w, len(names))
					}
				}
				if tt.text != "" && !slices.ContainsFunc(e.Contributions, func(c stance.Contribution) bool {
					return strings.HasPrefix(c.Feature, "piece:")
				}) {
					t.Errorf("%s: no WordPiece feature (\"piece:…\") although the model uses pieces", e.Label)
				}
				if tt.text == "" && len(e.Contributions) != 0 {
					t.Errorf("%s: %d contributions for the empty text, want 0", e.Label, len(e.Contributions))
				}
			}
		})
	}
}

func TestExplainTopFeatureMakesSense(t *testing.T) {
	m := trained(t)
	tests := []struct {
		text, label string
		want        []string // one of these is the strongest positive feature
	}{
		{"The minister praised the multipolar world.", "pro", []string{"multipolar", "multipolar world", "a multipolar", "piece:##pol", "piece:multi", "piece:##ar"}},
		{"Critics attacked the hegemony of the dollar.", "anti", []string{"hegemony", "the hegemony", "hegemony of", "piece:he", "piece:##ge", "piece:##mony"}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			l := slices.Index(m.Labels(), tt.label)
			expl, err := m.Explain(tt.text, "", []int{l})
			if err != nil {
				t.Fatal(err)
			}
			var top stance.Contribution
			for _, c := range expl[0].Contributions {
				if c.Weight > 0 {
					top = c
					break
				}
			}
			if !slices.Contains(tt.want, top.Feature) {
				t.Errorf("strongest positive feature for %s = %+v, want one of %q", tt.label, top, tt.want)
			}
		})
	}
}

// probeTexts returns the training sentences and random recombinations of
// their words, a few odd inputs among them.
func probeTexts() []string {
	out := []string{"", " ", "?!", "[SEP]", "multipolar", "hegemony", "talks", strings.Repeat("hegemony multipolar ", 5)}
	var words []string
	for _, e := range synthetic() {
		out = append(out, e.Text)
		words = append(words, strings.Fields(e.Text)...)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + r.IntN(12)
		s := make([]string, n)
		for i := range s {
			s[i] = words[r.IntN(len(words))]
		}
		out = append(out, strings.Join(s, " "))
	}
	return out
}

// checkPrediction asserts the decision rule of one prediction.
func checkPrediction(t *testing.T, man linear.Manifest, text string, p linear.Prediction) {
	t.Helper()
	L := len(man.Labels)
	if len(p.Probs) != L {
		t.Fatalf("%q: %d probabilities for %d labels", text, len(p.Probs), L)
	}
	if len(p.Labels) == 0 {
		t.Fatalf("%q: no label returned", text)
	}
	argmax := 0
	for l, pr := range p.Probs {
		if !(pr >= 0 && pr <= 1) {
			t.Errorf("%q: P(%s) = %v not in [0, 1]", text, man.Labels[l].Name, pr)
		}
		if pr > p.Probs[argmax] {
			argmax = l
		}
	}
	predicted := make([]bool, L)
	for _, l := range p.Labels {
		if predicted[l] {
			t.Errorf("%q: label %s predicted twice", text, man.Labels[l].Name)
		}
		predicted[l] = true
		if p.Probs[l] > p.Probs[p.Top] {
			t.Errorf("%q: Top is %s (%v) but returned %s has %v", text, man.Labels[p.Top].Name, p.Probs[p.Top], man.Labels[l].Name, p.Probs[l])
		}
		if !p.Abstained && p.Probs[l] < man.Labels[l].Threshold {
			t.Errorf("%q: %s predicted at %v, below its threshold %v", text, man.Labels[l].Name, p.Probs[l], man.Labels[l].Threshold)
		}
	}
	if !predicted[p.Top] {
		t.Errorf("%q: Top %s is not among the labels %v", text, man.Labels[p.Top].Name, p.Labels)
	}
	if p.Abstained {
		if len(p.Labels) != 1 || p.Labels[0] != argmax {
			t.Errorf("%q: abstained with labels %v, want the most probable label %d alone", text, p.Labels, argmax)
		}
		for l, pr := range p.Probs {
			if pr >= man.Labels[l].Threshold && (man.MultiLabel || l == argmax) {
				t.Errorf("%q: abstained although %s passes (%v >= %v)", text, man.Labels[l].Name, pr, man.Labels[l].Threshold)
			}
		}
		return
	}
	if !man.MultiLabel {
		if len(p.Labels) != 1 || p.Labels[0] != argmax {
			t.Errorf("%q: single-label model predicted %v, want the top label %d", text, p.Labels, argmax)
		}
		return
	}
	x := slices.IndexFunc(man.Labels, func(l linear.LabelEntry) bool { return l.Name == man.ExclusiveLabel })
	other := false
	for l := range L {
		if l == x {
			continue
		}
		passes := p.Probs[l] >= man.Labels[l].Threshold
		other = other || passes
		if passes != predicted[l] {
			t.Errorf("%q: %s at %v, threshold %v, predicted %v", text, man.Labels[l].Name, p.Probs[l], man.Labels[l].Threshold, predicted[l])
		}
	}
	if x >= 0 {
		if predicted[x] && len(p.Labels) > 1 {
			t.Errorf("%q: exclusive label %s predicted with others: %v", text, man.ExclusiveLabel, p.Labels)
		}
		if want := !other && p.Probs[x] >= man.Labels[x].Threshold; predicted[x] != want {
			t.Errorf("%q: exclusive %s predicted %v, want %v (P = %v, threshold %v, another label passes: %v)",
				text, man.ExclusiveLabel, predicted[x], want, p.Probs[x], man.Labels[x].Threshold, other)
		}
	}
}

func TestDecisionRule(t *testing.T) {
	base := artifact(t, trained(t))
	texts := probeTexts()
	// setThresholds returns an edit setting anti, none, pro thresholds.
	setThresholds := func(th ...float64) func(*testing.T, fstest.MapFS) {
		return func(t *testing.T, fsys fstest.MapFS) {
			editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) {
				for i, l := range v["labels"].([]any) {
					l.(map[string]any)["threshold"] = th[i]
				}
			})
		}
	}
	tests := []struct {
		name string
		edit func(*testing.T, fstest.MapFS)
		// want, when every is set, is every text's predicted labels.
		want         []string
		every        bool
		neverAbstain bool
		// abstain expects every text below threshold.
		abstain bool
	}{
		{name: "trained"},
		{name: "nothing passes", edit: setThresholds(1, 1, 1), abstain: true},
		{name: "everything passes", edit: setThresholds(0, 0, 0), want: []string{"anti", "pro"}, every: true},
		{name: "only none passes", edit: setThresholds(1, 0, 1), want: []string{"none"}, every: true},
		{name: "no exclusive label", edit: func(t *testing.T, fsys fstest.MapFS) {
			editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) { delete(v, "exclusive_label") })
			setThresholds(0, 0, 0)(t, fsys)
		}, want: []string{"anti", "none", "pro"}, every: true},
		{name: "single label", edit: func(t *testing.T, fsys fstest.MapFS) {
			editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) { v["multi_label"] = false })
			setThresholds(0, 0, 0)(t, fsys)
		}, neverAbstain: true},
		{name: "single label with thresholds", edit: func(t *testing.T, fsys fstest.MapFS) {
			editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) { v["multi_label"] = false })
			setThresholds(0.9, 0.9, 0.9)(t, fsys)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for k, v := range base {
				fsys[k] = v
			}
			if tt.edit != nil {
				tt.edit(t, fsys)
			}
			m, err := linear.Load(fsys)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			man := m.Manifest()
			counts, abstained := map[string]int{}, 0
			for _, text := range texts {
				p, err := m.Predict(text, "")
				if err != nil {
					t.Fatalf("Predict(%q): %v", text, err)
				}
				checkPrediction(t, man, text, p)
				if p.Abstained {
					abstained++
				}
				got := labelNames(m, p)
				counts[strings.Join(got, "+")]++
				if tt.every && !slices.Equal(got, tt.want) {
					t.Errorf("%q: labels %q, want %q", text, got, tt.want)
				}
			}
			t.Logf("%d texts: %v (abstained on %d)", len(texts), counts, abstained)
			if tt.neverAbstain && abstained != 0 {
				t.Errorf("abstained on %d texts, want none", abstained)
			}
			if tt.abstain && abstained != len(texts) {
				t.Errorf("abstained on %d of %d texts, want all", abstained, len(texts))
			}
		})
	}
}

func TestPredictConcurrent(t *testing.T) {
	m := trained(t)
	texts := probeTexts()
	want := make([][]float64, len(texts))
	for i, text := range texts {
		p, err := m.Predict(text, "")
		if err != nil {
			t.Fatal(err)
		}
		want[i] = p.Probs
	}
	errs := make(chan string, 8)
	for g := range 8 {
		go func() {
			for k := range texts {
				i := (k + 37*g) % len(texts)
				p, err := m.Predict(texts[i], "")
				if err != nil || !slices.Equal(p.Probs, want[i]) {
					errs <- texts[i]
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if text := <-errs; text != "" {
			t.Errorf("concurrent Predict(%q) differs from the sequential result", text)
		}
	}
}

// TestPredictExplained checks that one pass gives what Predict and
// Explain give separately.
func TestPredictExplained(t *testing.T) {
	m := trained(t)
	for _, text := range []string{"China and Russia will build a multipolar world together.", "The spokesman condemned American hegemony.", "Talks were held on Monday."} {
		p, ex, err := m.PredictExplained(text, "")
		if err != nil {
			t.Fatal(err)
		}
		want, err := m.Predict(text, "")
		if err != nil {
			t.Fatal(err)
		}
		wantEx, err := m.Explain(text, "", want.Labels)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("%q: prediction differs from Predict (-want +got):\n%s", text, diff)
		}
		if diff := cmp.Diff(wantEx, ex); diff != "" {
			t.Errorf("%q: explanations differ from Explain (-want +got):\n%s", text, diff)
		}
	}
}
