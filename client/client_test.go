package client_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
	"github.com/stanceproject/stance/engine"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/apiconv"
	"github.com/stanceproject/stance/internal/testmodel"
	"github.com/stanceproject/stance/internal/testutil"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/server"
)

// rpcTimeout bounds every test RPC.
const rpcTimeout = testutil.RPCTimeout

// The server's limits in these tests.
const (
	maxTextBytes = 300
	maxBatchSize = 4
)

const (
	multipolarText = testmodel.MultipolarText
	unilateralText = testmodel.UnilateralText
	neutralText    = testmodel.NeutralText
)

// testModel is trained once per test binary; models are immutable and
// safe for concurrent use.
var testModelOnce = sync.OnceValues(func() (*linear.Model, error) {
	return testmodel.Train("synthetic", testmodel.Examples(), nil)
})

func testModel(t *testing.T) *linear.Model {
	t.Helper()
	m, err := testModelOnce()
	if err != nil {
		t.Fatalf("train synthetic model: %v", err)
	}
	return m
}

// testEnv is a server on an in-memory listener and a Client of it.
type testEnv struct {
	client *client.Client
	// stub calls the server without the client's retries.
	stub  stancev1.StanceServiceClient
	model *linear.Model
	// calls counts the unary calls per method that reached the server.
	calls *callCounter
}

// callCounter counts calls per full method name.
type callCounter struct {
	mu sync.Mutex // guards n
	n  map[string]int
}

func (c *callCounter) add(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[method]++
}

func (c *callCounter) get(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[method]
}

// newEnv serves the synthetic model over bufconn with the given extra
// unary interceptor (may be nil) and returns a client with opts; teardown
// is registered with t.Cleanup.
func newEnv(t *testing.T, intercept grpc.UnaryServerInterceptor, opts ...client.Option) *testEnv {
	t.Helper()
	m := testModel(t)
	reg := testutil.Registry(t, engine.Config{MaxTextBytes: maxTextBytes, MaxDocumentBytes: 2000, MaxDocumentSentences: 10}, m)
	calls := &callCounter{n: map[string]int{}}
	chain := []grpc.UnaryServerInterceptor{func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		calls.add(info.FullMethod)
		return h(ctx, req)
	}}
	if intercept != nil {
		chain = append(chain, intercept)
	}
	s := testutil.Serve(t, reg, server.Config{MaxBatchSize: maxBatchSize}, server.GRPCConfig{
		Registerer: prometheus.NewRegistry(),
		Options:    []grpc.ServerOption{grpc.ChainUnaryInterceptor(chain...)},
	})
	s.Server.SetReady(true)
	c, err := client.New("passthrough:///bufnet", append([]client.Option{client.WithDialOptions(s.Dial)}, opts...)...)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testEnv{client: c, stub: stancev1.NewStanceServiceClient(c.Conn()), model: m, calls: calls}
}

var rpcContext = testutil.RPCContext

// wantInvalid checks that err is a *stance.Error with code EInvalid and a
// message holding msg.
func wantInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	var se *stance.Error
	if !errors.As(err, &se) {
		t.Fatalf("got error %v (%T), want a *stance.Error", err, err)
	}
	if got := stance.Code(err); got != stance.EInvalid {
		t.Errorf("stance.Code(%v) = %d, want EInvalid", err, got)
	}
	if !strings.Contains(se.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", se.Message, msg)
	}
}

// checkResult checks the invariants of a classification by m.
func checkResult(t *testing.T, m *linear.Model, r stance.Result) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("result has error %v", r.Err)
	}
	testutil.CheckResult(t, m.Labels(), m.ManifestRef().Version, apiconv.Result(r))
}

