// Package testutil holds the helpers the tests of several packages share:
// a server on an in-memory listener, the deadline of a test call, and the
// invariants every classification must hold.
package testutil

import (
	"cmp"
	"context"
	"log/slog"
	"math"
	"net"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/engine"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/server"
)

// RPCTimeout bounds every test call.
const RPCTimeout = 10 * time.Second

// RPCContext returns a context with the deadline of one test call,
// canceled at cleanup.
func RPCContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), RPCTimeout)
	t.Cleanup(cancel)
	return ctx
}

// Registry serves the models in process, the first as the default, each
// under its manifest's name.
func Registry(t testing.TB, cfg engine.Config, ms ...*linear.Model) *engine.Registry {
	t.Helper()
	src := make([]engine.Source, len(ms))
	for i, m := range ms {
		src[i] = engine.Source{Model: m}
	}
	reg, err := engine.Open(t.Context(), src, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("engine.Open: %v", err)
	}
	return reg
}

// Served is a server on an in-memory listener.
type Served struct {
	Server *server.Server
	// Dial connects to the listener; pass it to grpc.NewClient or
	// client.WithDialOptions with the target "passthrough:///bufnet".
	Dial grpc.DialOption
	// Conn is a plaintext connection through Dial.
	Conn *grpc.ClientConn
}

// Serve serves models over gRPC on an in-memory listener until the test
// ends. Readiness starts NOT_SERVING, as in a real server.
func Serve(t testing.TB, models stance.Models, cfg server.Config, gcfg server.GRPCConfig) *Served {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := server.New(models, cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	g, err := server.NewGRPC(srv, gcfg)
	if err != nil {
		t.Fatalf("server.NewGRPC: %v", err)
	}
	lis := bufconn.Listen(1 << 20)
	served := make(chan error, 1)
	go func() { served <- g.Serve(lis) }()
	dial := grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })
	conn, err := grpc.NewClient("passthrough:///bufnet", dial, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &Served{Server: srv, Dial: dial, Conn: conn}
}

// CheckResult checks the invariants of the classification of an English
// text by a model with labels and version (any version when ""): one
// score in [0, 1] per label in model order, predicted labels that are
// model labels and hold the top label, and the top score its score.
func CheckResult(t testing.TB, labels []string, version string, r *stancev1.ClassifyResult) {
	t.Helper()
	if got := r.GetModelVersion(); got == "" || (version != "" && got != version) {
		t.Errorf("model_version = %q, want %q", got, cmp.Or(version, "a version"))
	}
	if got := r.GetLanguage(); got != "en" {
		t.Errorf("language = %q, want en", got)
	}
	if r.GetUnsupportedLanguage() {
		t.Errorf("unsupported_language = true, want false")
	}
	var got []string
	for _, s := range r.GetScores() {
		got = append(got, s.GetLabel())
		if s.GetScore() < 0 || s.GetScore() > 1 || math.IsNaN(s.GetScore()) {
			t.Errorf("score of %s = %v, want it in [0, 1]", s.GetLabel(), s.GetScore())
		}
	}
	if !slices.Equal(got, labels) {
		t.Fatalf("scores for %q, want the model's labels in order %q", got, labels)
	}
	if !slices.Contains(r.GetLabels(), r.GetTopLabel()) {
		t.Errorf("labels %q, top %q; want labels holding the top label", r.GetLabels(), r.GetTopLabel())
	}
	if i := slices.Index(got, r.GetTopLabel()); i >= 0 && r.GetScores()[i].GetScore() != r.GetTopScore() {
		t.Errorf("top_score = %v, want the score of %s, %v", r.GetTopScore(), r.GetTopLabel(), r.GetScores()[i].GetScore())
	}
	for _, l := range r.GetLabels() {
		if !slices.Contains(labels, l) {
			t.Errorf("predicted label %q is not a model label", l)
		}
	}
}
