package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable writes r as aligned plain-text tables: per-label figures, the
// averages with their confidence intervals, F_avg (and per target) when
// present, latency when present, and the confusion matrix.
func (r *Report) WriteTable(w io.Writer) error {
	if r == nil {
		return errors.New("write table: nil report")
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	// Writes to a tabwriter over a bytes.Buffer cannot fail; the one write
	// that can is the final copy to w.
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }

	p("items\t%d\n", r.N)
	p("abstained\t%d\n", r.Abstained)
	p("\n")

	p("label\tprecision\trecall\tf1\tf1 95%% CI\tsupport\tpredicted\ttp\n")
	for _, l := range r.Labels {
		m := r.PerLabel[l]
		ci := "-"
		if c, ok := r.PerLabelF1CI[l]; ok {
			ci = fmtCI(c)
		}
		p("%s\t%.3f\t%.3f\t%.3f\t%s\t%d\t%d\t%d\n", l, m.Precision, m.Recall, m.F1, ci, m.Support, m.Predicted, m.TP)
	}
	p("\n")

	p("metric\tvalue\t95%% CI\n")
	p("micro F1\t%.3f\t-\n", r.MicroF1)
	macroCI := "-"
	if r.PerLabelF1CI != nil {
		macroCI = fmtCI(r.MacroF1CI)
	}
	p("macro F1\t%.3f\t%s\n", r.MacroF1, macroCI)
	if r.FAvg != nil {
		ci := "-"
		if r.FAvgCI != nil {
			ci = fmtCI(*r.FAvgCI)
		}
		p("F_avg\t%.3f\t%s\n", *r.FAvg, ci)
	}
	p("exact match\t%.3f\t-\n", r.ExactMatch)
	p("hamming loss\t%.3f\t-\n", r.HammingLoss)
	p("accuracy (top-1)\t%.3f\t-\n", r.Accuracy)
	if r.FunctionWordShare != nil {
		p("function-word share of explanations\t%.3f\t-\n", *r.FunctionWordShare)
	}
	if len(r.Calibration) > 0 {
		p("ECE\t%.3f\t-\n", r.ECE)
	} else {
		p("ECE\t-\t(no scores)\n")
	}

	if len(r.FAvgByTarget) > 0 {
		p("\n")
		p("target\tF_avg\n")
		for _, t := range slices.Sorted(maps.Keys(r.FAvgByTarget)) {
			p("%s\t%.3f\n", t, r.FAvgByTarget[t])
		}
	}

	if l := r.Latency; l != nil {
		p("\n")
		p("calls\tp50 ms\tp90 ms\tp99 ms\tmean ms\titems/s\n")
		p("%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\n", l.Calls, ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Mean), l.Throughput)
	}

	if cm := r.Confusion; len(cm.Labels) > 0 {
		p("\n")
		p("confusion: rows gold top label, columns predicted top label\n")
		p("gold \\ pred\t%s\n", strings.Join(cm.Labels, "\t"))
		for i, l := range cm.Labels {
			p("%s", l)
			for j := range cm.Labels {
				v := 0
				if i < len(cm.Counts) && j < len(cm.Counts[i]) {
					v = cm.Counts[i][j]
				}
				p("\t%d", v)
			}
			p("\n")
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func fmtCI(c [2]float64) string { return fmt.Sprintf("[%.3f, %.3f]", c[0], c[1]) }

// JSON returns r as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	if r == nil {
		return nil, errors.New("encode report: nil report")
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return b, nil
}
