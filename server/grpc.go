package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// GRPCConfig configures NewGRPC. Zero values take the defaults.
type GRPCConfig struct {
	// MaxRecvBytes bounds a request message; default: room for the largest
	// document or the largest full batch, plus 1 MiB.
	MaxRecvBytes int
	// MaxConcurrentStreams bounds the streams of one connection; default
	// DefaultMaxConcurrentStreams.
	MaxConcurrentStreams uint32
	// MaxHeaderListBytes bounds the headers (metadata) of a call; default
	// DefaultMaxHeaderListBytes.
	MaxHeaderListBytes uint32
	// MaxInflight bounds the classification calls in progress (an open
	// ClassifyStream counts as one); beyond it calls are refused with
	// RESOURCE_EXHAUSTED. Default DefaultMaxInflight.
	MaxInflight int
	// ConnectionTimeout bounds the TLS and HTTP/2 handshakes of a new
	// connection; default DefaultConnectionTimeout.
	ConnectionTimeout time.Duration
	// DefaultTimeout bounds unary calls that carry no deadline; default 30s.
	DefaultTimeout time.Duration
	// Registerer receives the call and prediction metrics; nil disables them.
	Registerer prometheus.Registerer
	// Auth checks bearer tokens; nil lets every call in.
	Auth *Auth
	// Options are added last (credentials, extra interceptors).
	Options []grpc.ServerOption
}

// Defaults of GRPCConfig.
const (
	DefaultMaxConcurrentStreams = 100
	DefaultMaxHeaderListBytes   = 16 << 10
	DefaultMaxInflight          = 64
	DefaultConnectionTimeout    = 2 * time.Second
)

// Connection keepalive: idle connections close after maxConnectionIdle;
// a silent peer is pinged after keepaliveTime and dropped when it does not
// answer within keepaliveTimeout; clients may ping every minKeepalive.
const (
	maxConnectionIdle = 5 * time.Minute
	keepaliveTime     = time.Minute
	keepaliveTimeout  = 20 * time.Second
	minKeepalive      = 10 * time.Second
)

