package eval

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= tol }

func checkFloat(t *testing.T, name string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %.12f, want %.12f", name, got, want)
	}
}

// multiLabelItems is the hand-computed multi-label case.
//
//	item  gold    pred    top
//	1     {A,B}   {A}     A
//	2     {B}     {B,C}   B
//	3     {C}     {}      A    (abstained)
//	4     {A}     {A}     A
//	5     {B,C}   {B,C}   C
//
// Per label:
//
//	A: gold in 1,4; pred in 1,4      TP=2 FP=0 FN=0  P=1   R=1   F1=4/4=1
//	B: gold in 1,2,5; pred in 2,5    TP=2 FP=0 FN=1  P=1   R=2/3 F1=4/5=0.8
//	C: gold in 3,5; pred in 2,5      TP=1 FP=1 FN=1  P=1/2 R=1/2 F1=2/4=0.5
//
// Micro F1: TP=5 FP=1 FN=2 → 2·5/(2·5+1+2) = 10/13.
// Macro F1: (1 + 0.8 + 0.5)/3 = 2.3/3.
// Exact match: items 4 and 5 → 2/5 = 0.4.
// Hamming loss: item 1 misses B, item 2 adds C, item 3 misses C → 3 wrong
// decisions out of 5 items × 3 labels → 3/15 = 0.2.
// Accuracy: top in gold for 1 (A∈{A,B}), 2, 4, 5 (C∈{B,C}); not 3 → 4/5.
// Confusion (gold top = first gold label in A,B,C order): items give
// (A,A) (B,B) (C,A) (A,A) (B,C).
func multiLabelItems() []Item {
	return []Item{
		{Gold: []string{"A", "B"}, Pred: []string{"A"}, Top: "A"},
		{Gold: []string{"B"}, Pred: []string{"B", "C"}, Top: "B"},
		{Gold: []string{"C"}, Pred: nil, Top: "A"},
		{Gold: []string{"A"}, Pred: []string{"A"}, Top: "A"},
		{Gold: []string{"B", "C"}, Pred: []string{"C", "B"}, Top: "C"},
	}
}

