package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// stancePrefix starts the method names of the stance service.
const stancePrefix = "/" + ServiceName + "/"

// healthWatch is the streaming health method, idle by design.
const healthWatch = "/grpc.health.v1.Health/Watch"

// admission decides, from a call's headers alone, whether it may start:
// before its message is read, so that a refused call costs no more than
// its headers. Classification calls take a slot of the in-flight limit
// (a ClassifyStream holds one while it is open) and are refused with
// RESOURCE_EXHAUSTED when none is free rather than queued; unary calls
// without a deadline get the default one, so that a call whose message
// never comes does not hold its slot for ever.
type admission struct {
	slots          chan struct{}
	defaultTimeout time.Duration
	unary          map[string]bool // full method names; filled before serving
	log            *slog.Logger
	shed           prometheus.Counter // nil without metrics
}

func (a *admission) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	method := info.FullMethodName
	var cancel context.CancelFunc
	if _, ok := ctx.Deadline(); !ok && a.unary[method] {
		ctx, cancel = context.WithTimeout(ctx, a.defaultTimeout)
	}
	if !strings.HasPrefix(method, stancePrefix) || method == stancePrefix+"GetModelInfo" || method == stancePrefix+"ListModels" {
		if cancel != nil {
			context.AfterFunc(ctx, cancel)
		}
		return ctx, nil
	}
	select {
	case a.slots <- struct{}{}:
	default:
		if cancel != nil {
			cancel()
		}
		if a.shed != nil {
			a.shed.Inc()
		}
		a.log.Debug("call refused", "method", method, "code", codes.ResourceExhausted.String())
		return nil, status.Errorf(codes.ResourceExhausted, "server busy: %d calls in flight (--max-inflight); retry later", cap(a.slots))
	}
	// The stream's context ends with the call, whatever ends it.
	context.AfterFunc(ctx, func() {
		<-a.slots
		if cancel != nil {
			cancel()
		}
	})
	return ctx, nil
}

// errPrefix is how much of a client's bytes an error message may quote.
const errPrefix = 64

// quote returns s quoted, cut to its first errPrefix bytes with a note of
// its full length when longer.
func quote(s string) string {
	if len(s) <= errPrefix {
		return fmt.Sprintf("%q", s)
	}
	cut := errPrefix
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}

// recordingCodec is the proto codec with one change: a message that does
// not decode is left empty and its error recorded, so that an interceptor
// can answer INVALID_ARGUMENT and the call log and metrics see the call.
// grpc-go would otherwise answer INTERNAL before any interceptor runs.
type recordingCodec struct {
	encoding.CodecV2
	failed sync.Map // message pointer → error
}

func newRecordingCodec() *recordingCodec {
	return &recordingCodec{CodecV2: encoding.GetCodecV2("proto")}
}

func (c *recordingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if err := c.CodecV2.Unmarshal(data, v); err != nil {
		c.failed.Store(v, err)
	}
	return nil
}

// take returns and forgets the decoding error recorded for v.
func (c *recordingCodec) take(v any) error {
	e, ok := c.failed.LoadAndDelete(v)
	if !ok {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "request is not a valid message: %v", e)
}

func (c *recordingCodec) unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := c.take(req); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

func (c *recordingCodec) stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		return h(srv, &checkedStream{ServerStream: ss, codec: c})
	}
}

// checkedStream fails a stream's RecvMsg on a message that did not decode.
type checkedStream struct {
	grpc.ServerStream
	codec *recordingCodec
}

func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.codec.take(m)
}

// callStats is a stats.Handler that sees every call, those that end before
// any interceptor runs included (a message over --max-recv-bytes, an
// unknown compressor): it logs and counts them, as the call log and the
// per-RPC metrics cannot. It also counts calls in flight and finished,
// for the drain's report.
type callStats struct {
	log      *slog.Logger
	early    *prometheus.CounterVec // nil without metrics
	active   atomic.Int64
	finished atomic.Int64
}

type tagKey struct{}

// callTag follows one call from TagRPC to its end.
type callTag struct {
	method string
	seen   atomic.Bool // an interceptor saw the call
}

// markSeen records that an interceptor saw the call of ctx.
func markSeen(ctx context.Context) {
	if t, ok := ctx.Value(tagKey{}).(*callTag); ok {
		t.seen.Store(true)
	}
}

func (c *callStats) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, tagKey{}, &callTag{method: info.FullMethodName})
}

func (c *callStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	switch s := s.(type) {
	case *stats.Begin:
		c.active.Add(1)
	case *stats.End:
		c.active.Add(-1)
		c.finished.Add(1)
		t, ok := ctx.Value(tagKey{}).(*callTag)
		if s.Error == nil || !ok || t.seen.Load() {
			return
		}
		if c.early != nil {
			c.early.WithLabelValues(status.Code(s.Error).String()).Inc()
		}
		logCall(ctx, c.log, t.method, s.BeginTime, s.Error)
	}
}

func (c *callStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (c *callStats) HandleConn(context.Context, stats.ConnStats) {}
