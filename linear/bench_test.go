package linear_test

import (
	"strings"
	"testing"

	"github.com/stanceproject/stance/linear"
)

// newsSentence is a typical 35-word sentence of the corpus.
const newsSentence = "Foreign Minister Wang Yi said on Tuesday that China and Russia would continue " +
	"to work together for a multipolar world and firmly oppose the unilateral sanctions " +
	"and hegemony of certain Western countries, the ministry said."

// benchModel trains the synthetic set with the default feature dimension.
func benchModel(b *testing.B) *linear.Model {
	b.Helper()
	cfg := syntheticConfig(tokenizerJSON(b))
	cfg.Grid = []linear.Features{{Dim: 1 << 18, WordNgrams: 2, Pieces: true}}
	m, err := linear.Train(synthetic(), nil, cfg)
	if err != nil {
		b.Fatalf("Train: %v", err)
	}
	if n := len(strings.Fields(newsSentence)); n != 35 {
		b.Fatalf("benchmark sentence has %d words, want 35", n)
	}
	return m
}

func BenchmarkPredict(b *testing.B) {
	m := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Predict(newsSentence, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredictParallel(b *testing.B) {
	m := benchModel(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Predict(newsSentence, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
