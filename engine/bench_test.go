package engine_test

import (
	"context"
	"testing"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/dataset"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/models"
)

// sentence is a typical 36-word news sentence.
const sentence = "In the face of unilateral actions and hegemony, the two countries should deepen strategic cooperation and make global governance fairer, the foreign ministry spokesperson told reporters in Beijing on Tuesday, adding that “no single country should dominate”."

func newEngine(b *testing.B) *engine.Engine {
	b.Helper()
	m, err := models.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	e, err := engine.New(m, engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	// A French text waits for the language detector's background loading,
	// which would otherwise run inside the first measurements.
	if _, err := e.ClassifyOne(context.Background(), stance.Request{Text: "Le ministre a dit que la Chine restera neutre dans ce conflit."}); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkClassifyOne is the in-process cost of one sentence: validation,
// language detection, tokenisation, features and the model.
func BenchmarkClassifyOne(b *testing.B) {
	e := newEngine(b)
	req := stance.Request{Text: sentence}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.ClassifyOne(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClassifyBatch classifies the development set in one call; the
// reported sentences/s is per call of the whole batch.
func BenchmarkClassifyBatch(b *testing.B) {
	e := newEngine(b)
	exs, _, err := dataset.ReadFile("../data/dev.jsonl", dataset.Options{})
	if err != nil {
		b.Fatal(err)
	}
	reqs := make([]stance.Request, len(exs))
	for i, x := range exs {
		reqs[i] = stance.Request{Text: x.Text}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Classify(ctx, reqs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(reqs)*b.N)/b.Elapsed().Seconds(), "sentences/s")
}
