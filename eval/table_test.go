package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenReport is the report of the golden files: the SemEval example with
// scores, a fixed bootstrap seed and latency figures.
func goldenReport(t *testing.T) *Report {
	t.Helper()
	items := semevalItems()
	for i := range items {
		s := map[string]float64{"AGAINST": 0.1, "FAVOR": 0.1, "NONE": 0.1}
		s[items[i].Top] = 0.55 + 0.05*float64(i)
		items[i].Scores = s
	}
	r, err := Compute(items, Options{Bootstrap: 200, Seed: 42})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	var d []time.Duration
	for i := 1; i <= 8; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	r.Latency = LatencyOf(d, 8, 40*time.Millisecond)
	return r
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestWriteTableGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := goldenReport(t).WriteTable(&buf); err != nil {
		t.Fatalf("WriteTable: %v", err)
	}
	checkGolden(t, "table.golden", buf.Bytes())
}

func TestWriteTableMultiLabelGolden(t *testing.T) {
	r, err := Compute(multiLabelItems(), Options{Bootstrap: -1})
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatalf("WriteTable: %v", err)
	}
	checkGolden(t, "table_multilabel.golden", buf.Bytes())
}

func TestReportJSONGolden(t *testing.T) {
	js, err := goldenReport(t).JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	checkGolden(t, "report.json.golden", append(js, '\n'))
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(js, &keys); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	for _, k := range []string{"n", "labels", "per_label", "per_label_f1_ci", "micro_f1", "macro_f1", "macro_f1_ci",
		"exact_match", "hamming_loss", "accuracy", "abstained", "ece", "calibration", "confusion",
		"f_avg", "f_avg_ci", "f_avg_by_target", "latency"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("report JSON has no key %q", k)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTableError(t *testing.T) {
	err := goldenReport(t).WriteTable(failWriter{})
	if err == nil || err.Error() != "write table: disk full" {
		t.Errorf("WriteTable = %v, want write table: disk full", err)
	}
}