func TestClassifyChunks(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil, client.WithBatchSize(3))
	base := []string{multipolarText, unilateralText, neutralText}
	var reqs []stance.Request
	for i := range 10 {
		text := base[i%3]
		switch i {
		case 4:
			text = ""
		case 8:
			text = strings.Repeat("y", maxTextBytes+1)
		}
		reqs = append(reqs, stance.Request{Text: text})
	}
	got, err := env.client.Classify(rpcContext(t), reqs)
	if err != nil {
		t.Fatalf("Classify: %v", err)
	}
	if len(got) != len(reqs) {
		t.Fatalf("got %d results, want %d", len(got), len(reqs))
	}
	if n := env.calls.get(stancev1.StanceService_ClassifyBatch_FullMethodName); n != 4 {
		t.Errorf("ClassifyBatch called %d times, want 4 chunks of at most 3", n)
	}
	for i, r := range got {
		switch i {
		case 4:
			wantInvalid(t, r.Err, "text is empty")
		case 8:
			wantInvalid(t, r.Err, "--max-text-bytes")
		default:
			checkResult(t, env.model, r)
			// Results are in input order: each equals ClassifyOne of its text.
			want, err := env.client.ClassifyOne(rpcContext(t), reqs[i])
			if err != nil {
				t.Fatalf("ClassifyOne(%d): %v", i, err)
			}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("result %d differs from ClassifyOne (-want +got):\n%s", i, diff)
			}
		}
	}
	wantLabel := map[string]string{multipolarText: "pro_multipolarity", unilateralText: "anti_unilateralism", neutralText: "none"}
	for i, r := range got {
		if w, ok := wantLabel[reqs[i].Text]; ok && !slices.Contains(r.Labels, w) {
			t.Errorf("result %d labels = %q, want %s among them", i, r.Labels, w)
		}
	}
}

// TestClassifyChunkOverLimit checks that a chunk over the server's batch
// limit fails the whole call with EInvalid.
func TestClassifyChunkOverLimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil, client.WithBatchSize(maxBatchSize+1))
	reqs := slices.Repeat([]stance.Request{{Text: neutralText}}, maxBatchSize+1)
	got, err := env.client.Classify(rpcContext(t), reqs)
	wantInvalid(t, err, "--max-batch-size")
	if got != nil {
		t.Errorf("got results %v with the error", got)
	}
}

