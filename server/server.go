package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/apiconv"
)

// ServiceName is the health-check name that answers readiness.
const ServiceName = "stance.v1.StanceService"

// Config configures a Server. Zero values take the defaults.
type Config struct {
	// MaxBatchSize bounds the requests of one ClassifyBatch; default 1,000.
	MaxBatchSize int
	// Logger receives the call log and errors; default slog.Default().
	Logger *slog.Logger
}

// DefaultMaxBatchSize is the default of Config.MaxBatchSize.
const DefaultMaxBatchSize = 1000

// Server implements stance.v1.StanceService over the models it serves.
type Server struct {
	stancev1.UnimplementedStanceServiceServer
	models stance.Models
	// defaultName is the served name of the default model, the metrics'
	// model label of requests that name none.
	defaultName string
	cfg         Config
	log         *slog.Logger
	health      *health.Server
	// metrics is set by NewGRPC when it has a registerer, before serving.
	metrics *metrics
	// calls is set by NewGRPC: the calls in flight and finished.
	calls *callStats
	// watchesEnd is closed by EndWatches.
	watchesEnd     chan struct{}
	endWatchesOnce sync.Once
}

var _ stancev1.StanceServiceServer = (*Server)(nil)

// New returns a Server over models. Readiness starts NOT_SERVING; call
// SetReady once the server listens.
func New(models stance.Models, cfg Config) (*Server, error) {
	if cfg.MaxBatchSize <= 0 {
		cfg.MaxBatchSize = DefaultMaxBatchSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	served, err := models.List(context.Background())
	if err != nil {
		return nil, err
	}
	if len(served) == 0 {
		return nil, errors.New("server: no model to serve")
	}
	s := &Server{models: models, defaultName: served[0].Name, cfg: cfg, log: cfg.Logger, health: health.NewServer(), watchesEnd: make(chan struct{})}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
	return s, nil
}

// Register adds the stance service, health and reflection to g.
func (s *Server) Register(g *grpc.Server) {
	stancev1.RegisterStanceServiceServer(g, s)
	healthpb.RegisterHealthServer(g, s.health)
	reflection.Register(g)
}

// SetReady flips readiness (the health of ServiceName).
func (s *Server) SetReady(ready bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ready {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus(ServiceName, st)
}

// Shutdown marks every service NOT_SERVING, so that health watchers and
// load balancers move away before the listener closes.
func (s *Server) Shutdown() { s.health.Shutdown() }

// EndWatches ends the open health Watch streams with UNAVAILABLE, and any
// opened later at once: they are idle by design and would otherwise hold
// a graceful stop up until its grace period ends. Call it after Shutdown,
// once watchers have seen NOT_SERVING.
func (s *Server) EndWatches() { s.endWatchesOnce.Do(func() { close(s.watchesEnd) }) }

func (s *Server) endWatches() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if info.FullMethod != healthWatch {
			return h(srv, ss)
		}
		ctx, cancel := context.WithCancel(ss.Context())
		defer cancel()
		go func() {
			select {
			case <-s.watchesEnd:
				cancel()
			case <-ctx.Done():
			}
		}()
		err := h(srv, &ctxStream{ServerStream: ss, ctx: ctx})
		if ss.Context().Err() == nil && ctx.Err() != nil {
			return status.Error(codes.Unavailable, "server is shutting down")
		}
		return err
	}
}

// ctxStream is a server stream with a context of its own.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

// Calls reports the calls in progress and the calls finished since the
// server started; zero before NewGRPC.
func (s *Server) Calls() (active, finished int64) {
	if s.calls == nil {
		return 0, 0
	}
	return s.calls.active.Load(), s.calls.finished.Load()
}

// Limits returns the server's input limits.
func (s *Server) Limits() *stancev1.Limits {
	l := s.models.Limits()
	return &stancev1.Limits{
		MaxTextBytes:         int64(l.MaxTextBytes),
		MaxBatchSize:         int64(s.cfg.MaxBatchSize),
		MaxDocumentBytes:     int64(l.MaxDocumentBytes),
		MaxDocumentSentences: int64(l.MaxDocumentSentences),
	}
}

// modelLabel is the metrics' name of the model a request names.
func (s *Server) modelLabel(name string) string {
	if name == "" {
		return s.defaultName
	}
	return name
}

// Classify implements StanceService.
func (s *Server) Classify(ctx context.Context, req *stancev1.ClassifyRequest) (*stancev1.ClassifyResponse, error) {
	res, err := s.models.Classify(ctx, []stance.Request{fromProtoRequest(req)})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		return nil, toStatus(ctx, s.log, err).Err()
	}
	s.metrics.predicted(s.modelLabel(req.GetModel()), res[0])
	return &stancev1.ClassifyResponse{Result: apiconv.Result(res[0])}, nil
}

// ClassifyBatch implements StanceService.
func (s *Server) ClassifyBatch(ctx context.Context, req *stancev1.ClassifyBatchRequest) (*stancev1.ClassifyBatchResponse, error) {
	n := len(req.GetRequests())
	if n == 0 {
		return nil, status.Error(codes.InvalidArgument, "requests is empty")
	}
	if n > s.cfg.MaxBatchSize {
		return nil, status.Errorf(codes.InvalidArgument, "batch has %d requests; the limit is %d (--max-batch-size)", n, s.cfg.MaxBatchSize)
	}
	reqs := make([]stance.Request, n)
	for i, r := range req.GetRequests() {
		reqs[i] = fromProtoRequest(r)
	}
	results, err := s.models.Classify(ctx, reqs)
	if err != nil {
		return nil, toStatus(ctx, s.log, err).Err()
	}
	out := &stancev1.ClassifyBatchResponse{Items: make([]*stancev1.BatchItem, n)}
	for i, r := range results {
		out.Items[i] = s.item(ctx, int64(i), reqs[i].Model, r, nil)
	}
	return out, nil
}

