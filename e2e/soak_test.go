package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/server"
)

// soakDuration is how long TestSoak runs: STANCE_SOAK, default 45s.
func soakDuration(t *testing.T) time.Duration {
	t.Helper()
	s := os.Getenv("STANCE_SOAK")
	if s == "" {
		return 45 * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("STANCE_SOAK=%q: want a positive duration such as 45s", s)
	}
	return d
}

// soakLoad is the tally of workers that classify in a loop.
type soakLoad struct {
	calls, failed atomic.Int64

	mu   sync.Mutex // guards errs and seen
	errs []string   // the first failures
	seen map[string]int64
}

func (l *soakLoad) fail(err error) {
	l.failed.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 10 {
		l.errs = append(l.errs, err.Error())
	}
}

func (l *soakLoad) saw(v string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[v]++
}

// work calls Classify until stop is closed; with batches, every other call
// is a ClassifyBatch of five texts instead.
func (l *soakLoad) work(c *client.Client, worker int, batches bool, known []string, stop <-chan struct{}) {
	batch := make([]stance.Request, 5)
	for i := range batch {
		batch[i] = stance.Request{Text: loadTexts[(worker+i)%len(loadTexts)], Explain: i == 0}
	}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		var results []stance.Result
		err := withDeadline(rpcTimeout, func(ctx context.Context) error {
			if !batches || i%2 == 0 {
				r, err := c.ClassifyOne(ctx, stance.Request{Text: loadTexts[(worker+i)%len(loadTexts)]})
				results = []stance.Result{r}
				return err
			}
			var err error
			results, err = c.Classify(ctx, batch)
			return err
		})
		l.calls.Add(1)
		if err != nil {
			l.fail(err)
			continue
		}
		for _, r := range results {
			switch {
			case r.Err != nil:
				l.fail(fmt.Errorf("batch item: %w", r.Err))
			case !slices.Contains(known, r.ModelVersion):
				l.fail(fmt.Errorf("result from unknown model version %q", r.ModelVersion))
			default:
				l.saw(r.ModelVersion)
			}
		}
	}
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestSoak serves in process over loopback TCP while 8 workers classify
// through client.New and the model is reloaded every 3 s, alternating
// between two models. No call may fail, both models must answer, the heap
// in use must stay within twice its size after warm-up, and no goroutine
// may outlive the server and the client.
//
// It does not run in parallel, so that the goroutine check sees only its
// own goroutines; parallel tests start after it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test; skipped in -short mode")
	}
	dur := soakDuration(t)
	a, b := testModels(t)
	known := []string{version(a), version(b)}

	// The models are published as deployments do: a symbolic link
	// flipped between two directories.
	root := t.TempDir()
	dirs := []string{filepath.Join(root, "a"), filepath.Join(root, "b")}
	for i, m := range []*linear.Model{a, b} {
		if err := m.Save(dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	current := filepath.Join(root, "current")
	if err := os.Symlink(dirs[0], current); err != nil {
		t.Fatal(err)
	}
	reg, err := engine.Open(t.Context(), []engine.Source{{Dir: current}}, engine.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("engine.Open: %v", err)
	}
	srv, err := server.New(reg, server.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	g, err := server.NewGRPC(srv, server.GRPCConfig{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatalf("NewGRPC: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- g.Serve(lis) }()
	stopped := false
	stopServer := func() {
		if stopped {
			return
		}
		stopped = true
		g.GracefulStop()
		if err := <-serveErr; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	defer stopServer()
	srv.SetReady(true)
	c, err := client.New(lis.Addr().String())
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	defer c.Close()

	load := &soakLoad{seen: map[string]int64{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { load.work(c, w, true, known, stop) })
	}
	var reloads, reloadErrs atomic.Int64
	wg.Go(func() {
		tick := time.NewTicker(3 * time.Second)
		defer tick.Stop()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			tmp := filepath.Join(root, "next")
			err := os.Symlink(dirs[i%2], tmp)
			if err == nil {
				err = os.Rename(tmp, current)
			}
			if err == nil {
				err = reg.Reload(t.Context())
			}
			if err != nil {
				reloadErrs.Add(1)
				load.fail(fmt.Errorf("reload: %w", err))
			}
			reloads.Add(1)
		}
	})
	// stopLoad stops the workers once, also after a t.Fatal.
	var stopOnce sync.Once
	stopLoad := func() { stopOnce.Do(func() { close(stop); wg.Wait() }) }
	defer stopLoad()

	warmup := min(5*time.Second, dur/5)
	time.Sleep(warmup)
	warmHeap, warmCalls := heapInuse(), load.calls.Load()
	time.Sleep(dur - warmup)
	endHeap := heapInuse() // under load, like the warm-up figure
	stopLoad()
	idleHeap := heapInuse()

	calls := load.calls.Load()
	t.Logf("soak %s: %d calls (%.0f/s after warm-up), %d failed, %d reloads; results by version %v",
		dur, calls, float64(calls-warmCalls)/(dur-warmup).Seconds(), load.failed.Load(), reloads.Load(), load.seen)
	t.Logf("HeapInuse after GC: %d KiB after %s warm-up, %d KiB at the end under load (×%.2f), %d KiB idle",
		warmHeap>>10, warmup, endHeap>>10, float64(endHeap)/float64(warmHeap), idleHeap>>10)
	if n := load.failed.Load(); n > 0 {
		t.Errorf("%d of %d calls failed; first: %q", n, calls, load.errs)
	}
	if reloadErrs.Load() > 0 {
		t.Errorf("%d reloads failed", reloadErrs.Load())
	}
	for _, v := range known {
		if load.seen[v] == 0 {
			t.Errorf("no result from model version %s; results by version: %v (reloads %d)", v, load.seen, reloads.Load())
		}
	}
	if endHeap > 2*warmHeap {
		t.Errorf("HeapInuse grew from %d KiB after warm-up to %d KiB at the end, more than twice", warmHeap>>10, endHeap>>10)
	}

	if err := c.Close(); err != nil {
		t.Errorf("client Close: %v", err)
	}
	stopServer()
	goleak.VerifyNone(t)
}
