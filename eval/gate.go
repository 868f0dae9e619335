package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// Baseline holds the figures a new report must not fall below. A full
// report.json is a valid baseline file: it has the same keys.
type Baseline struct {
	// MacroF1 is the baseline's macro F1.
	MacroF1 float64 `json:"macro_f1"`
	// FAvg is the baseline's F_avg; nil when it has none.
	FAvg *float64 `json:"f_avg,omitempty"`
	// Data describes the evaluation data, for messages only.
	Data string `json:"data,omitempty"`
	// Model describes the model, for messages only.
	Model string `json:"model,omitempty"`
}

// WriteBaseline writes the figures of r as a baseline file at path; data
// and model describe what was measured.
func WriteBaseline(path string, r *Report, data, model string) error {
	raw, err := json.MarshalIndent(Baseline{MacroF1: r.MacroF1, FAvg: r.FAvg, Data: data, Model: model}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// ReadBaseline reads a baseline file or a report.json. It fails when the
// file has no macro_f1 or a value outside [0, 1].
func ReadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, fmt.Errorf("read baseline %q: %w", path, err)
	}
	if _, ok := keys["macro_f1"]; !ok {
		return nil, fmt.Errorf("read baseline %q: no macro_f1", path)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("read baseline %q: %w", path, err)
	}
	if !unit(b.MacroF1) {
		return nil, fmt.Errorf("read baseline %q: macro_f1 %v outside [0, 1]", path, b.MacroF1)
	}
	if b.FAvg != nil && !unit(*b.FAvg) {
		return nil, fmt.Errorf("read baseline %q: f_avg %v outside [0, 1]", path, *b.FAvg)
	}
	return &b, nil
}

func unit(v float64) bool { return v >= 0 && v <= 1 }

// RegressionError reports a metric that fell below its baseline by more
// than the allowed drop.
type RegressionError struct {
	// Metric names the metric: "macro F1" or "F_avg".
	Metric string
	// Got is the report's value, Baseline the baseline's.
	Got, Baseline float64
	// MaxDrop is the allowed drop.
	MaxDrop float64
	// Data and Model come from the baseline.
	Data, Model string
}

func (e *RegressionError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s regressed: %.4f is %.4f below the baseline %.4f, more than the allowed drop %.4f",
		e.Metric, e.Got, e.Baseline-e.Got, e.Baseline, e.MaxDrop)
	var about []string
	if e.Model != "" {
		about = append(about, "model "+e.Model)
	}
	if e.Data != "" {
		about = append(about, "data "+e.Data)
	}
	if len(about) > 0 {
		fmt.Fprintf(&sb, " (baseline %s)", strings.Join(about, ", "))
	}
	return sb.String()
}

// Gate returns nil when r's macro F1 is at least b's minus maxDrop and,
// when both have F_avg, r's F_avg is at least b's minus maxDrop. Otherwise
// it returns a *RegressionError per failing metric (joined with
// errors.Join when both fail). maxDrop must be a non-negative number.
func (r *Report) Gate(b *Baseline, maxDrop float64) error {
	if r == nil || b == nil {
		return errors.New("gate: nil report or baseline")
	}
	if math.IsNaN(maxDrop) || maxDrop < 0 {
		return fmt.Errorf("gate: max drop %v is not a non-negative number", maxDrop)
	}
	var errs []error
	check := func(metric string, got, base float64) {
		if got < base-maxDrop {
			errs = append(errs, &RegressionError{
				Metric: metric, Got: got, Baseline: base, MaxDrop: maxDrop,
				Data: b.Data, Model: b.Model,
			})
		}
	}
	check("macro F1", r.MacroF1, b.MacroF1)
	if r.FAvg != nil && b.FAvg != nil {
		check("F_avg", *r.FAvg, *b.FAvg)
	}
	return errors.Join(errs...)
}
