package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/stanceproject/stance"
)

// CommandLine joins args as a shell would read them back.
func CommandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// WriteErrors writes the examples whose predicted labels differ from the
// gold ones to path as JSON lines, with their scores.
func WriteErrors(path string, exs []stance.Example, results []stance.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for i, x := range exs {
		r := results[i]
		if sameSet(x.Labels, r.Labels) {
			continue
		}
		rec := struct {
			Line   int                `json:"line"`
			ID     string             `json:"id,omitempty"`
			Text   string             `json:"text"`
			Target string             `json:"target,omitempty"`
			Gold   []string           `json:"gold"`
			Pred   []string           `json:"pred"`
			Scores map[string]float64 `json:"scores"`
		}{Line: x.Line, ID: x.ID, Text: x.Text, Target: x.Target, Gold: x.Labels, Pred: r.Labels, Scores: map[string]float64{}}
		if rec.Pred == nil {
			rec.Pred = []string{}
		}
		for _, s := range r.Scores {
			rec.Scores[s.Label] = math.Round(s.Score*1e4) / 1e4
		}
		if err := enc.Encode(rec); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

// Summary is the report's headline figures, rounded to four decimals, as
// a model's manifest stores them.
func (r *Report) Summary() map[string]float64 {
	s := map[string]float64{
		"n": float64(r.N), "macro_f1": r.MacroF1, "micro_f1": r.MicroF1, "exact_match": r.ExactMatch,
		"accuracy": r.Accuracy, "hamming_loss": r.HammingLoss, "ece": r.ECE,
		"macro_f1_ci_low": r.MacroF1CI[0], "macro_f1_ci_high": r.MacroF1CI[1],
	}
	if r.FAvg != nil {
		s["f_avg"] = *r.FAvg
	}
	for k, v := range s {
		s[k] = math.Round(v*1e4) / 1e4
	}
	return s
}

// FunctionWordShare is the share of the absolute weight listed in the
// explanations of results that falls on features isFunction accepts:
// those made only of function words and punctuation.
func FunctionWordShare(results []stance.Result, isFunction func(feature string) bool) float64 {
	var fw, all float64
	for _, r := range results {
		for _, ex := range r.Explanations {
			for _, c := range ex.Contributions {
				w := math.Abs(c.Weight)
				all += w
				if isFunction(c.Feature) {
					fw += w
				}
			}
		}
	}
	if all == 0 {
		return 0
	}
	return fw / all
}

// FormatMeanSD writes the mean ± standard deviation of v and its values.
func FormatMeanSD(v []float64) string {
	ms := MeanSD(v)
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', 4, 64)
	}
	return fmt.Sprintf("%.4f ± %.4f (folds: %s)", ms[0], ms[1], strings.Join(parts, ", "))
}
