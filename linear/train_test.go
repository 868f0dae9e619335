package linear_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
)

func TestTrainLearnsSyntheticSet(t *testing.T) {
	m := trained(t)
	if got, want := m.Labels(), []string{"anti", "none", "pro"}; !slices.Equal(got, want) {
		t.Fatalf("Labels() = %q, want %q", got, want)
	}
	man := m.Manifest()
	if !man.MultiLabel || man.ExclusiveLabel != "none" {
		t.Errorf("MultiLabel, ExclusiveLabel = %v, %q; want true, \"none\"", man.MultiLabel, man.ExclusiveLabel)
	}
	if man.Hyperparameters.Thresholds != "train" {
		t.Errorf("Hyperparameters.Thresholds = %q, want \"train\" (no dev, no cross-validation)", man.Hyperparameters.Thresholds)
	}
	if man.Hyperparameters.CVFolds != 0 || man.Hyperparameters.Grid != nil {
		t.Errorf("Folds 1 recorded CVFolds %d and grid %v; want neither", man.Hyperparameters.CVFolds, man.Hyperparameters.Grid)
	}
	if man.Features != testFeatures || man.Hyperparameters.L2 != 1e-4 {
		t.Errorf("trained with %+v, L2 %g; want the only grid point %+v, L2 1e-4", man.Features, man.Hyperparameters.L2, testFeatures)
	}

	type tc struct {
		text string
		want []string
	}
	var cases []tc
	for _, e := range synthetic() {
		cases = append(cases, tc{e.Text, e.Labels})
	}
	cases = append(cases, []tc{ // unseen, but built from the training vocabulary
		{"The ambassador praised a multipolar world.", []string{"pro"}},
		{"Partners welcomed the multipolar world order.", []string{"pro"}},
		{"The spokesman denounced unilateral sanctions.", []string{"anti"}},
		{"Leaders condemned hegemony.", []string{"anti"}},
		{"Talks were held on Tuesday.", []string{"none"}},
		{"The delegation met in Vienna on Friday.", []string{"none"}},
		{"The envoy praised a multipolar world and denounced unilateral sanctions.", []string{"anti", "pro"}},
	}...)
	labels := m.Labels()
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			p, err := m.Predict(c.text, "")
			if err != nil {
				t.Fatalf("Predict: %v", err)
			}
			want := slices.Sorted(slices.Values(c.want))
			if got := labelNames(m, p); !slices.Equal(got, want) {
				t.Errorf("labels = %q, want %q (probs %.3f)", got, want, p.Probs)
			}
			for _, name := range c.want {
				if pr := p.Probs[slices.Index(labels, name)]; pr <= 0.5 {
					t.Errorf("P(%s) = %.3f, want > 0.5", name, pr)
				}
			}
		})
	}
}