// item builds a batch or stream item from a result or an error.
func (s *Server) item(ctx context.Context, index int64, model string, r stance.Result, err error) *stancev1.BatchItem {
	if err == nil {
		err = r.Err
	}
	if err != nil {
		st := toStatus(ctx, s.log, err)
		return &stancev1.BatchItem{Index: index, Status: &stancev1.ItemStatus{Code: int32(st.Code()), Message: st.Message()}}
	}
	s.metrics.predicted(s.modelLabel(model), r)
	return &stancev1.BatchItem{Index: index, Status: &stancev1.ItemStatus{}, Result: apiconv.Result(r)}
}

// ClassifyStream implements StanceService.
func (s *Server) ClassifyStream(stream grpc.BidiStreamingServer[stancev1.ClassifyStreamRequest, stancev1.ClassifyStreamResponse]) error {
	ctx := stream.Context()
	one := make([]stance.Request, 1)
	for i := int64(0); ; i++ {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		one[0] = fromProtoRequest(req.GetRequest())
		var res stance.Result
		results, err := s.models.Classify(ctx, one)
		if err == nil {
			res = results[0]
		}
		if err := stream.Send(&stancev1.ClassifyStreamResponse{Item: s.item(ctx, i, one[0].Model, res, err)}); err != nil {
			return err
		}
	}
}

// ClassifyDocument implements StanceService.
func (s *Server) ClassifyDocument(ctx context.Context, req *stancev1.ClassifyDocumentRequest) (*stancev1.ClassifyDocumentResponse, error) {
	unit := req.GetEncodingType()
	if _, ok := stancev1.EncodingType_name[int32(unit)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "encoding_type %d is not one of %s", unit, strings.Join(encodingNames(), ", "))
	}
	if unit == stancev1.EncodingType_ENCODING_TYPE_UNSPECIFIED {
		unit = stancev1.EncodingType_ENCODING_TYPE_UTF8
	}
	doc, err := s.models.ClassifyDocument(ctx, stance.DocumentRequest{Text: req.GetText(), Target: req.GetTarget(), Explain: req.GetExplain(), Model: req.GetModel()})
	if err != nil {
		return nil, toStatus(ctx, s.log, err).Err()
	}
	model := s.modelLabel(req.GetModel())
	for _, sent := range doc.Sentences {
		s.metrics.predicted(model, sent.Result)
	}
	return apiconv.Document(doc, req.GetText(), unit), nil
}

func encodingNames() []string {
	var names []string
	for i := range int32(len(stancev1.EncodingType_name)) {
		names = append(names, stancev1.EncodingType_name[i])
	}
	return names
}

// GetModelInfo implements StanceService.
func (s *Server) GetModelInfo(ctx context.Context, req *stancev1.GetModelInfoRequest) (*stancev1.GetModelInfoResponse, error) {
	info, err := s.models.ModelInfo(ctx, req.GetModel())
	if err != nil {
		return nil, toStatus(ctx, s.log, err).Err()
	}
	return &stancev1.GetModelInfoResponse{Model: apiconv.Info(info), Limits: s.Limits()}, nil
}

// ListModels implements StanceService.
func (s *Server) ListModels(ctx context.Context, _ *stancev1.ListModelsRequest) (*stancev1.ListModelsResponse, error) {
	served, err := s.models.List(ctx)
	if err != nil {
		return nil, toStatus(ctx, s.log, err).Err()
	}
	out := &stancev1.ListModelsResponse{Models: make([]*stancev1.ServedModel, len(served))}
	for i, m := range served {
		out.Models[i] = &stancev1.ServedModel{Name: m.Name, IsDefault: m.Default, Info: apiconv.Info(m.Info)}
	}
	return out, nil
}

// Drain stops g, which serves s: readiness turns NOT_SERVING at once,
// calls are still served for delay so that balancers polling readiness
// see the flip (cut short when hurry closes; nil never closes), then
// health watches end and calls in flight get the grace period, after
// which they are cut.
func (s *Server) Drain(g *grpc.Server, delay, grace time.Duration, hurry <-chan struct{}) {
	log := s.log
	start := time.Now()
	s.Shutdown()
	_, before := s.Calls()
	log.Info("draining", "delay", delay, "grace", grace)
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-hurry:
			t.Stop()
			log.Info("drain delay skipped")
		}
	}
	s.EndWatches()
	done := make(chan struct{})
	go func() { g.GracefulStop(); close(done) }()
	var cut int64
	select {
	case <-done:
	case <-time.After(grace):
		cut, _ = s.Calls()
		log.Warn("grace period over; closing remaining calls", "calls", cut)
		g.Stop()
	}
	_, after := s.Calls()
	log.Info("drained", "calls_finished", after-before-cut, "calls_cut", cut, "took", time.Since(start).Round(time.Millisecond))
}