func TestClassifyOne(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	tests := []struct {
		name    string
		req     stance.Request
		wantErr string
		want    string
	}{
		{name: "multipolar", req: stance.Request{Text: multipolarText, Explain: true}, want: "pro_multipolarity"},
		{name: "neutral", req: stance.Request{Text: neutralText}, want: "none"},
		{name: "empty", req: stance.Request{Text: "  "}, wantErr: "text is empty"},
		{name: "too long", req: stance.Request{Text: strings.Repeat("z", maxTextBytes+1)}, wantErr: "the limit is 300 bytes"},
		{name: "target", req: stance.Request{Text: neutralText, Target: "NATO"}, wantErr: "takes no target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := env.client.ClassifyOne(rpcContext(t), tt.req)
			if tt.wantErr != "" {
				wantInvalid(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("ClassifyOne: %v", err)
			}
			checkResult(t, env.model, got)
			if !slices.Contains(got.Labels, tt.want) {
				t.Errorf("labels = %q, want %s among them", got.Labels, tt.want)
			}
			if tt.req.Explain != (len(got.Explanations) == len(got.Labels)) || (tt.req.Explain && got.Explanations[0].Label != got.Labels[0]) {
				t.Errorf("explain = %v: got explanations %+v for labels %q", tt.req.Explain, got.Explanations, got.Labels)
			}
		})
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	reqs := []stance.Request{{Text: multipolarText}, {Text: ""}, {Text: neutralText}, {Text: unilateralText}}
	s, err := env.client.Stream(rpcContext(t))
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	for _, r := range reqs {
		if err := s.Send(r); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if err := s.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	var got []stance.Result
	for {
		r, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv after %d results: %v", len(got), err)
		}
		got = append(got, r)
	}
	if len(got) != len(reqs) {
		t.Fatalf("got %d results, want %d", len(got), len(reqs))
	}
	wantInvalid(t, got[1].Err, "text is empty")
	for _, i := range []int{0, 2, 3} {
		checkResult(t, env.model, got[i])
	}
	if !slices.Contains(got[0].Labels, "pro_multipolarity") {
		t.Errorf("result 0 labels = %q, want pro_multipolarity among them", got[0].Labels)
	}
}

// TestStreamDeadline checks that a stream whose context ends reports the
// context's error from Recv.
func TestStreamDeadline(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	// Connect first, so that the short deadline below is spent in Recv.
	if _, err := env.client.Info(rpcContext(t)); err != nil {
		t.Fatalf("Info: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	s, err := env.client.Stream(ctx)
	if err == nil {
		_, err = s.Recv() // nothing sent: waits until the deadline
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Recv = %v, want an error matching context.DeadlineExceeded", err)
	}
}

func TestClassifyDocument(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	doc := "Mr. Erdoğan met the U.S. envoy on Monday, and the deal is worth €2 million. " + multipolarText + "\n\n" + "“" + neutralText + "”"
	want := []string{
		"Mr. Erdoğan met the U.S. envoy on Monday, and the deal is worth €2 million.",
		multipolarText,
		"“" + neutralText + "”",
	}
	got, err := env.client.ClassifyDocument(rpcContext(t), stance.DocumentRequest{Text: doc})
	if err != nil {
		t.Fatalf("ClassifyDocument: %v", err)
	}
	var texts []string
	for _, s := range got.Sentences {
		texts = append(texts, s.Text)
	}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Fatalf("sentences (-want +got):\n%s", diff)
	}
	for i, s := range got.Sentences {
		wantStart := strings.Index(doc, want[i])
		if s.Start != wantStart || s.End != wantStart+len(want[i]) {
			t.Errorf("sentence %d byte offsets = [%d, %d), want [%d, %d)", i, s.Start, s.End, wantStart, wantStart+len(want[i]))
			continue
		}
		if doc[s.Start:s.End] != s.Text {
			t.Errorf("sentence %d: doc[%d:%d] = %q, want %q", i, s.Start, s.End, doc[s.Start:s.End], s.Text)
		}
	}
	if got.ModelVersion != env.model.ManifestRef().Version {
		t.Errorf("ModelVersion = %q, want %q", got.ModelVersion, env.model.ManifestRef().Version)
	}
	if !slices.Contains(got.Sentences[1].Result.Labels, "pro_multipolarity") {
		t.Errorf("sentence 1 labels = %q, want pro_multipolarity among them", got.Sentences[1].Result.Labels)
	}
	var labels []string
	for _, l := range got.Labels {
		labels = append(labels, l.Label)
		if l.Share < 0 || l.Share > 1 {
			t.Errorf("share of %s = %v, want it in [0, 1]", l.Label, l.Share)
		}
	}
	if diff := cmp.Diff(env.model.Labels(), labels); diff != "" {
		t.Errorf("summary labels (-want +got):\n%s", diff)
	}

	_, err = env.client.ClassifyDocument(rpcContext(t), stance.DocumentRequest{Text: " "})
	wantInvalid(t, err, "document is empty")
}

func TestInfo(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	got, err := env.client.Info(rpcContext(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if diff := cmp.Diff(engine.InfoOf(env.model), got); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
	limits, err := env.client.Limits(rpcContext(t))
	if err != nil {
		t.Fatalf("Limits: %v", err)
	}
	if limits.GetMaxTextBytes() != maxTextBytes || limits.GetMaxBatchSize() != maxBatchSize {
		t.Errorf("Limits = %v, want max_text_bytes %d and max_batch_size %d", limits, maxTextBytes, maxBatchSize)
	}
}

// failFirst returns an interceptor that fails the first n calls of
// Classify with code, and a count of the attempts it saw.
func failFirst(n int32, code codes.Code) (grpc.UnaryServerInterceptor, *atomic.Int32) {
	var attempts atomic.Int32
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod != stancev1.StanceService_Classify_FullMethodName {
			return h(ctx, req)
		}
		if attempts.Add(1) <= n {
			return nil, status.Error(code, "injected failure")
		}
		return h(ctx, req)
	}, &attempts
}

// TestRetry checks that the default service config retries UNAVAILABLE
// (up to five attempts) and nothing else.
func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		failures     int32
		code         codes.Code
		wantAttempts int32
		wantErr      func(error) bool
	}{
		{"one UNAVAILABLE is retried", 1, codes.Unavailable, 2, nil},
		{"four UNAVAILABLE are retried", 4, codes.Unavailable, 5, nil},
		{"five UNAVAILABLE exhaust the attempts", 5, codes.Unavailable, 5,
			func(err error) bool { return stance.Code(err) == stance.EUnavailable }},
		{"INTERNAL is not retried", 1, codes.Internal, 1,
			func(err error) bool {
				return stance.Code(err) == stance.EInternal && strings.Contains(err.Error(), "injected failure")
			}},
		{"INVALID_ARGUMENT is not retried", 1, codes.InvalidArgument, 1,
			func(err error) bool { return stance.Code(err) == stance.EInvalid }},
		{"DEADLINE_EXCEEDED maps to the context error", 1, codes.DeadlineExceeded, 1,
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			intercept, attempts := failFirst(tt.failures, tt.code)
			env := newEnv(t, intercept)
			got, err := env.client.ClassifyOne(rpcContext(t), stance.Request{Text: multipolarText})
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ClassifyOne: %v", err)
				}
				checkResult(t, env.model, got)
			} else if !tt.wantErr(err) {
				t.Errorf("ClassifyOne error = %v (code %d), not the one expected", err, stance.Code(err))
			}
			if n := attempts.Load(); n != tt.wantAttempts {
				t.Errorf("server saw %d attempts, want %d", n, tt.wantAttempts)
			}
		})
	}
}

