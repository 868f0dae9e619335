package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/syncbuf"
	"github.com/stanceproject/stance/internal/testmodel"
	"github.com/stanceproject/stance/internal/testutil"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
	"github.com/stanceproject/stance/server"
)

// rpcTimeout bounds every test RPC and command.
const rpcTimeout = testutil.RPCTimeout

// grace is the grace period the test servers run with.
const grace = time.Second

const multipolarText = testmodel.MultipolarText

// testModelOnce trains a small model once per test binary; the default
// model is retrained often, so most tests serve this one from a directory.
var testModelOnce = sync.OnceValues(func() (*linear.Model, error) {
	return testmodel.Train("synthetic", testmodel.Examples(), nil)
})

// modelDir saves the test model in a temporary directory and returns the
// model and the directory.
func modelDir(t *testing.T) (*linear.Model, string) {
	t.Helper()
	m, err := testModelOnce()
	if err != nil {
		t.Fatalf("train test model: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatalf("save test model: %v", err)
	}
	return m, dir
}

// daemon is a run call serving on a loopback port.
type daemon struct {
	addr string
	log  *syncbuf.Buffer
	// stop cancels run's context and returns run's result and how long it
	// took to return.
	stop func() (error, time.Duration)
}

// startDaemon calls run with args on 127.0.0.1:0 and the test grace
// period, waits until it is ready, and registers its stop with t.Cleanup.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	log := &syncbuf.Buffer{}
	args = append([]string{"--addr", "127.0.0.1:0", "--grace-period", grace.String(), "--drain-delay", "0"}, args...)
	go func() { errc <- run(ctx, nil, args, log, ready) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("run returned before ready: %v\n%s", err, log.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("run not ready after 30s:\n%s", log.String())
	}
	var once sync.Once
	var stopErr error
	var took time.Duration
	stop := func() (error, time.Duration) {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case stopErr = <-errc:
			case <-time.After(grace + 10*time.Second):
				stopErr = errors.New("run did not return after its context ended")
			}
			took = time.Since(start)
		})
		return stopErr, took
	}
	t.Cleanup(func() {
		if err, _ := stop(); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return &daemon{addr: addr.String(), log: log, stop: stop}
}

var rpcContext = testutil.RPCContext

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient(%s): %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func checkServing(t *testing.T, conn *grpc.ClientConn) {
	t.Helper()
	for _, service := range []string{server.ServiceName, ""} {
		resp, err := healthpb.NewHealthClient(conn).Check(rpcContext(t), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health Check(%q): %v", service, err)
		}
		if got := resp.GetStatus(); got != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health Check(%q) = %s, want SERVING", service, got)
		}
	}
}

