package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGate(t *testing.T) {
	report := func(macro float64, favg *float64) *Report { return &Report{MacroF1: macro, FAvg: favg} }
	tests := []struct {
		name    string
		r       *Report
		b       *Baseline
		maxDrop float64
		want    []string // substrings of the error; nil for a pass
		metrics []string // metrics of the RegressionErrors
	}{
		{name: "better", r: report(0.8, nil), b: &Baseline{MacroF1: 0.7}, maxDrop: 0},
		{name: "within margin", r: report(0.69, nil), b: &Baseline{MacroF1: 0.7}, maxDrop: 0.02},
		{name: "exactly at margin", r: report(0.5, nil), b: &Baseline{MacroF1: 0.75}, maxDrop: 0.25},
		{
			name: "macro drop", r: report(0.65, nil), b: &Baseline{MacroF1: 0.7, Model: "v2", Data: "dev"}, maxDrop: 0.02,
			want:    []string{"macro F1 regressed: 0.6500 is 0.0500 below the baseline 0.7000, more than the allowed drop 0.0200 (baseline model v2, data dev)"},
			metrics: []string{"macro F1"},
		},
		{
			name: "F_avg drop", r: report(0.7, ptr(0.5)), b: &Baseline{MacroF1: 0.7, FAvg: ptr(0.6)}, maxDrop: 0.05,
			want:    []string{"F_avg regressed: 0.5000 is 0.1000 below the baseline 0.6000, more than the allowed drop 0.0500"},
			metrics: []string{"F_avg"},
		},
		{name: "F_avg only in baseline", r: report(0.7, nil), b: &Baseline{MacroF1: 0.7, FAvg: ptr(0.9)}, maxDrop: 0},
		{
			name: "both drop", r: report(0.1, ptr(0.1)), b: &Baseline{MacroF1: 0.7, FAvg: ptr(0.6)}, maxDrop: 0,
			want:    []string{"macro F1 regressed", "F_avg regressed"},
			metrics: []string{"macro F1", "F_avg"},
		},
		{name: "negative drop", r: report(0.8, nil), b: &Baseline{MacroF1: 0.7}, maxDrop: -0.1, want: []string{"max drop -0.1"}},
		{name: "nil baseline", r: report(0.8, nil), b: nil, want: []string{"nil report or baseline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Gate(tt.b, tt.maxDrop)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Gate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Gate = nil, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Gate = %q, want it to contain %q", err, w)
				}
			}
			var got []string
			for _, e := range unwrapAll(err) {
				var re *RegressionError
				if errors.As(e, &re) {
					got = append(got, re.Metric)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.metrics, ",") {
				t.Errorf("regressed metrics = %v, want %v", got, tt.metrics)
			}
		})
	}
}

// unwrapAll returns the errors joined in err, or err itself.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestReadBaseline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// A full report.json is a baseline.
	r, err := Compute(semevalItems(), Options{Bootstrap: 50, Seed: 1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	b, err := ReadBaseline(write("report.json", string(js)))
	if err != nil {
		t.Fatalf("ReadBaseline(report.json): %v", err)
	}
	if b.MacroF1 != r.MacroF1 || b.FAvg == nil || *b.FAvg != *r.FAvg {
		t.Errorf("baseline = %+v, want macro %v and F_avg %v", b, r.MacroF1, *r.FAvg)
	}
	if err := r.Gate(b, 0); err != nil {
		t.Errorf("Gate against its own report = %v, want nil", err)
	}

	tests := []struct {
		name, content string
		want          *Baseline
		wantErr       string
	}{
		{name: "baseline file", content: `{"macro_f1": 0.61, "f_avg": 0.55, "data": "semeval dev", "model": "linear v3"}`,
			want: &Baseline{MacroF1: 0.61, FAvg: ptr(0.55), Data: "semeval dev", Model: "linear v3"}},
		{name: "no f_avg", content: `{"macro_f1": 0.5}`, want: &Baseline{MacroF1: 0.5}},
		{name: "missing macro", content: `{"f_avg": 0.5}`, wantErr: "no macro_f1"},
		{name: "out of range", content: `{"macro_f1": 61}`, wantErr: "outside [0, 1]"},
		{name: "not json", content: `macro_f1 = 0.5`, wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadBaseline(write(tt.name+".json", tt.content))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadBaseline error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadBaseline: %v", err)
			}
			if b.MacroF1 != tt.want.MacroF1 || b.Data != tt.want.Data || b.Model != tt.want.Model ||
				(b.FAvg == nil) != (tt.want.FAvg == nil) || (b.FAvg != nil && *b.FAvg != *tt.want.FAvg) {
				t.Errorf("ReadBaseline = %+v, want %+v", b, tt.want)
			}
		})
	}
	if _, err := ReadBaseline(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadBaseline(missing) = %v, want os.ErrNotExist", err)
	}
}
