package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/internal/testmodel"
)

// stopAfter is a context that reports itself canceled once Err has been
// asked n times, and counts how often it is asked.
type stopAfter struct {
	context.Context
	n     int64
	calls atomic.Int64
}

func (c *stopAfter) Err() error {
	if c.calls.Add(1) > c.n {
		return context.Canceled
	}
	return nil
}

// TestClassifyDocumentStopsWhenCanceled checks that a document is abandoned
// at the first sentence after its caller gives up, not when it is done.
func TestClassifyDocumentStopsWhenCanceled(t *testing.T) {
	e := testEngine(t, engine.Config{})
	doc := strings.Repeat(testmodel.MultipolarText+" ", 200)
	ctx := &stopAfter{Context: context.Background(), n: 3}
	_, err := e.ClassifyDocument(ctx, stance.DocumentRequest{Text: doc})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ClassifyDocument with a context canceled after 3 checks = %v, want context.Canceled", err)
	}
	if got := ctx.calls.Load(); got != 4 {
		t.Errorf("context checked %d times, want 4: once a sentence, stopping at the first canceled check", got)
	}
}

// TestClassifyBatchStopsWhenCanceled checks the same per item of a batch.
func TestClassifyBatchStopsWhenCanceled(t *testing.T) {
	e := testEngine(t, engine.Config{})
	reqs := make([]stance.Request, 40) // under the parallel threshold: one worker
	for i := range reqs {
		reqs[i] = stance.Request{Text: testmodel.NeutralText}
	}
	ctx := &stopAfter{Context: context.Background(), n: 5}
	if _, err := e.Classify(ctx, reqs); !errors.Is(err, context.Canceled) {
		t.Fatalf("Classify with a context canceled after 5 checks = %v, want context.Canceled", err)
	}
	if got := ctx.calls.Load(); got > 7 {
		t.Errorf("context checked %d times for 40 items, want 6 or 7: the batch must stop at the first canceled check", got)
	}
}
