package eval

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/stanceproject/stance"
)

// Provenance says what a report measured: which model, on which data, how and
// when. Callers fill it, as they fill Latency.
type Provenance struct {
	// Model and ModelVersion name the model evaluated.
	Model        string `json:"model"`
	ModelVersion string `json:"model_version"`
	// Data is the data file's path as given on the command line, and
	// DataSHA256 the hex SHA-256 of its bytes.
	Data       string `json:"data"`
	DataSHA256 string `json:"data_sha256"`
	// Command is the command line that produced the report.
	Command string `json:"command"`
	// Date is when the evaluation ran, RFC 3339.
	Date string `json:"date"`
}

// ProvenanceOf says that the command args evaluated the model info
// describes on the data file at path, now.
func ProvenanceOf(info stance.ModelInfo, path string, args []string) (*Provenance, error) {
	sum, err := FileSHA256(path)
	if err != nil {
		return nil, err
	}
	return &Provenance{Model: info.Name, ModelVersion: info.Version, Data: path, DataSHA256: sum,
		Command: CommandLine(args), Date: time.Now().UTC().Format(time.RFC3339)}, nil
}

// FileSHA256 returns the hex SHA-256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WorstError is a misclassified item with the features that pushed its
// wrong labels.
type WorstError struct {
	// Source locates the item, as FILE:LINE.
	Source string   `json:"source"`
	Text   string   `json:"text"`
	Target string   `json:"target,omitempty"`
	Gold   []string `json:"gold"`
	Pred   []string `json:"pred"`
	// Severity is how confidently wrong the prediction was: the highest
	// probability of a predicted label that is not gold, or one minus the
	// lowest probability of a gold label that was missed.
	Severity float64 `json:"severity"`
	// Explanations hold the top contributions to each predicted label.
	Explanations []ErrorExplanation `json:"explanations,omitempty"`
}

// ErrorExplanation lists the strongest contributions to one label.
type ErrorExplanation struct {
	Label         string         `json:"label"`
	Contributions []Contribution `json:"contributions"`
}

// Contribution is the signed part one feature adds to a label's logit.
type Contribution struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"`
}

// Worst returns the indexes of up to n items whose predicted set differs
// from the gold set, most severe first (see WorstError.Severity), ties in
// item order, and their severities. Items without scores rank by the
// count of wrong decisions instead.
func Worst(items []Item, n int) (idx []int, severity []float64) {
	type cand struct {
		i int
		s float64
	}
	var cs []cand
	for i, it := range items {
		gold := map[string]bool{}
		for _, g := range it.Gold {
			gold[g] = true
		}
		pred := map[string]bool{}
		for _, p := range it.Pred {
			pred[p] = true
		}
		s, wrong := 0.0, 0
		for p := range pred {
			if !gold[p] {
				wrong++
				s = max(s, it.Scores[p])
			}
		}
		for g := range gold {
			if !pred[g] {
				wrong++
				if sc, ok := it.Scores[g]; ok {
					s = max(s, 1-sc)
				}
			}
		}
		if wrong == 0 {
			continue
		}
		if it.Scores == nil {
			s = float64(wrong)
		}
		cs = append(cs, cand{i, s})
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return cmp.Compare(b.s, a.s) })
	for _, c := range cs[:min(n, len(cs))] {
		idx = append(idx, c.i)
		severity = append(severity, c.s)
	}
	return idx, severity
}