// NewGRPC returns a gRPC server with s registered behind the interceptor
// chain: metrics, the call log, the decoding check, authentication, then
// panic recovery, so that a rejected call is still logged and counted, and
// a recovered panic is logged and counted as the INTERNAL it becomes.
// Admission (the in-flight limit and the default deadline) runs before
// the chain, on the call's headers; a stats handler logs and counts the
// calls that fail before the chain.
//
// The call log is ours rather than go-grpc-middleware's logging
// interceptor: that one assembles its fields before knowing whether the
// line will be written, which cost a fifth of the throughput of Classify
// under load at the default info level, where successful calls log nothing.
func NewGRPC(s *Server, cfg GRPCConfig) (_ *grpc.Server, err error) {
	limits := s.Limits()
	if cfg.MaxRecvBytes <= 0 {
		cfg.MaxRecvBytes = int(max(limits.MaxDocumentBytes, limits.MaxBatchSize*(limits.MaxTextBytes+16))) + 1<<20
	}
	if cfg.MaxConcurrentStreams == 0 {
		cfg.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	if cfg.MaxHeaderListBytes == 0 {
		cfg.MaxHeaderListBytes = DefaultMaxHeaderListBytes
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = DefaultMaxInflight
	}
	if cfg.ConnectionTimeout <= 0 {
		cfg.ConnectionTimeout = DefaultConnectionTimeout
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 30 * time.Second
	}
	panics := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "stance_panics_recovered_total",
		Help: "Panics in handlers recovered into INTERNAL.",
	})
	recoverOpt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		panics.Inc()
		s.log.ErrorContext(ctx, "panic in handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	})
	adm := &admission{slots: make(chan struct{}, cfg.MaxInflight), defaultTimeout: cfg.DefaultTimeout, unary: map[string]bool{}, log: s.log}
	s.calls = &callStats{log: s.log}
	codec := newRecordingCodec()
	var unary []grpc.UnaryServerInterceptor
	var stream []grpc.StreamServerInterceptor
	var metrics *grpcprom.ServerMetrics
	if cfg.Registerer != nil {
		metrics = grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
		adm.shed = prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stance_calls_shed_total",
			Help: "Classification calls refused with RESOURCE_EXHAUSTED because --max-inflight calls were in progress.",
		})
		s.calls.early = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stance_calls_failed_early_total",
			Help: "Calls that failed before reaching the service (message over the size limit, bad compression), by code.",
		}, []string{"grpc_code"})
		for _, c := range []prometheus.Collector{metrics, panics, adm.shed, s.calls.early} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
		if s.metrics, err = newMetrics(cfg.Registerer, s.models); err != nil {
			return nil, err
		}
		unary = append(unary, metrics.UnaryServerInterceptor())
		stream = append(stream, metrics.StreamServerInterceptor())
	}
	// The decoding check precedes authentication: the bytes of a call that
	// does not decode are refused as such, token or not.
	unary = append(unary, logUnary(s.log), codec.unary())
	stream = append(stream, logStream(s.log), codec.stream(), s.endWatches())
	if cfg.Auth != nil {
		unary = append(unary, cfg.Auth.Unary())
		stream = append(stream, cfg.Auth.Stream())
	}
	unary = append(unary, recovery.UnaryServerInterceptor(recoverOpt))
	stream = append(stream, recovery.StreamServerInterceptor(recoverOpt))
	opts := append([]grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxRecvBytes),
		grpc.MaxConcurrentStreams(cfg.MaxConcurrentStreams),
		grpc.MaxHeaderListSize(cfg.MaxHeaderListBytes),
		grpc.ConnectionTimeout(cfg.ConnectionTimeout),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: maxConnectionIdle, Time: keepaliveTime, Timeout: keepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: minKeepalive, PermitWithoutStream: true}),
		grpc.InTapHandle(adm.tap),
		grpc.StatsHandler(s.calls),
		grpc.ForceServerCodecV2(codec),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, cfg.Options...)
	g := grpc.NewServer(opts...)
	s.Register(g)
	for name, info := range g.GetServiceInfo() {
		for _, m := range info.Methods {
			if !m.IsClientStream && !m.IsServerStream {
				adm.unary["/"+name+"/"+m.Name] = true
			}
		}
	}
	if metrics != nil {
		metrics.InitializeMetrics(g)
	}
	return g, nil
}

// levelOf maps a call's outcome to its log level: success and the
// caller's own mistakes at debug, server-side failures at error, the rest
// (deadlines, unavailability) at warn.
func levelOf(c codes.Code) slog.Level {
	switch c {
	case codes.OK, codes.InvalidArgument, codes.Canceled, codes.NotFound, codes.Unauthenticated:
		return slog.LevelDebug
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unimplemented:
		return slog.LevelError
	}
	return slog.LevelWarn
}

func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	code := status.Code(err)
	if lvl := levelOf(code); log.Enabled(ctx, lvl) {
		attrs := []slog.Attr{slog.String("method", method), slog.String("code", code.String()), slog.Duration("duration", time.Since(start))}
		if err != nil {
			attrs = append(attrs, slog.String("error", status.Convert(err).Message()))
		}
		log.LogAttrs(ctx, lvl, "call", attrs...)
	}
}

func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		start := time.Now()
		markSeen(ctx)
		resp, err := h(ctx, req)
		logCall(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func logStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		start := time.Now()
		markSeen(ss.Context())
		err := h(srv, ss)
		logged := err
		if info.FullMethod == healthWatch && (status.Code(err) == codes.Canceled || status.Code(err) == codes.Unavailable) {
			// A watch ends when its client goes or the server drains:
			// the normal end of a stream that is idle by design.
			logged = nil
		}
		logCall(ss.Context(), log, info.FullMethod, start, logged)
		return err
	}
}