// TestRun serves a model directory with limits from a flag and from the
// environment, classifies, and shuts down.
func TestRun(t *testing.T) {
	t.Setenv("STANCE_MAX_BATCH_SIZE", "7")
	m, dir := modelDir(t)
	d := startDaemon(t, "--model", dir, "--max-text-bytes", "500", "--log-level", "debug")
	conn := dial(t, d.addr)
	checkServing(t, conn)

	c, err := client.New(d.addr)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	defer c.Close()
	res, err := c.ClassifyOne(rpcContext(t), stance.Request{Text: multipolarText})
	if err != nil {
		t.Fatalf("ClassifyOne: %v", err)
	}
	if res.ModelVersion != m.ManifestRef().Version || len(res.Scores) != 3 {
		t.Errorf("result = %+v, want three scores from model version %s", res, m.ManifestRef().Version)
	}
	limits, err := c.Limits(rpcContext(t))
	if err != nil {
		t.Fatalf("Limits: %v", err)
	}
	if limits.GetMaxTextBytes() != 500 || limits.GetMaxBatchSize() != 7 {
		t.Errorf("limits = %v, want max_text_bytes 500 (flag) and max_batch_size 7 (env)", limits)
	}
	_, err = c.ClassifyOne(rpcContext(t), stance.Request{Text: strings.Repeat("a", 501)})
	if stance.Code(err) != stance.EInvalid || !strings.Contains(err.Error(), "the limit is 500 bytes (--max-text-bytes)") {
		t.Errorf("ClassifyOne(501 bytes) = %v, want EInvalid naming the limit", err)
	}

	err, took := d.stop()
	if err != nil {
		t.Fatalf("run = %v, want nil after its context ends", err)
	}
	if took > grace+5*time.Second {
		t.Errorf("run took %s to return, want at most the grace period %s and some", took, grace)
	}
	for _, want := range []string{"msg=serving", "version=" + m.ManifestRef().Version, "msg=draining", "Classify"} {
		if !strings.Contains(d.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, d.log.String())
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err := c.Info(ctx); err == nil {
		t.Errorf("Info after shutdown succeeded; want the server gone")
	}
}

// TestRunGracePeriod keeps a stream open across shutdown: run must close
// it when the grace period ends and still return nil.
func TestRunGracePeriod(t *testing.T) {
	t.Parallel()
	_, dir := modelDir(t)
	d := startDaemon(t, "--model", dir)
	conn := dial(t, d.addr)
	stream, err := stancev1.NewStanceServiceClient(conn).ClassifyStream(rpcContext(t))
	if err != nil {
		t.Fatalf("ClassifyStream: %v", err)
	}
	if err := stream.Send(&stancev1.ClassifyStreamRequest{Request: &stancev1.ClassifyRequest{Text: multipolarText}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	err, took := d.stop()
	if err != nil {
		t.Fatalf("run = %v, want nil", err)
	}
	if took < grace/2 || took > grace+5*time.Second {
		t.Errorf("run took %s with a stream open, want about the grace period %s", took, grace)
	}
	if !strings.Contains(d.log.String(), "grace period over") {
		t.Errorf("log lacks the grace warning:\n%s", d.log.String())
	}
	if _, err := stream.Recv(); err == nil {
		t.Errorf("Recv after shutdown succeeded; want the stream closed")
	}
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// TestRunMetrics serves Prometheus metrics and logs JSON.
func TestRunMetrics(t *testing.T) {
	t.Parallel()
	_, dir := modelDir(t)
	metricsAddr := freePort(t)
	d := startDaemon(t, "--model", dir, "--metrics-addr", metricsAddr, "--log-format", "json")
	conn := dial(t, d.addr)
	if _, err := stancev1.NewStanceServiceClient(conn).Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText}); err != nil {
		t.Fatalf("Classify: %v", err)
	}

	// The metrics server starts in the background: poll it briefly.
	var body string
	deadline := time.Now().Add(5 * time.Second)
	for {
		req, err := http.NewRequestWithContext(rpcContext(t), http.MethodGet, "http://"+metricsAddr+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				body = string(b)
				break
			}
			err = fmt.Errorf("status %s, read error %v", resp.Status, rerr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /metrics: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Classify",grpc_service="stance.v1.StanceService",grpc_type="unary"} 1`,
		"stance_panics_recovered_total 0",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if err, _ := d.stop(); err != nil {
		t.Fatalf("run = %v, want nil", err)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(d.log.String()), "\n") {
		var rec struct {
			Msg string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		msgs = append(msgs, rec.Msg)
	}
	if !slices.Contains(msgs, "serving") || !slices.Contains(msgs, "draining") {
		t.Errorf("log messages = %q, want serving and draining among them", msgs)
	}
}

// TestRunDefaultModel serves the embedded default model. It checks only
// that the model loads and serves: its predictions change with retraining.
func TestRunDefaultModel(t *testing.T) {
	t.Parallel()
	m, err := models.LoadDefault()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("embedded default model incomplete (being retrained?): %v", err)
	}
	if err != nil {
		t.Fatalf("LoadDefault: %v", err)
	}
	d := startDaemon(t)
	conn := dial(t, d.addr)
	checkServing(t, conn)
	resp, err := stancev1.NewStanceServiceClient(conn).Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText})
	if err != nil {
		t.Fatalf("Classify: %v", err)
	}
	if got, want := resp.GetResult().GetModelVersion(), m.ManifestRef().Version; got != want {
		t.Errorf("model_version = %q, want the embedded model's %q", got, want)
	}
	if err, _ := d.stop(); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
}

func TestRunArgs(t *testing.T) {
	t.Parallel()
	_, dir := modelDir(t)
	tests := []struct {
		name    string
		args    []string
		wantErr func(error) bool
		want    []string // substrings of the error or the output
	}{
		{"help", []string{"--help"}, func(err error) bool { return errors.Is(err, flag.ErrHelp) },
			[]string{"Usage: stanced", "\n  --max-text-bytes", "STANCE_ADDR", "STANCE_MAX_TEXT_BYTES", "\n  --grace-period", `readiness under "stance.v1.StanceService"`}},
		{"unknown flag", []string{"--no-such-flag"}, nil, []string{"flag provided but not defined: -no-such-flag"}},
		{"bad log level", []string{"--log-level", "loud"}, nil, []string{`--log-level "loud"`}},
		{"bad log format", []string{"--log-format", "xml"}, nil, []string{`--log-format "xml": want text or json`}},
		{"missing model", []string{"--model", filepath.Join(dir, "nope")}, func(err error) bool { return errors.Is(err, fs.ErrNotExist) },
			[]string{"load model", "manifest.json"}},
		{"bad address", []string{"--model", dir, "--addr", "127.0.0.1:99999"}, nil, []string{"invalid port"}},
		{"two bare model dirs", []string{"--model", dir, "--model", dir}, nil, []string{"only one bare DIR (the default model); name the others NAME=DIR"}},
		{"named model without dir", []string{"--model", "news="}, nil, []string{`"news=": the model directory is empty`}},
		{"named model missing", []string{"--model", "b=" + filepath.Join(dir, "nope")}, func(err error) bool { return errors.Is(err, fs.ErrNotExist) },
			[]string{"model b=" + filepath.Join(dir, "nope")}},
		{"name served twice", []string{"--model", dir, "--model", "a=" + dir, "--model", "a=" + dir}, nil, []string{`the name "a" is served twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncbuf.Buffer
			ready := make(chan net.Addr, 1)
			err := run(rpcContext(t), nil, tt.args, &out, ready)
			if err == nil {
				t.Fatalf("run(%q) = nil, want an error", tt.args)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Errorf("run(%q) = %v, not the error expected", tt.args, err)
			}
			got := err.Error() + "\n" + out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("error and output lack %q:\n%s", w, got)
				}
			}
			if len(ready) != 0 {
				t.Errorf("run signalled ready before failing")
			}
		})
	}
}

func TestRunEnvErrors(t *testing.T) {
	tests := []struct {
		env, value, want string
	}{
		{"STANCE_MAX_TEXT_BYTES", "ten", `STANCE_MAX_TEXT_BYTES="ten": not an integer`},
		{"STANCE_GRACE_PERIOD", "soon", `STANCE_GRACE_PERIOD="soon": not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			err := run(rpcContext(t), nil, nil, &syncbuf.Buffer{}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run with %s=%q = %v, want an error containing %q", tt.env, tt.value, err, tt.want)
			}
		})
	}
}

// buildGrpcurl builds the grpcurl that tools/go.mod pins.
func buildGrpcurl(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go not on PATH: %v", err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "grpcurl")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-modfile="+filepath.Join(root, "tools", "go.mod"), "-o", bin, "github.com/fullstorydev/grpcurl/cmd/grpcurl")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build grpcurl: %v\n%s", err, out)
	}
	return bin
}