func TestTrainCrossValidatesGrid(t *testing.T) {
	cfg := syntheticConfig(tokenizerJSON(t))
	cfg.Folds = 3
	cfg.Grid = []linear.Features{
		{Dim: 1 << 10, WordNgrams: 1},
		{Dim: 1 << 10, WordNgrams: 2, Pieces: true},
	}
	cfg.L2 = []float64{1e-4, 1e-2}
	var calls, lastDone, lastTotal int
	cfg.Progress = func(done, total int) { calls, lastDone, lastTotal = calls+1, done, total }
	m, err := linear.Train(synthetic(), nil, cfg)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	hp := m.Manifest().Hyperparameters
	if hp.CVFolds != 3 {
		t.Errorf("CVFolds = %d, want 3", hp.CVFolds)
	}
	if hp.Thresholds != "cv" {
		t.Errorf("Thresholds = %q, want \"cv\"", hp.Thresholds)
	}
	if got, want := len(hp.Grid), len(cfg.Grid)*len(cfg.L2); got != want {
		t.Fatalf("len(Grid) = %d, want %d (one per setting): %+v", got, want, hp.Grid)
	}
	bestF1 := math.Inf(-1)
	for _, f := range cfg.Grid {
		for _, l2 := range cfg.L2 {
			n := 0
			for _, gp := range hp.Grid {
				if gp.Features == f && gp.L2 == l2 {
					n++
					if gp.MacroF1 < 0 || gp.MacroF1 > 1 {
						t.Errorf("grid point %+v: macro F1 %v not in [0, 1]", gp, gp.MacroF1)
					}
					bestF1 = max(bestF1, gp.MacroF1)
				}
			}
			if n != 1 {
				t.Errorf("setting %+v, L2 %g appears %d times in the grid, want once", f, l2, n)
			}
		}
	}
	man := m.Manifest()
	chosen := slices.IndexFunc(hp.Grid, func(gp linear.GridPoint) bool {
		return gp.Features == man.Features && gp.L2 == hp.L2
	})
	if chosen < 0 {
		t.Fatalf("chosen features %+v, L2 %g are not in the grid %+v", man.Features, hp.L2, hp.Grid)
	}
	if got := hp.Grid[chosen].MacroF1; got != bestF1 {
		t.Errorf("chosen setting scores %v, but the best in the grid scores %v", got, bestF1)
	}
	if got := man.Metrics["cv"]["macro_f1"]; got != bestF1 {
		t.Errorf("Metrics[cv][macro_f1] = %v, want the chosen setting's %v", got, bestF1)
	}
	if wantTotal := len(hp.Grid)*cfg.Folds + 1; calls == 0 || lastDone != wantTotal || lastTotal != wantTotal {
		t.Errorf("last progress call (%d, %d) after %d calls; want (%d, %d)", lastDone, lastTotal, calls, wantTotal, wantTotal)
	}
	p, err := m.Predict("The minister praised the multipolar world.", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := labelNames(m, p); !slices.Equal(got, []string{"pro"}) {
		t.Errorf("cross-validated model predicts %q for a training sentence, want [pro]", got)
	}
	if v := m.Manifest().Version; v == trained(t).Manifest().Version {
		t.Errorf("version %q equals that of a model trained with other settings", v)
	}
}

func TestTrainWithDevTunesOnDev(t *testing.T) {
	all := synthetic()
	cfg := syntheticConfig(tokenizerJSON(t))
	m, err := linear.Train(all[:len(all)-12], all[len(all)-12:], cfg)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	if got := m.Manifest().Hyperparameters.Thresholds; got != "dev" {
		t.Errorf("Thresholds = %q, want \"dev\"", got)
	}
	for _, l := range m.Manifest().Labels {
		if l.Threshold < 0.01 || l.Threshold > 0.99 {
			t.Errorf("label %s: threshold %v not in [0.01, 0.99]", l.Name, l.Threshold)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	tok := tokenizerJSON(t)
	again, err := linear.Train(synthetic(), nil, syntheticConfig(tok))
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	dirs := []string{t.TempDir(), t.TempDir()}
	for i, m := range []*linear.Model{trained(t), again} {
		if got, want := m.Manifest().Created, "2024-05-06T05:08:09Z"; got != want {
			t.Errorf("Manifest().Created = %q, want %q (TrainConfig.Created in UTC)", got, want)
		}
		if err := m.Save(dirs[i]); err != nil {
			t.Fatalf("Save: %v", err)
		}
	}
	for _, name := range []string{linear.ManifestFile, linear.TokenizerFile, linear.WeightsFile} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two trainings with the same data, config and seed", name)
		}
	}
	var man struct {
		Created string `json:"created"`
	}
	data, err := os.ReadFile(filepath.Join(dirs[0], linear.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &man); err != nil {
		t.Fatal(err)
	}
	if want := "2024-05-06T05:08:09Z"; man.Created != want {
		t.Errorf("manifest.json created = %q, want %q", man.Created, want)
	}

	// The version follows the content, not the creation time.
	cfg := syntheticConfig(tok)
	cfg.Created = testCreated.AddDate(1, 0, 0)
	later, err := linear.Train(synthetic(), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := later.Manifest().Created, "2025-05-06T05:08:09Z"; got != want {
		t.Errorf("Manifest().Created = %q, want %q", got, want)
	}
	if got, want := later.Manifest().Version, again.Manifest().Version; got != want {
		t.Errorf("version %q after retraining a year later, want %q", got, want)
	}
}

func TestTrainErrors(t *testing.T) {
	tok := tokenizerJSON(t)
	good := synthetic()
	tests := []struct {
		name  string
		train []linear.Example
		dev   []linear.Example
		edit  func(*linear.TrainConfig)
		want  string
	}{
		{name: "no examples", want: "no training examples"},
		{name: "example without labels", train: append(slices.Clone(good), linear.Example{Text: "Talks."}), want: `example "Talks." has no labels`},
		{name: "one label", train: []linear.Example{{Text: "a", Labels: []string{"x"}}, {Text: "b", Labels: []string{"x"}}}, want: "1 label(s)"},
		{
			name:  "label outside the label set",
			train: good,
			edit:  func(c *linear.TrainConfig) { c.Labels = []linear.LabelEntry{{Name: "pro"}, {Name: "none"}} },
			want:  `data has label "anti", which the label set does not define`,
		},
		{name: "bad tokenizer", train: good, edit: func(c *linear.TrainConfig) { c.Tokenizer = []byte("{}") }, want: "tokenizer.json"},
		{
			name:  "dim not a power of two",
			train: good,
			edit:  func(c *linear.TrainConfig) { c.Grid = []linear.Features{{Dim: 1000, WordNgrams: 2}} },
			want:  "feature dim 1000 is not a power of two",
		},
		{
			name:  "zero features",
			train: good,
			edit:  func(c *linear.TrainConfig) { c.Grid = []linear.Features{{}} },
			want:  "feature dim 0",
		},
		{
			name:  "word n-grams out of range",
			train: good,
			edit:  func(c *linear.TrainConfig) { c.Grid = []linear.Features{{Dim: 1 << 10, WordNgrams: 4}} },
			want:  "word_ngrams 4",
		},
		{name: "zero l2", train: good, edit: func(c *linear.TrainConfig) { c.L2 = []float64{1e-4, 0} }, want: "l2 0 is not a positive finite number"},
		{name: "NaN l2", train: good, edit: func(c *linear.TrainConfig) { c.L2 = []float64{math.NaN()} }, want: "l2 NaN is not a positive finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := syntheticConfig(tok)
			if tt.edit != nil {
				tt.edit(&cfg)
			}
			m, err := linear.Train(tt.train, tt.dev, cfg)
			if err == nil {
				t.Fatalf("Train succeeded (model %v), want an error containing %q", m.Manifest().Name, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Train error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTrainConfiguredLabels(t *testing.T) {
	cfg := syntheticConfig(tokenizerJSON(t))
	cfg.Labels = []linear.LabelEntry{
		{Name: "pro", Description: "for a multipolar world", Threshold: 0.9},
		{Name: "anti", Description: "against hegemony"},
		{Name: "none"},
		{Name: "unused"},
	}
	m, err := linear.Train(synthetic(), nil, cfg)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	if got, want := m.Labels(), []string{"pro", "anti", "none", "unused"}; !slices.Equal(got, want) {
		t.Errorf("Labels() = %q, want the configured order %q", got, want)
	}
	if got := m.Manifest().Labels[0].Description; got != "for a multipolar world" {
		t.Errorf("Labels[0].Description = %q, want the configured one", got)
	}
	if got := m.Manifest().Labels[0].Threshold; got == 0.9 {
		t.Errorf("configured threshold 0.9 kept; TrainConfig.Labels thresholds are documented as ignored")
	}
	p, err := m.Predict("Brazil supports a multipolar world order.", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := labelNames(m, p); !slices.Equal(got, []string{"pro"}) {
		t.Errorf("labels = %q, want [pro]", got)
	}
}

// targetData: the same sentences mean FAVOR for target A and AGAINST for
// B, and the reverse, so only features crossed with the target separate
// them.
func targetData() []linear.Example {
	favorA := []string{
		"I support it.", "We back this fully.", "This deserves our support.",
		"I am all for it.", "We welcome this plan.", "Count me in on this.",
		"I endorse it wholeheartedly.", "This is a good idea.",
	}
	againstA := []string{
		"I oppose it.", "We reject this completely.", "This must be stopped.",
		"I am against it.", "We condemn this plan.", "Count me out of this.",
		"I object to it strongly.", "This is a bad idea.",
	}
	var out []linear.Example
	for i := range favorA {
		out = append(out,
			linear.Example{Text: favorA[i], Target: "A", Labels: []string{"FAVOR"}},
			linear.Example{Text: favorA[i], Target: "B", Labels: []string{"AGAINST"}},
			linear.Example{Text: againstA[i], Target: "A", Labels: []string{"AGAINST"}},
			linear.Example{Text: againstA[i], Target: "B", Labels: []string{"FAVOR"}},
		)
	}
	return out
}

// targetModel trains the target data once per test binary; tests must not
// modify it.
var targetModel = sync.OnceValues(func() (*linear.Model, error) {
	data, err := models.Default.ReadFile("default/tokenizer.json")
	if err != nil {
		return nil, err
	}
	return linear.Train(targetData(), nil, syntheticConfig(data))
})

func trainTargets(t *testing.T) *linear.Model {
	t.Helper()
	m, err := targetModel()
	if err != nil {
		t.Fatalf("train target model: %v", err)
	}
	return m
}

func TestTargetCrossing(t *testing.T) {
	m := trainTargets(t)
	man := m.Manifest()
	if man.MultiLabel {
		t.Errorf("MultiLabel = true for data with one label per example")
	}
	if !man.Features.TargetCross {
		t.Errorf("Features.TargetCross = false for data with targets")
	}
	if got, want := man.Targets, []string{"A", "B"}; !slices.Equal(got, want) {
		t.Errorf("Targets = %q, want %q", got, want)
	}
	tests := []struct {
		text, target, want string
	}{
		{"I support it.", "A", "FAVOR"},
		{"I support it.", "B", "AGAINST"},
		{"We reject this completely.", "A", "AGAINST"},
		{"We reject this completely.", "B", "FAVOR"},
		{"This is a good idea.", "A", "FAVOR"},
		{"This is a good idea.", "B", "AGAINST"},
		// unseen combinations of seen words
		{"We support this plan.", "A", "FAVOR"},
		{"We support this plan.", "B", "AGAINST"},
		{"We oppose this plan.", "A", "AGAINST"},
		{"We oppose this plan.", "B", "FAVOR"},
	}
	for _, tt := range tests {
		t.Run(tt.target+"/"+tt.text, func(t *testing.T) {
			if err := m.CheckTarget(tt.target); err != nil {
				t.Fatalf("CheckTarget(%q): %v", tt.target, err)
			}
			p, err := m.Predict(tt.text, tt.target)
			if err != nil {
				t.Fatalf("Predict: %v", err)
			}
			if got := labelNames(m, p); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("labels = %q, want [%s] (probs %.3f)", got, tt.want, p.Probs)
			}
			if got := m.Labels()[p.Top]; got != tt.want {
				t.Errorf("Top = %s, want %s", got, tt.want)
			}
		})
	}
	// Without a target only the shared features count, and they cannot
	// tell the two readings apart.
	p, err := m.Predict("I support it.", "")
	if err != nil {
		t.Fatal(err)
	}
	for l, pr := range p.Probs {
		if math.Abs(pr-0.5) > 0.1 {
			t.Errorf("without target P(%s) = %.3f, want near 0.5", m.Labels()[l], pr)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	withTargets := trainTargets(t)
	without := trained(t)
	tests := []struct {
		name   string
		m      *linear.Model
		target string
		want   []string // substrings; nil means no error
	}{
		{"known target", withTargets, "A", nil},
		{"empty target on a target model", withTargets, "", nil},
		{"empty target on a plain model", without, "", nil},
		{"unknown target", withTargets, "C", []string{`unknown target "C"`, `accepts: "A", "B"`}},
		{"case matters", withTargets, "a", []string{`unknown target "a"`, `"A", "B"`}},
		{"target on a plain model", without, "A", []string{`target "A" given`, "synthetic takes no target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.CheckTarget(tt.target)
			if tt.want == nil {
				if err != nil {
					t.Errorf("CheckTarget(%q) = %v, want nil", tt.target, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckTarget(%q) = nil, want an error", tt.target)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckTarget(%q) = %q, want it to contain %q", tt.target, err, w)
				}
			}
			if got := stance.Code(err); got != stance.EInvalid {
				t.Errorf("stance.Code = %v, want EInvalid", got)
			}
		})
	}
}

// TestTrainGolden pins the predictions of the fixed-seed synthetic model;
// run with -update after an intended change to training or features.
// Probabilities are rounded so that the file survives FMA differences
// between architectures.
func TestTrainGolden(t *testing.T) {
	m := trained(t)
	texts := []string{
		"China and Russia will build a multipolar world together.",
		"The spokesman condemned American hegemony.",
		"Talks were held on Monday.",
		"A multipolar world will end hegemony and unilateral sanctions.",
		"The ambassador praised a multipolar world.",
		"The weather was mild.",
		"",
	}
	var b strings.Builder
	fmt.Fprintf(&b, "labels %s\n", strings.Join(m.Labels(), " "))
	for _, l := range m.Manifest().Labels {
		fmt.Fprintf(&b, "threshold %s %.2f\n", l.Name, l.Threshold)
	}
	for _, text := range texts {
		p, err := m.Predict(text, "")
		if err != nil {
			t.Fatalf("Predict(%q): %v", text, err)
		}
		fmt.Fprintf(&b, "%q labels=%v abstained=%v probs=%.2f\n", text, labelNames(m, p), p.Abstained, p.Probs)
	}
	got := b.String()
	golden := filepath.Join("testdata", "synthetic.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("predictions differ from %s (-want +got):\n%s", golden, diff)
	}
}
