package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
	"github.com/stanceproject/stance/linear"
)

// publish replaces the model in dir with m the way a deployment should:
// save it next to dir, then rename its files into dir, the manifest last,
// so that a reader who sees the new manifest finds the files it lists.
func publish(t *testing.T, m *linear.Model, dir string) {
	t.Helper()
	staging := filepath.Join(t.TempDir(), "staging")
	if err := m.Save(staging); err != nil {
		t.Fatalf("save %s: %v", m.ManifestRef().Name, err)
	}
	for _, name := range []string{linear.TokenizerFile, linear.WeightsFile, linear.ManifestFile} {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			t.Fatalf("publish %s: %v", name, err)
		}
	}
}

// serverVersion returns the model version GetModelInfo reports.
func serverVersion(c *client.Client) (string, error) {
	var v string
	err := withDeadline(rpcTimeout, func(ctx context.Context) error {
		info, err := c.Info(ctx)
		v = info.Version
		return err
	})
	return v, err
}

// waitVersion polls GetModelInfo until it reports want.
func waitVersion(t *testing.T, c *client.Client, want string, within time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		got, err := serverVersion(c)
		if err != nil {
			t.Fatalf("GetModelInfo: %v", err)
		}
		if got == want {
			t.Logf("version %s served after %s", want, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > within {
			t.Fatalf("GetModelInfo reports version %s %s later, want %s", got, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// versionObserver classifies in a loop between two GetModelInfo calls and
// checks that each result comes from the model served just before or just
// after it, and from one of the known models.
type versionObserver struct {
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	mu    sync.Mutex // guards the fields below
	calls int
	errs  []string
	seen  map[string]int
}

func observeVersions(c *client.Client, known ...string) *versionObserver {
	o := &versionObserver{stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]int{}}
	go func() {
		defer close(o.done)
		for i := 0; ; i++ {
			select {
			case <-o.stop:
				return
			default:
			}
			before, err := serverVersion(c)
			var res stance.Result
			if err == nil {
				err = withDeadline(rpcTimeout, func(ctx context.Context) error {
					var err error
					res, err = c.ClassifyOne(ctx, stance.Request{Text: loadTexts[i%len(loadTexts)]})
					return err
				})
			}
			var after string
			if err == nil {
				after, err = serverVersion(c)
			}
			o.mu.Lock()
			o.calls++
			switch {
			case err != nil:
				o.errs = append(o.errs, err.Error())
			case !slices.Contains(known, res.ModelVersion):
				o.errs = append(o.errs, fmt.Sprintf("result from unknown model version %q", res.ModelVersion))
			case res.ModelVersion != before && res.ModelVersion != after:
				o.errs = append(o.errs, fmt.Sprintf("result from version %s between GetModelInfo %s and %s", res.ModelVersion, before, after))
			default:
				o.seen[res.ModelVersion]++
			}
			o.mu.Unlock()
		}
	}()
	return o
}

// finish stops the observer and returns its counts. It may be called more
// than once.
func (o *versionObserver) finish() (calls int, errs []string, seen map[string]int) {
	o.stopOnce.Do(func() { close(o.stop) })
	<-o.done
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls, o.errs, o.seen
}

// scrapeReloads reads stance_model_reloads_total by result, summed over
// the served models, from the Prometheus endpoint at addr.
func scrapeReloads(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(rpcContext(t), http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), `stance_model_reloads_total{`)
		if !ok {
			continue
		}
		_, rest, ok = strings.Cut(rest, `result="`)
		result, value, ok2 := strings.Cut(rest, `"} `)
		if !ok || !ok2 {
			t.Fatalf("unexpected metric line %q", sc.Text())
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		out[result] += v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	return out
}

// TestHotReload swaps the model of a running stanced: A to B on SIGHUP, B
// back to A through --watch alone, then a broken manifest that must be
// rejected while the current model keeps serving. A client classifies
// throughout; no call may fail, and every result must come from the model
// served just before or just after it.
func TestHotReload(t *testing.T) {
	t.Parallel()
	a, b := testModels(t)
	dir := saveModel(t, a)
	metricsAddr := freeAddr(t)
	d := startStanced(t, freeAddr(t), "--model", dir, "--watch", "--metrics-addr", metricsAddr)
	waitServing(t, d)
	c := newClient(t, d.addr)
	if got, err := serverVersion(c); err != nil || got != version(a) {
		t.Fatalf("GetModelInfo version = %q, %v; want model A's %q", got, err, version(a))
	}
	obs := observeVersions(c, version(a), version(b))
	defer obs.finish() // stops the observer after a t.Fatal too

	t.Log("A → B on SIGHUP")
	publish(t, b, dir)
	d.signal(t, syscall.SIGHUP)
	waitVersion(t, c, version(b), 10*time.Second)

	t.Log("B → A through --watch")
	publish(t, a, dir)
	waitVersion(t, c, version(a), 10*time.Second)

	t.Log("a broken manifest, then SIGHUP")
	if err := os.WriteFile(filepath.Join(dir, linear.ManifestFile), []byte("{ this is not a manifest"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.signal(t, syscall.SIGHUP)
	for start := time.Now(); d.log.Count("model reload rejected") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("no rejected reload logged 10s after SIGHUP with a broken manifest")
		}
	}
	time.Sleep(500 * time.Millisecond) // let the observer call across the rejection
	res, err := c.ClassifyOne(rpcContext(t), stance.Request{Text: multipolarText})
	if err != nil {
		t.Fatalf("ClassifyOne after the rejected reload: %v", err)
	}
	if res.ModelVersion != version(a) {
		t.Errorf("after the rejected reload: model_version %q, want A's %q still", res.ModelVersion, version(a))
	}
	if got, err := serverVersion(c); err != nil || got != version(a) {
		t.Errorf("after the rejected reload: GetModelInfo version = %q, %v; want A's %q still", got, err, version(a))
	}

	calls, errs, seen := obs.finish()
	t.Logf("observer: %d calls, versions seen %v", calls, seen)
	if len(errs) > 0 {
		t.Errorf("%d of %d observed calls failed; first: %s", len(errs), calls, strings.Join(errs[:min(5, len(errs))], "\n"))
	}
	if seen[version(a)] == 0 || seen[version(b)] == 0 {
		t.Errorf("observer saw versions %v, want both %s and %s", seen, version(a), version(b))
	}

	reloads := scrapeReloads(t, metricsAddr)
	t.Logf("stance_model_reloads_total: %v", reloads)
	if reloads["ok"] < 2 {
		t.Errorf(`stance_model_reloads_total{result="ok"} = %v, want at least 2`, reloads["ok"])
	}
	if reloads["error"] < 1 {
		t.Errorf(`stance_model_reloads_total{result="error"} = %v, want at least 1`, reloads["error"])
	}
}

// TestWatchRetriesRejectedReload publishes a model's manifest before its
// weights, as a careless copy may, so that --watch sees the new manifest
// with the old weights and rejects the reload. Once the weights follow,
// the directory is complete and the watcher must load it.
func TestWatchRetriesRejectedReload(t *testing.T) {
	t.Parallel()
	a, b := testModels(t)
	dir := saveModel(t, a)
	d := startStanced(t, freeAddr(t), "--model", dir, "--watch")
	waitServing(t, d)
	c := newClient(t, d.addr)

	staging := saveModel(t, b)
	if err := os.Rename(filepath.Join(staging, linear.ManifestFile), filepath.Join(dir, linear.ManifestFile)); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); d.log.Count("model reload rejected") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("--watch did not try the new manifest within 10s")
		}
	}
	for _, name := range []string{linear.TokenizerFile, linear.WeightsFile} {
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	waitVersion(t, c, version(b), 10*time.Second)
}