// TestGrpcurl drives the server with grpcurl through reflection, as an
// operator would.
func TestGrpcurl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grpcurl; skipped in -short mode")
	}
	t.Parallel()
	grpcurl := buildGrpcurl(t)
	m, dir := modelDir(t)
	d := startDaemon(t, "--model", dir)

	grpcurlRun := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), rpcTimeout)
		defer cancel()
		args = append([]string{"-plaintext", "-max-time", "5"}, args...)
		out, err := exec.CommandContext(ctx, grpcurl, args...).CombinedOutput()
		return string(out), err
	}
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		want    []string
	}{
		{"list", []string{d.addr, "list"}, false, []string{"stance.v1.StanceService", "grpc.health.v1.Health"}},
		{"describe", []string{d.addr, "describe", "stance.v1.StanceService"}, false,
			[]string{"rpc Classify ( .stance.v1.ClassifyRequest ) returns ( .stance.v1.ClassifyResponse )", "rpc ClassifyStream ( stream"}},
		{"health", []string{"-d", `{"service":"stance.v1.StanceService"}`, d.addr, "grpc.health.v1.Health/Check"}, false, []string{`"SERVING"`}},
		{"classify", []string{"-d", fmt.Sprintf(`{"text":%q}`, multipolarText), d.addr, "stance.v1.StanceService/Classify"}, false,
			[]string{`"modelVersion": "` + m.ManifestRef().Version + `"`, `"scores"`}},
		{"invalid", []string{"-d", `{"text":" "}`, d.addr, "stance.v1.StanceService/Classify"}, true,
			[]string{"Code: InvalidArgument", "Message: text is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := grpcurlRun(t, tt.args...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("grpcurl %q: error %v, want error %v\n%s", tt.args, err, tt.wantErr, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("grpcurl %q output lacks %q:\n%s", tt.args, w, out)
				}
			}
		})
	}

	// The Classify output is the JSON form of a ClassifyResponse.
	out, err := grpcurlRun(t, "-d", fmt.Sprintf(`{"text":%q}`, multipolarText), d.addr, "stance.v1.StanceService/Classify")
	if err != nil {
		t.Fatalf("grpcurl Classify: %v\n%s", err, out)
	}
	var resp struct {
		Result struct {
			Scores []struct {
				Label string  `json:"label"`
				Score float64 `json:"score"`
			} `json:"scores"`
			Labels       []string `json:"labels"`
			ModelVersion string   `json:"modelVersion"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("grpcurl Classify output is not JSON: %v\n%s", err, out)
	}
	if len(resp.Result.Scores) != len(m.Labels()) || resp.Result.ModelVersion != m.ManifestRef().Version {
		t.Errorf("grpcurl Classify = %+v, want %d scores from version %s", resp.Result, len(m.Labels()), m.ManifestRef().Version)
	}
}