func TestComputeMultiLabel(t *testing.T) {
	r, err := Compute(multiLabelItems(), Options{Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if got, want := r.Labels, []string{"A", "B", "C"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Labels = %v, want %v", got, want)
	}
	wantPer := map[string]LabelMetrics{
		"A": {Precision: 1, Recall: 1, F1: 1, Support: 2, Predicted: 2, TP: 2},
		"B": {Precision: 1, Recall: 2.0 / 3, F1: 0.8, Support: 3, Predicted: 2, TP: 2},
		"C": {Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 2, Predicted: 2, TP: 1},
	}
	for l, want := range wantPer {
		got := r.PerLabel[l]
		checkFloat(t, l+" precision", got.Precision, want.Precision)
		checkFloat(t, l+" recall", got.Recall, want.Recall)
		checkFloat(t, l+" F1", got.F1, want.F1)
		if got.Support != want.Support || got.Predicted != want.Predicted || got.TP != want.TP {
			t.Errorf("%s counts = %d/%d/%d, want %d/%d/%d", l, got.Support, got.Predicted, got.TP, want.Support, want.Predicted, want.TP)
		}
	}
	checkFloat(t, "MicroF1", r.MicroF1, 10.0/13)
	checkFloat(t, "MacroF1", r.MacroF1, 2.3/3)
	checkFloat(t, "ExactMatch", r.ExactMatch, 0.4)
	checkFloat(t, "HammingLoss", r.HammingLoss, 0.2)
	checkFloat(t, "Accuracy", r.Accuracy, 0.8)
	if r.N != 5 || r.Abstained != 1 {
		t.Errorf("N, Abstained = %d, %d, want 5, 1", r.N, r.Abstained)
	}
	wantCM := Confusion{Labels: []string{"A", "B", "C"}, Counts: [][]int{{2, 0, 0}, {0, 1, 1}, {1, 0, 0}}}
	if !reflect.DeepEqual(r.Confusion, wantCM) {
		t.Errorf("Confusion = %+v, want %+v", r.Confusion, wantCM)
	}
	if r.FAvg != nil || r.FAvgCI != nil || r.FAvgByTarget != nil {
		t.Errorf("F_avg set without FAVOR/AGAINST: %v %v %v", r.FAvg, r.FAvgCI, r.FAvgByTarget)
	}
	if r.PerLabelF1CI != nil || r.MacroF1CI != [2]float64{} {
		t.Errorf("intervals set with bootstrap disabled: %v %v", r.PerLabelF1CI, r.MacroF1CI)
	}
	if r.ECE != 0 || len(r.Calibration) != 0 {
		t.Errorf("ECE, Calibration = %v, %v without scores, want 0, []", r.ECE, r.Calibration)
	}
}

// TestComputeLabelOrder: with Labels C,B,A the gold top of item 1 ({A,B})
// becomes B and that of item 5 ({B,C}) becomes C.
func TestComputeLabelOrder(t *testing.T) {
	r, err := Compute(multiLabelItems(), Options{Labels: []string{"C", "B", "A"}, Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	// Rows and columns C,B,A; items give (gold,pred): (B,A) (B,B) (C,A) (A,A) (C,C).
	want := [][]int{{1, 0, 1}, {0, 1, 1}, {0, 0, 1}}
	if !reflect.DeepEqual(r.Confusion.Counts, want) {
		t.Errorf("Counts = %v, want %v", r.Confusion.Counts, want)
	}
	checkFloat(t, "MacroF1", r.MacroF1, 2.3/3)
}

// TestComputeLabelSubset: labels outside Options.Labels are ignored.
// With Labels A,B: per item, the (gold,pred) sets over {A,B} are
// ({A,B},{A}) ({B},{B}) ({},{}) ({A},{A}) ({B},{B}); exact match 4/5;
// one wrong decision (item 1, B) out of 5×2 → 0.1; macro (1+0.8)/2 = 0.9.
func TestComputeLabelSubset(t *testing.T) {
	r, err := Compute(multiLabelItems(), Options{Labels: []string{"A", "B"}, Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	checkFloat(t, "ExactMatch", r.ExactMatch, 0.8)
	checkFloat(t, "HammingLoss", r.HammingLoss, 0.1)
	checkFloat(t, "MacroF1", r.MacroF1, 0.9)
	// Micro: TP=4 FP=0 FN=1 → 8/9.
	checkFloat(t, "MicroF1", r.MicroF1, 8.0/9)
	// Accuracy looks at the full gold set: unchanged.
	checkFloat(t, "Accuracy", r.Accuracy, 0.8)
	// Item 3 has no gold label in {A,B} and item 5's top C is outside: 3 counted.
	want := [][]int{{2, 0}, {0, 1}}
	if !reflect.DeepEqual(r.Confusion.Counts, want) {
		t.Errorf("Counts = %v, want %v", r.Confusion.Counts, want)
	}
}

// semevalItems is the worked F_avg example, SemEval-2016 style.
//
//	item target gold     pred
//	1    T1     FAVOR    FAVOR
//	2    T1     FAVOR    AGAINST
//	3    T1     AGAINST  AGAINST
//	4    T1     NONE     FAVOR
//	5    T2     AGAINST  AGAINST
//	6    T2     AGAINST  FAVOR
//	7    T2     FAVOR    FAVOR
//	8    T2     NONE     NONE
//
// All items:
//
//	FAVOR:   gold 1,2,7; pred 1,4,6,7  TP=2 FP=2 FN=1  F1=4/7
//	AGAINST: gold 3,5,6; pred 2,3,5    TP=2 FP=1 FN=1  F1=4/6=2/3
//	F_avg = (4/7 + 2/3)/2 = 13/21 ≈ 0.6190
//
// T1:
//
//	FAVOR:   gold 1,2; pred 1,4  TP=1 FP=1 FN=1  F1=2/4=1/2
//	AGAINST: gold 3; pred 2,3    TP=1 FP=1 FN=0  F1=2/3
//	F_avg(T1) = (1/2 + 2/3)/2 = 7/12 ≈ 0.5833
//
// T2:
//
//	FAVOR:   gold 7; pred 6,7    TP=1 FP=1 FN=0  F1=2/3
//	AGAINST: gold 5,6; pred 5    TP=1 FP=0 FN=1  F1=2/3
//	F_avg(T2) = 2/3
//
// The official F_avg pools all targets, so it is not the mean of the
// per-target values ((7/12+2/3)/2 = 0.625).
// NONE: gold 4,8; pred 8  TP=1 FP=0 FN=1 F1=2/3; macro F1 over the three
// labels = (4/7 + 2/3 + 2/3)/3 = 40/63.
func semevalItems() []Item {
	rows := []struct{ target, gold, pred string }{
		{"T1", "FAVOR", "FAVOR"},
		{"T1", "FAVOR", "AGAINST"},
		{"T1", "AGAINST", "AGAINST"},
		{"T1", "NONE", "FAVOR"},
		{"T2", "AGAINST", "AGAINST"},
		{"T2", "AGAINST", "FAVOR"},
		{"T2", "FAVOR", "FAVOR"},
		{"T2", "NONE", "NONE"},
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		items[i] = Item{Gold: []string{r.gold}, Pred: []string{r.pred}, Top: r.pred, Target: r.target}
	}
	return items
}

func TestComputeFAvg(t *testing.T) {
	r, err := Compute(semevalItems(), Options{Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if r.FAvg == nil {
		t.Fatal("FAvg = nil, want a value")
	}
	checkFloat(t, "FAvg", *r.FAvg, 13.0/21)
	if len(r.FAvgByTarget) != 2 {
		t.Fatalf("FAvgByTarget = %v, want T1 and T2", r.FAvgByTarget)
	}
	checkFloat(t, "FAvg T1", r.FAvgByTarget["T1"], 7.0/12)
	checkFloat(t, "FAvg T2", r.FAvgByTarget["T2"], 2.0/3)
	checkFloat(t, "MacroF1", r.MacroF1, 40.0/63)
	if r.FAvgCI != nil {
		t.Errorf("FAvgCI = %v with bootstrap disabled, want nil", r.FAvgCI)
	}
}

func TestComputeFavgLabels(t *testing.T) {
	tests := []struct {
		name  string
		favg  []string
		items []Item
		want  *float64
	}{
		{"auto without AGAINST", nil, []Item{{Gold: []string{"FAVOR"}, Pred: []string{"NONE"}}}, nil},
		{"disabled", []string{}, semevalItems(), nil},
		// FAVOR alone: 4/7.
		{"explicit", []string{"FAVOR"}, semevalItems(), ptr(4.0 / 7)},
		// A label absent from the data has F1 0: (4/7 + 0)/2.
		{"explicit absent label", []string{"FAVOR", "NEUTRAL"}, semevalItems(), ptr(2.0 / 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compute(tt.items, Options{FavgLabels: tt.favg, Bootstrap: -1})
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			switch {
			case tt.want == nil && r.FAvg != nil:
				t.Errorf("FAvg = %v, want nil", *r.FAvg)
			case tt.want != nil && r.FAvg == nil:
				t.Errorf("FAvg = nil, want %v", *tt.want)
			case tt.want != nil:
				checkFloat(t, "FAvg", *r.FAvg, *tt.want)
			}
			if _, ok := r.PerLabel["NEUTRAL"]; ok {
				t.Errorf("PerLabel holds F_avg-only label NEUTRAL")
			}
		})
	}
}

func ptr(v float64) *float64 { return &v }

// TestComputeECE: two labels, probabilities and gold membership:
//
//	item 1 gold {A}: A 0.92 (1), B 0.22 (0)
//	item 2 gold {B}: A 0.96 (0), B 0.26 (1)
//	item 3 gold {A}: A 0.14 (1), B 0.72 (0)
//	item 4: no scores, skipped
//
//	bin [0.1,0.2): 0.14          conf 0.14 freq 1    gap 0.86
//	bin [0.2,0.3): 0.22, 0.26    conf 0.24 freq 0.5  gap 0.26
//	bin [0.7,0.8): 0.72          conf 0.72 freq 0    gap 0.72
//	bin [0.9,1.0]: 0.92, 0.96    conf 0.94 freq 0.5  gap 0.44
//
//	ECE = (1·0.86 + 2·0.26 + 1·0.72 + 2·0.44)/6 = 2.98/6
func TestComputeECE(t *testing.T) {
	items := []Item{
		{Gold: []string{"A"}, Pred: []string{"A"}, Top: "A", Scores: map[string]float64{"A": 0.92, "B": 0.22}},
		{Gold: []string{"B"}, Pred: []string{"A"}, Top: "A", Scores: map[string]float64{"A": 0.96, "B": 0.26}},
		{Gold: []string{"A"}, Pred: []string{"B"}, Top: "B", Scores: map[string]float64{"A": 0.14, "B": 0.72, "X": 0.5}},
		{Gold: []string{"A"}, Pred: []string{"A"}, Top: "A"},
	}
	r, err := Compute(items, Options{Labels: []string{"A", "B"}, Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	checkFloat(t, "ECE", r.ECE, 2.98/6)
	want := []CalibrationBin{
		{Lo: 0.1, Hi: 0.2, Count: 1, Confidence: 0.14, Frequency: 1},
		{Lo: 0.2, Hi: 0.3, Count: 2, Confidence: 0.24, Frequency: 0.5},
		{Lo: 0.7, Hi: 0.8, Count: 1, Confidence: 0.72, Frequency: 0},
		{Lo: 0.9, Hi: 1.0, Count: 2, Confidence: 0.94, Frequency: 0.5},
	}
	if len(r.Calibration) != len(want) {
		t.Fatalf("Calibration = %+v, want %+v", r.Calibration, want)
	}
	for i, got := range r.Calibration {
		w := want[i]
		if !near(got.Lo, w.Lo) || !near(got.Hi, w.Hi) || got.Count != w.Count ||
			!near(got.Confidence, w.Confidence) || !near(got.Frequency, w.Frequency) {
			t.Errorf("bin %d = %+v, want %+v", i, got, w)
		}
	}
}

// TestComputeECEEdges: 0 falls in the first bin and 1 in the last.
// Pairs (1.0, gold) and (0.0, not gold) are perfectly calibrated: ECE 0.
func TestComputeECEEdges(t *testing.T) {
	items := []Item{{Gold: []string{"A"}, Pred: []string{"A"}, Top: "A", Scores: map[string]float64{"A": 1, "B": 0}}}
	r, err := Compute(items, Options{Labels: []string{"A", "B"}, Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	checkFloat(t, "ECE", r.ECE, 0)
	if len(r.Calibration) != 2 || r.Calibration[0].Lo != 0 || r.Calibration[1].Hi != 1 {
		t.Errorf("Calibration = %+v, want bins [0,0.1) and [0.9,1]", r.Calibration)
	}
}

// bootstrapItems returns a larger single-label case with errors spread
// over labels and targets.
func bootstrapItems() []Item {
	labels := []string{"AGAINST", "FAVOR", "NONE"}
	targets := []string{"T1", "T2", "T3"}
	var items []Item
	for i := range 120 {
		gold := labels[i%3]
		pred := gold
		if i%5 == 0 || i%7 == 0 {
			pred = labels[(i+1)%3]
		}
		items = append(items, Item{Gold: []string{gold}, Pred: []string{pred}, Top: pred, Target: targets[i%len(targets)]})
	}
	return items
}

func TestBootstrap(t *testing.T) {
	items := bootstrapItems()
	a, err := Compute(items, Options{Seed: 7, Bootstrap: 500})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	b, err := Compute(items, Options{Seed: 7, Bootstrap: 500})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("reports differ for the same seed:\n%+v\n%+v", a, b)
	}
	c, err := Compute(items, Options{Seed: 8, Bootstrap: 500})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if c.MacroF1CI == a.MacroF1CI {
		t.Errorf("MacroF1CI = %v for seeds 7 and 8, want different intervals", a.MacroF1CI)
	}
	if c.MacroF1 != a.MacroF1 {
		t.Errorf("MacroF1 depends on the seed: %v, %v", a.MacroF1, c.MacroF1)
	}

	contains := func(name string, ci [2]float64, v float64) {
		t.Helper()
		if !(ci[0] <= v && v <= ci[1]) || ci[0] >= ci[1] {
			t.Errorf("%s CI %v does not strictly bracket %v", name, ci, v)
		}
	}
	contains("macro F1", a.MacroF1CI, a.MacroF1)
	if a.FAvg == nil || a.FAvgCI == nil {
		t.Fatalf("FAvg, FAvgCI = %v, %v, want both", a.FAvg, a.FAvgCI)
	}
	contains("F_avg", *a.FAvgCI, *a.FAvg)
	for _, l := range a.Labels {
		contains(l+" F1", a.PerLabelF1CI[l], a.PerLabel[l].F1)
	}

	// The default number of resamples is 1000 and gives an interval too.
	d, err := Compute(items, Options{})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	contains("default macro F1", d.MacroF1CI, d.MacroF1)
}

func TestPercentile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5}
	tests := []struct {
		q, want float64
	}{{0, 1}, {0.5, 3}, {1, 5}, {0.125, 1.5}, {0.975, 4.9}}
	for _, tt := range tests {
		if got := percentile(v, tt.q); !near(got, tt.want) {
			t.Errorf("percentile(%v, %v) = %v, want %v", v, tt.q, got, tt.want)
		}
	}
}

func TestComputeErrors(t *testing.T) {
	ok := []Item{{Gold: []string{"A"}, Pred: []string{"A"}, Top: "A"}}
	tests := []struct {
		name  string
		items []Item
		opt   Options
		want  string
	}{
		{"no items", nil, Options{}, "no items"},
		{"duplicate label", ok, Options{Labels: []string{"A", "A"}}, `duplicate label "A"`},
		{"empty label", ok, Options{Labels: []string{""}}, "empty label"},
		{"duplicate favg label", ok, Options{FavgLabels: []string{"A", "A"}}, `duplicate F_avg label "A"`},
		{"empty gold", []Item{{Gold: []string{""}}}, Options{}, "item 0: empty gold label"},
		{"empty pred", []Item{{Pred: []string{""}}}, Options{}, "item 0: empty predicted label"},
		{"NaN score", []Item{{Gold: []string{"A"}, Scores: map[string]float64{"A": math.NaN()}}}, Options{}, "not a probability"},
		{"score above 1", []Item{{Gold: []string{"A"}, Scores: map[string]float64{"A": 1.5}}}, Options{}, "not a probability"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.items, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compute error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestComputeNoLabels: items with no labels at all give a report of zeros,
// not a failure.
func TestComputeNoLabels(t *testing.T) {
	r, err := Compute([]Item{{}, {}}, Options{})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if len(r.Labels) != 0 || r.MacroF1 != 0 || r.HammingLoss != 0 || r.ExactMatch != 1 || r.Abstained != 2 {
		t.Errorf("report = %+v, want no labels, exact match 1, 2 abstained", r)
	}
}

func TestWorst(t *testing.T) {
	items := []Item{
		{Gold: []string{"a"}, Pred: []string{"a"}, Scores: map[string]float64{"a": 0.9}},                 // right
		{Gold: []string{"a"}, Pred: []string{"b"}, Scores: map[string]float64{"a": 0.3, "b": 0.6}},       // wrong b at 0.6, missed a at 0.3: 0.7
		{Gold: []string{"b"}, Pred: []string{"a"}, Scores: map[string]float64{"a": 0.95, "b": 0.2}},      // 0.95
		{Gold: []string{"a", "b"}, Pred: []string{"a"}, Scores: map[string]float64{"a": 0.9, "b": 0.45}}, // missed b: 0.55
		{Gold: []string{"b"}, Pred: []string{"a"}, Scores: map[string]float64{"a": 0.95, "b": 0.01}},     // 0.99
	}
	idx, sev := Worst(items, 3)
	if want := []int{4, 2, 1}; !slices.Equal(idx, want) {
		t.Errorf("Worst = %v, want %v", idx, want)
	}
	for i, want := range []float64{0.99, 0.95, 0.7} {
		if i < len(sev) && math.Abs(sev[i]-want) > 1e-12 {
			t.Errorf("severity %d = %v, want %v", i, sev[i], want)
		}
	}
	// Without scores, more wrong decisions rank first.
	idx, sev = Worst([]Item{{Gold: []string{"a"}, Pred: []string{"b"}}, {Gold: []string{"a", "c"}, Pred: []string{"b"}}, {Gold: []string{"a"}, Pred: []string{"a"}}}, 10)
	if !slices.Equal(idx, []int{1, 0}) || !slices.Equal(sev, []float64{3, 2}) {
		t.Errorf("Worst without scores = %v %v, want [1 0] [3 2]", idx, sev)
	}
}
