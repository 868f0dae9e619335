package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// GRPCConfig configures NewGRPC. Zero values take the defaults.
type GRPCConfig struct {
	// MaxRecvBytes bounds a request message; default: room for the largest
	// document or the largest full batch, plus 1 MiB.
	MaxRecvBytes int
	// MaxConcurrentStreams bounds the streams of one connection; default 1,000.
	MaxConcurrentStreams uint32
	// DefaultTimeout bounds unary calls that carry no deadline; default 30s.
	DefaultTimeout time.Duration
	// Registerer receives the call and prediction metrics; nil disables them.
	Registerer prometheus.Registerer
	// Options are added last (credentials, extra interceptors).
	Options []grpc.ServerOption
}

// NewGRPC returns a gRPC server with s registered behind the interceptor
// chain: metrics, then the call log, then panic recovery, so that a
// recovered panic is logged and counted as the INTERNAL it becomes.
func NewGRPC(s *Server, cfg GRPCConfig) (*grpc.Server, error) {
	limits := s.Limits()
	if cfg.MaxRecvBytes <= 0 {
		cfg.MaxRecvBytes = int(max(limits.MaxDocumentBytes, limits.MaxBatchSize*(limits.MaxTextBytes+16))) + 1<<20
	}
	if cfg.MaxConcurrentStreams == 0 {
		cfg.MaxConcurrentStreams = 1000
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = 30 * time.Second
	}
	log := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		s.log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithLevels(func(c codes.Code) logging.Level {
			switch c {
			case codes.OK, codes.InvalidArgument, codes.Canceled, codes.NotFound, codes.Unauthenticated:
				return logging.LevelDebug
			case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unimplemented:
				return logging.LevelError
			}
			return logging.LevelWarn
		}),
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
	var unary []grpc.UnaryServerInterceptor
	var stream []grpc.StreamServerInterceptor
	var metrics *grpcprom.ServerMetrics
	if cfg.Registerer != nil {
		metrics = grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
		for _, c := range []prometheus.Collector{metrics, panics} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
		unary = append(unary, metrics.UnaryServerInterceptor())
		stream = append(stream, metrics.StreamServerInterceptor())
	}
	unary = append(unary,
		logging.UnaryServerInterceptor(log, logOpts...),
		callTimeout(cfg.DefaultTimeout),
		recovery.UnaryServerInterceptor(recoverOpt))
	stream = append(stream,
		logging.StreamServerInterceptor(log, logOpts...),
		recovery.StreamServerInterceptor(recoverOpt))
	opts := append([]grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxRecvBytes),
		grpc.MaxConcurrentStreams(cfg.MaxConcurrentStreams),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, cfg.Options...)
	g := grpc.NewServer(opts...)
	s.Register(g)
	if metrics != nil {
		metrics.InitializeMetrics(g)
	}
	return g, nil
}
