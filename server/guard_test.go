package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"

	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/syncbuf"
	"github.com/stanceproject/stance/server"
)

// rawCodec sends []byte messages as they are, so that a test can put
// bytes on the wire that are no valid message.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}
func (rawCodec) Unmarshal(mem.BufferSlice, any) error { return nil }
func (rawCodec) Name() string                         { return "proto" }

// garbage is no valid protobuf message: field 15, wire type 7.
var garbage = []byte{0x7f, 0xff, 0xff}

// TestUndecodableRequest checks that bytes which do not decode get
// INVALID_ARGUMENT, not INTERNAL, and are logged and counted like any
// other call — for unary calls and stream messages alike.
func TestUndecodableRequest(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	env := newEnv(t, plainModel(t), envOptions{log: &log})
	var reply []byte
	err := env.conn.Invoke(rpcContext(t), stancev1.StanceService_Classify_FullMethodName, garbage, &reply, grpc.ForceCodecV2(rawCodec{}))
	wantStatus(t, err, codes.InvalidArgument, "request is not a valid message")
	if got := counterValue(t, env.reg, "grpc_server_handled_total", map[string]string{"grpc_method": "Classify", "grpc_code": "InvalidArgument"}); got != 1 {
		t.Errorf("grpc_server_handled_total{Classify,InvalidArgument} = %v, want 1", got)
	}
	if !strings.Contains(log.String(), "method=/stance.v1.StanceService/Classify code=InvalidArgument") {
		t.Errorf("call log lacks the undecodable call:\n%s", log.String())
	}

	desc := &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}
	st, err := env.conn.NewStream(rpcContext(t), desc, stancev1.StanceService_ClassifyStream_FullMethodName, grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatalf("ClassifyStream: %v", err)
	}
	if err := st.SendMsg(garbage); err != nil {
		t.Fatalf("SendMsg: %v", err)
	}
	wantStatus(t, st.RecvMsg(&reply), codes.InvalidArgument, "request is not a valid message")

	// A good call on the same connection is unaffected.
	if _, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: neutralText}); err != nil {
		t.Errorf("Classify after undecodable calls: %v", err)
	}
}

// TestInflightLimit checks that calls past --max-inflight are refused at
// once with RESOURCE_EXHAUSTED, that health checks and model information
// are never refused, and that a freed slot serves again.
func TestInflightLimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{grpc: func(c *server.GRPCConfig) { c.MaxInflight = 1 }})
	ctx, cancel := context.WithCancel(rpcContext(t))
	stream, err := env.stub.ClassifyStream(ctx)
	if err != nil {
		t.Fatalf("ClassifyStream: %v", err)
	}
	if err := stream.Send(&stancev1.ClassifyStreamRequest{Request: &stancev1.ClassifyRequest{Text: neutralText}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("Recv: %v", err)
	}
	// The open stream holds the only slot.
	start := time.Now()
	_, err = env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: neutralText})
	wantStatus(t, err, codes.ResourceExhausted, "1 calls in flight (--max-inflight)")
	t.Logf("refused in %s", time.Since(start))
	if got := counterValue(t, env.reg, "stance_calls_shed_total", nil); got != 1 {
		t.Errorf("stance_calls_shed_total = %v, want 1", got)
	}
	if _, err := env.stub.GetModelInfo(rpcContext(t), &stancev1.GetModelInfoRequest{}); err != nil {
		t.Errorf("GetModelInfo with the limit reached: %v", err)
	}
	if _, err := healthpb.NewHealthClient(env.conn).Check(rpcContext(t), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health Check with the limit reached: %v", err)
	}
	cancel()
	// The slot is freed when the server sees the stream end.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: neutralText})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Classify after the stream ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHeaderListLimit checks that a call whose metadata exceeds the limit
// is refused while ordinary metadata passes.
func TestHeaderListLimit(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	health := healthpb.NewHealthClient(env.conn)
	ok := metadata.AppendToOutgoingContext(rpcContext(t), "authorization", "Bearer "+strings.Repeat("t", 2000), "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	if _, err := health.Check(ok, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("health Check with 2 KB of metadata: %v", err)
	}
	big := metadata.AppendToOutgoingContext(rpcContext(t), "x-junk", strings.Repeat("j", 2*server.DefaultMaxHeaderListBytes))
	if _, err := health.Check(big, &healthpb.HealthCheckRequest{}); err == nil {
		t.Fatalf("health Check with %d bytes of metadata succeeded; want it refused", 2*server.DefaultMaxHeaderListBytes)
	}
}

// TestLongTargetNotEchoed checks that a huge target is refused without
// being quoted back.
func TestLongTargetNotEchoed(t *testing.T) {
	t.Parallel()
	env := newEnv(t, targetModel(t), envOptions{})
	_, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: neutralText, Target: strings.Repeat("NATO ", 200_000)})
	wantStatus(t, err, codes.InvalidArgument, "target is 1000000 bytes; the limit is 256 bytes (--max-target-bytes)")
	if msg := err.Error(); len(msg) > 200 {
		t.Errorf("error message is %d bytes: %.300s", len(msg), msg)
	}
}

// TestEarlyFailureLogged checks that a call refused before any interceptor
// runs (its message is over the size limit) is logged and counted.
func TestEarlyFailureLogged(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	env := newEnv(t, plainModel(t), envOptions{log: &log, grpc: func(c *server.GRPCConfig) { c.MaxRecvBytes = 1000 }})
	_, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: strings.Repeat("word ", 400)})
	wantStatus(t, err, codes.ResourceExhausted)
	if got := counterValue(t, env.reg, "stance_calls_failed_early_total", map[string]string{"grpc_code": "ResourceExhausted"}); got != 1 {
		t.Errorf("stance_calls_failed_early_total{ResourceExhausted} = %v, want 1", got)
	}
	if !strings.Contains(log.String(), "method=/stance.v1.StanceService/Classify code=ResourceExhausted") {
		t.Errorf("log lacks the refused call:\n%s", log.String())
	}
}

// TestWatchEnds checks that a health Watch that its client cancels is no
// error in the call log, and that EndWatches ends open watches with
// UNAVAILABLE.
func TestWatchEnds(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	env := newEnv(t, plainModel(t), envOptions{log: &log})
	health := healthpb.NewHealthClient(env.conn)
	watch := func(ctx context.Context) grpc.ServerStreamingClient[healthpb.HealthCheckResponse] {
		t.Helper()
		w, err := health.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		if _, err := w.Recv(); err != nil {
			t.Fatalf("Watch Recv: %v", err)
		}
		return w
	}
	ctx, cancel := context.WithCancel(rpcContext(t))
	watch(ctx)
	cancel()

	w := watch(rpcContext(t))
	env.srv.Shutdown()
	if resp, err := w.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("Watch after Shutdown = %v, %v; want NOT_SERVING", resp.GetStatus(), err)
	}
	env.srv.EndWatches()
	_, err := w.Recv()
	wantStatus(t, err, codes.Unavailable, "shutting down")

	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(log.String(), "method=/grpc.health.v1.Health/Watch") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(log.String(), "method=/grpc.health.v1.Health/Watch code=OK"); n != 2 {
		t.Errorf("log has %d Watch calls ending OK, want 2 (one canceled, one ended by the drain):\n%s", n, log.String())
	}
	for _, bad := range []string{"level=WARN", "level=ERROR"} {
		if strings.Contains(log.String(), bad) {
			t.Errorf("log has %s lines:\n%s", bad, log.String())
		}
	}
}
