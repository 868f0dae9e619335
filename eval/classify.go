package eval

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stanceproject/stance"
)

// RunOptions configures Run. The zero value classifies in chunks without
// explanations.
type RunOptions struct {
	// Explain asks for explanations of the predicted labels.
	Explain bool
	// Concurrency, when positive, sends each example in a call of its own,
	// that many calls in flight, and times the calls: the latency figures
	// are then those of single calls. Otherwise examples go in chunks.
	Concurrency int
	// Timeout bounds each single call; default 30s.
	Timeout time.Duration
	// Progress, when set, is told how many examples are done.
	Progress func(done, total int)
}

// chunk is how many examples one call carries without Concurrency.
const chunk = 1024

// Run classifies every example with c, in order; Latency is nil unless
// opt.Concurrency is set. A failure of a whole call (not of one text,
// which its Result.Err carries) ends the run with an error naming the
// example's file and line: the remaining examples would only fail the
// same way, one by one.
func Run(ctx context.Context, c stance.Classifier, exs []stance.Example, opt RunOptions) ([]stance.Result, *Latency, error) {
	progress := opt.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	reqs := make([]stance.Request, len(exs))
	for i, x := range exs {
		reqs[i] = stance.Request{Text: x.Text, Target: x.Target, Explain: opt.Explain}
	}
	if opt.Concurrency <= 0 {
		out := make([]stance.Result, 0, len(reqs))
		for start := 0; start < len(reqs); start += chunk {
			res, err := c.Classify(ctx, reqs[start:min(start+chunk, len(reqs))])
			if err != nil {
				return nil, nil, err
			}
			out = append(out, res...)
			progress(len(out), len(reqs))
		}
		return out, nil, nil
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	out := make([]stance.Result, len(reqs))
	durations := make([]time.Duration, len(reqs))
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var mu sync.Mutex // guards done and firstErr
	var firstErr error
	done := 0
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range opt.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				cctx, cancel := context.WithTimeout(ctx, timeout)
				res, err := c.Classify(cctx, reqs[i:i+1])
				cancel()
				durations[i] = time.Since(t0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s:%d: %w", exs[i].File, exs[i].Line, err)
					stop()
				}
				if err == nil {
					out[i] = res[0]
				}
				done++
				progress(done, len(reqs))
				mu.Unlock()
			}
		}()
	}
	for i := range reqs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return out, LatencyOf(durations, len(reqs), time.Since(start)), nil
}

// Items pairs the gold labels of exs with the results of their
// classification. An example the classifier rejected is an error naming
// its line, since metrics over a silently shortened set would mislead.
func Items(exs []stance.Example, results []stance.Result) ([]Item, error) {
	items := make([]Item, len(exs))
	for i, x := range exs {
		r := results[i]
		if r.Err != nil {
			return nil, fmt.Errorf("%s:%d: %w", x.File, x.Line, r.Err)
		}
		it := Item{Gold: x.Labels, Pred: r.Labels, Abstained: r.Abstained, Top: r.Top, Target: x.Target}
		if len(r.Scores) > 0 {
			it.Scores = make(map[string]float64, len(r.Scores))
			for _, s := range r.Scores {
				it.Scores[s.Label] = s.Score
			}
		}
		items[i] = it
	}
	return items, nil
}

// Evaluate classifies exs with c as ro says and reports on them over the
// labels of c's model, with the latency of the calls when ro times them.
// It returns the results too, for the callers' other outputs.
func Evaluate(ctx context.Context, c stance.Classifier, exs []stance.Example, opt Options, ro RunOptions) (*Report, []stance.Result, error) {
	results, latency, err := Run(ctx, c, exs, ro)
	if err != nil {
		return nil, nil, err
	}
	items, err := Items(exs, results)
	if err != nil {
		return nil, nil, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, nil, err
	}
	opt.Labels = nil
	for _, l := range info.Labels {
		opt.Labels = append(opt.Labels, l.Name)
	}
	rep, err := Compute(items, opt)
	if err != nil {
		return nil, nil, err
	}
	rep.Latency = latency
	return rep, results, nil
}

// WorstErrors classifies the n most severely misclassified examples (see
// Worst) of exs, whose results are given, again with explanations: the
// top contributions to each predicted label.
func WorstErrors(ctx context.Context, c stance.Classifier, exs []stance.Example, results []stance.Result, n int) ([]WorstError, error) {
	items, err := Items(exs, results)
	if err != nil {
		return nil, err
	}
	idx, severity := Worst(items, n)
	reqs := make([]stance.Request, len(idx))
	for j, i := range idx {
		reqs[j] = stance.Request{Text: exs[i].Text, Target: exs[i].Target, Explain: true}
	}
	explained, err := c.Classify(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]WorstError, len(idx))
	for j, i := range idx {
		x := exs[i]
		w := WorstError{Source: fmt.Sprintf("%s:%d", x.File, x.Line), Text: x.Text, Target: x.Target,
			Gold: x.Labels, Pred: items[i].Pred, Severity: severity[j]}
		for _, ex := range explained[j].Explanations {
			ee := ErrorExplanation{Label: ex.Label}
			for _, c := range ex.Contributions[:min(5, len(ex.Contributions))] {
				ee.Contributions = append(ee.Contributions, Contribution{Feature: c.Feature, Weight: c.Weight})
			}
			w.Explanations = append(w.Explanations, ee)
		}
		out[j] = w
	}
	return out, nil
}