// TestRawStub checks the generated stub on the client's connection: the
// client adds no wire behaviour of its own beyond retries.
func TestRawStub(t *testing.T) {
	t.Parallel()
	env := newEnv(t, nil)
	resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: neutralText})
	if err != nil {
		t.Fatalf("Classify: %v", err)
	}
	got, err := env.client.ClassifyOne(rpcContext(t), stance.Request{Text: neutralText})
	if err != nil {
		t.Fatalf("ClassifyOne: %v", err)
	}
	if resp.GetResult().GetTopLabel() != got.Top || resp.GetResult().GetModelVersion() != got.ModelVersion {
		t.Errorf("stub result %v disagrees with client result %+v", resp.GetResult(), got)
	}
	_, err = env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("Classify(empty) code = %s, want InvalidArgument", status.Code(err))
	}
}

func TestReadToken(t *testing.T) {
	t.Setenv("STANCE_TOKEN", "from-env")
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{{"", "from-env"}, {file, "from-file"}} {
		if got, err := client.ReadToken(tt.file); err != nil || got != tt.want {
			t.Errorf("ReadToken(%q) = %q, %v; want %q", tt.file, got, err, tt.want)
		}
	}
	if _, err := client.ReadToken(file + ".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadToken of a missing file = %v, want ErrNotExist", err)
	}
}

// TestModels asks a server of two models for each by name, through
// WithModel and the requests' Model field.
func TestModels(t *testing.T) {
	t.Parallel()
	plain := testModel(t)
	targets, err := testmodel.Train("client-targets", testmodel.TargetExamples(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := testutil.Serve(t, testutil.Registry(t, engine.Config{}, plain, targets), server.Config{}, server.GRPCConfig{})
	s.Server.SetReady(true)
	dial := func(opts ...client.Option) *client.Client {
		c, err := client.New("passthrough:///bufnet", append(opts, client.WithDialOptions(s.Dial))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c, named := dial(), dial(client.WithModel("client-targets"))
	list, err := c.List(rpcContext(t))
	if err != nil || len(list) != 2 || list[0].Name != plain.ManifestRef().Name || !list[0].Default || list[1].Info.Version != targets.ManifestRef().Version {
		t.Errorf("List = %+v, %v", list, err)
	}
	info, err := named.Info(rpcContext(t))
	if err != nil || info.Version != targets.ManifestRef().Version {
		t.Errorf("Info WithModel = %+v, %v; want the target model", info, err)
	}
	req := stance.Request{Text: "The minister praised the bloc and its members for their cooperation.", Target: "NATO"}
	for _, tt := range []struct {
		c       *client.Client
		model   string
		version string
	}{{named, "", targets.ManifestRef().Version}, {c, "client-targets", targets.ManifestRef().Version}, {c, "", plain.ManifestRef().Version}} {
		r := req
		r.Model = tt.model
		if tt.version == plain.ManifestRef().Version {
			r.Target = ""
		}
		res, err := tt.c.ClassifyOne(rpcContext(t), r)
		if err != nil || res.ModelVersion != tt.version {
			t.Errorf("ClassifyOne(model %q) = version %s, %v; want %s", tt.model, res.ModelVersion, err, tt.version)
		}
	}
	_, err = c.ModelInfo(rpcContext(t), "nope")
	if stance.Code(err) != stance.ENotFound {
		t.Errorf("ModelInfo(nope) = %v, want ENotFound", err)
	}
}
