package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/stanceproject/stance/client"
	"github.com/stanceproject/stance/internal/syncbuf"
	"github.com/stanceproject/stance/internal/testmodel"
	"github.com/stanceproject/stance/internal/testutil"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/server"
)

// rpcTimeout bounds every test RPC.
const rpcTimeout = testutil.RPCTimeout

// readyTimeout bounds how long a stanced process may take to report
// SERVING.
const readyTimeout = 20 * time.Second

// Texts the synthetic models classify; they reuse the vocabulary of the
// training templates.
const (
	multipolarText = testmodel.MultipolarText
	unilateralText = testmodel.UnilateralText
	neutralText    = testmodel.NeutralText
)

var loadTexts = []string{multipolarText, unilateralText, neutralText}

// binDir holds the stanced binary; TestMain creates and removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stance-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildOnce builds cmd/stanced once per test binary, with -race when the
// tests run under the race detector.
var buildOnce = sync.OnceValues(func() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	root, err := repoRoot(goBin)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "stanced")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, append(args, "./cmd/stanced")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/stanced: %w\n%s", err, out)
	}
	return bin, nil
})

// repoRoot is the directory of the main module's go.mod, or ".." when go
// cannot tell.
func repoRoot(goBin string) (string, error) {
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if gomod := strings.TrimSpace(string(out)); err == nil && gomod != "" && gomod != os.DevNull {
		return filepath.Dir(gomod), nil
	}
	return filepath.Abs("..")
}

func stancedBin(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatalf("build stanced: %v", err)
	}
	return bin
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return addr
}

// procLog is a process's output, written by its output goroutines while
// the test reads it.
type procLog struct{ syncbuf.Buffer }

// Count returns how many times substr occurs in the log.
func (s *procLog) Count(substr string) int { return strings.Count(s.String(), substr) }

// tail returns the last n lines of the buffer.
func (s *procLog) tail(n int) string {
	lines := strings.Split(strings.TrimRight(s.String(), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[… %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// proc is a stanced process.
type proc struct {
	addr string
	cmd  *exec.Cmd
	log  *procLog // stdout and stderr
	done chan struct{}
	err  error // the result of Wait; read it only after done is closed
}

// startStanced starts stanced on addr with args and registers a cleanup
// that kills it. It does not wait for readiness.
func startStanced(t *testing.T, addr string, args ...string) *proc {
	t.Helper()
	p := &proc{addr: addr, log: &procLog{}, done: make(chan struct{})}
	p.cmd = exec.Command(stancedBin(t), append([]string{"--addr", addr, "--drain-delay", "0"}, args...)...)
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start stanced: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("stanced on %s (pid %d) did not exit after SIGKILL", addr, p.cmd.Process.Pid)
		}
		if strings.Contains(p.log.String(), "WARNING: DATA RACE") {
			t.Errorf("stanced on %s reported a data race:\n%s", addr, p.log.String())
		}
		if t.Failed() {
			t.Logf("stanced on %s (args %q), end of its log:\n%s", addr, args, p.log.tail(40))
		}
	})
	return p
}

// cleanEnv is the environment without the STANCE_ variables, which would
// change the flags' defaults. Under the race detector it also drops the
// second the race runtime sleeps at exit, unless GORACE is set, so that
// exit times are the server's own.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STANCE_") {
			env = append(env, kv)
		}
	}
	if _, ok := os.LookupEnv("GORACE"); raceEnabled && !ok {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return env
}

// kill sends SIGKILL unless the process has exited.
func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
	}
}

func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s to stanced on %s: %v", sig, p.addr, err)
	}
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// dial returns a connection to addr that redials quickly, so that polling
// a process that is starting is not slowed by reconnect backoff. The
// default is plaintext; opts may set credentials.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: time.Second,
		}),
	}, opts...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatalf("grpc.NewClient(%s): %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readiness asks conn for the health of the stance service.
func readiness(conn *grpc.ClientConn, timeout time.Duration) (healthpb.HealthCheckResponse_ServingStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: server.ServiceName})
	return resp.GetStatus(), err
}

// waitServing polls the readiness of p until it is SERVING. opts are dial
// options for the probe (credentials).
func waitServing(t *testing.T, p *proc, opts ...grpc.DialOption) {
	t.Helper()
	conn := dial(t, p.addr, opts...)
	defer conn.Close()
	start := time.Now()
	deadline := start.Add(readyTimeout)
	var lastErr error
	for {
		st, err := readiness(conn, 500*time.Millisecond)
		if err == nil && st == healthpb.HealthCheckResponse_SERVING {
			t.Logf("stanced on %s SERVING after %s", p.addr, time.Since(start).Round(time.Millisecond))
			return
		}
		lastErr = err
		if err == nil {
			lastErr = fmt.Errorf("readiness %s", st)
		}
		if p.exited() {
			t.Fatalf("stanced on %s exited before SERVING (%v); log:\n%s", p.addr, p.err, p.log.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("stanced on %s not SERVING after %s: %v; log:\n%s", p.addr, readyTimeout, lastErr, p.log.tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newClient returns a client.Client that the test closes at cleanup.
func newClient(t *testing.T, target string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(target, opts...)
	if err != nil {
		t.Fatalf("client.New(%s): %v", target, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var rpcContext = testutil.RPCContext

// withDeadline runs f with a context that ends after d.
func withDeadline(d time.Duration, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return f(ctx)
}

// modelsOnce trains two small models once per test binary. They differ in
// name and in training data, so in version and in weights: a directory
// that mixes the manifest of one with the weights of the other fails the
// checksums. Models are immutable and safe for concurrent use.
var modelsOnce = sync.OnceValues(func() ([2]*linear.Model, error) {
	var out [2]*linear.Model
	exs := testmodel.Examples()
	for i, name := range []string{"e2e-a", "e2e-b"} {
		var err error
		if out[i], err = testmodel.Train(name, exs[i:], nil); err != nil {
			return out, fmt.Errorf("train %s: %w", name, err)
		}
	}
	if out[0].ManifestRef().Version == out[1].ManifestRef().Version {
		return out, errors.New("the two test models have the same version")
	}
	return out, nil
})

// testModels returns the two test models.
func testModels(t *testing.T) (a, b *linear.Model) {
	t.Helper()
	ms, err := modelsOnce()
	if err != nil {
		t.Fatalf("train test models: %v", err)
	}
	return ms[0], ms[1]
}

// saveModel saves m in a new temporary directory.
func saveModel(t *testing.T, m *linear.Model) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatalf("save model %s: %v", m.ManifestRef().Name, err)
	}
	return dir
}

func version(m *linear.Model) string { return m.ManifestRef().Version }
