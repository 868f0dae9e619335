// Package client is the Go client of the stance service. It wraps the
// generated stub in plain Go types, maps status codes back to domain errors,
// and implements stance.Classifier, so that evaluation and the CLI run the
// same code against a server or a local model.
package client

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking for healthCheckConfig
	"google.golang.org/grpc/status"

	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
)

// DefaultServiceConfig balances calls round-robin over every address the
// target resolves to, skips backends whose readiness (the health of
// stance.v1.StanceService) is not SERVING — a server still loading or
// draining — and retries calls that fail with UNAVAILABLE up to four times
// with backoff. Classification is idempotent, so a retry never doubles an
// effect.
const DefaultServiceConfig = `{
  "loadBalancingConfig": [{"round_robin": {}}],
  "healthCheckConfig": {"serviceName": "stance.v1.StanceService"},
  "methodConfig": [{
    "name": [{"service": "stance.v1.StanceService"}],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

// DefaultBatchSize is how many texts Classify sends per ClassifyBatch call.
const DefaultBatchSize = 256

type options struct {
	model     string
	token     string
	tls       *tls.Config
	dial      []grpc.DialOption
	batchSize int
}

// Option configures New.
type Option func(*options)

// ReadToken returns the bearer token in file, trimmed of surrounding
// space, or the environment variable STANCE_TOKEN when file is "".
func ReadToken(file string) (string, error) {
	if file == "" {
		return os.Getenv("STANCE_TOKEN"), nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(raw)), nil
}

// WithModel sends requests that name no model to the served model name
// instead of the server's default, and describes that model in Info.
func WithModel(name string) Option { return func(o *options) { o.model = name } }

// WithTLS connects over TLS with cfg (which may carry client certificates
// for mutual TLS). Without it the connection is plaintext.
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithToken sends "authorization: Bearer token" with every call. Send
// tokens over TLS: on a plaintext connection anyone on the path reads them.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// bearer is a per-call credential. It does not insist on TLS, so that a
// sidecar that terminates TLS on loopback can still pass it on.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// WithDialOptions adds gRPC dial options (interceptors, credentials, a
// custom dialer for tests).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// WithBatchSize sets how many texts Classify sends per call.
func WithBatchSize(n int) Option { return func(o *options) { o.batchSize = n } }

// Client talks to a stance server. It is safe for concurrent use.
type Client struct {
	model     string
	conn      *grpc.ClientConn
	stub      stancev1.StanceServiceClient
	batchSize int
}

var _ stance.DocumentClassifier = (*Client)(nil)

// New returns a client for target, a gRPC target such as "localhost:50051"
// or "dns:///stance.internal:50051". It does not connect until first use.
func New(target string, opts ...Option) (*Client, error) {
	o := options{batchSize: DefaultBatchSize}
	for _, opt := range opts {
		opt(&o)
	}
	creds := insecure.NewCredentials()
	if o.tls != nil {
		creds = credentials.NewTLS(o.tls)
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(DefaultServiceConfig),
	}
	if o.token != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer(o.token)))
	}
	dial = append(dial, o.dial...)
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, fmt.Errorf("client %s: %w", target, err)
	}
	return &Client{model: o.model, conn: conn, stub: stancev1.NewStanceServiceClient(conn), batchSize: max(1, o.batchSize)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Conn returns the underlying connection, for health checks.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// fromStatus maps a gRPC error back to a domain error: the one place where
// codes become stance error codes.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	return codeError(st.Code(), st.Message())
}

func codeError(code codes.Code, msg string) error {
	switch code {
	case codes.InvalidArgument:
		return stance.Errorf(stance.EInvalid, "%s", msg)
	case codes.Unavailable:
		return stance.Errorf(stance.EUnavailable, "%s", msg)
	case codes.NotFound:
		return stance.Errorf(stance.ENotFound, "%s", msg)
	case codes.Canceled:
		return fmt.Errorf("%s: %w", msg, context.Canceled)
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %w", msg, context.DeadlineExceeded)
	}
	// Other codes (UNAUTHENTICATED, PERMISSION_DENIED, INTERNAL, ...) stay
	// gRPC statuses, so that status.Code tells them apart.
	return status.Error(code, msg)
}

// ClassifyOne classifies one text with the Classify RPC.
func (c *Client) ClassifyOne(ctx context.Context, r stance.Request) (stance.Result, error) {
	resp, err := c.stub.Classify(ctx, c.toProtoRequest(r))
	if err != nil {
		return stance.Result{}, fromStatus(err)
	}
	return fromProtoResult(resp.GetResult()), nil
}

// Classify classifies reqs with ClassifyBatch, in chunks of the batch size.
func (c *Client) Classify(ctx context.Context, reqs []stance.Request) ([]stance.Result, error) {
	out := make([]stance.Result, 0, len(reqs))
	for start := 0; start < len(reqs); start += c.batchSize {
		chunk := reqs[start:min(start+c.batchSize, len(reqs))]
		in := &stancev1.ClassifyBatchRequest{Requests: make([]*stancev1.ClassifyRequest, len(chunk))}
		for i, r := range chunk {
			in.Requests[i] = c.toProtoRequest(r)
		}
		resp, err := c.stub.ClassifyBatch(ctx, in)
		if err != nil {
			return nil, fromStatus(err)
		}
		if len(resp.GetItems()) != len(chunk) {
			return nil, fmt.Errorf("server answered %d items for %d requests", len(resp.GetItems()), len(chunk))
		}
		for _, it := range resp.GetItems() {
			out = append(out, fromProtoItem(it))
		}
	}
	return out, nil
}

func fromProtoItem(it *stancev1.BatchItem) stance.Result {
	if code := codes.Code(it.GetStatus().GetCode()); code != codes.OK {
		return stance.Result{Err: codeError(code, it.GetStatus().GetMessage())}
	}
	return fromProtoResult(it.GetResult())
}

// Stream opens a ClassifyStream: send requests with Send, read results in
// order with Recv, and call CloseSend when done.
func (c *Client) Stream(ctx context.Context) (*Stream, error) {
	s, err := c.stub.ClassifyStream(ctx)
	if err != nil {
		return nil, fromStatus(err)
	}
	return &Stream{c: c, s: s}, nil
}

// Stream is an open ClassifyStream.
type Stream struct {
	c *Client
	s grpc.BidiStreamingClient[stancev1.ClassifyStreamRequest, stancev1.ClassifyStreamResponse]
}

// Send sends one request.
func (s *Stream) Send(r stance.Request) error {
	return fromStatus(s.s.Send(&stancev1.ClassifyStreamRequest{Request: s.c.toProtoRequest(r)}))
}

// CloseSend says no more requests follow.
func (s *Stream) CloseSend() error { return s.s.CloseSend() }

// Recv returns the next result; a bad item comes back with Result.Err set.
// It returns io.EOF after the last result.
func (s *Stream) Recv() (stance.Result, error) {
	resp, err := s.s.Recv()
	if err != nil {
		var se interface{ GRPCStatus() *status.Status }
		if errors.As(err, &se) {
			return stance.Result{}, fromStatus(err)
		}
		return stance.Result{}, err
	}
	return fromProtoItem(resp.GetItem()), nil
}

// ClassifyDocument splits and classifies a document; offsets of the result
// are UTF-8 bytes.
func (c *Client) ClassifyDocument(ctx context.Context, req stance.DocumentRequest) (stance.Document, error) {
	resp, err := c.stub.ClassifyDocument(ctx, &stancev1.ClassifyDocumentRequest{
		Text: req.Text, Target: req.Target, Explain: req.Explain, Model: cmp.Or(req.Model, c.model),
		EncodingType: stancev1.EncodingType_ENCODING_TYPE_UTF8,
	})
	if err != nil {
		return stance.Document{}, fromStatus(err)
	}
	doc := stance.Document{
		ModelVersion: resp.GetModelVersion(),
		Abstained:    int(resp.GetSummary().GetAbstainedCount()),
		Unsupported:  int(resp.GetSummary().GetUnsupportedCount()),
	}
	for _, s := range resp.GetSentences() {
		doc.Sentences = append(doc.Sentences, stance.Sentence{
			Text: s.GetText(), Start: int(s.GetBeginOffset()), End: int(s.GetEndOffset()), Result: fromProtoResult(s.GetResult()),
		})
	}
	for _, l := range resp.GetSummary().GetLabels() {
		doc.Labels = append(doc.Labels, stance.LabelShare{Label: l.GetLabel(), Sentences: int(l.GetSentenceCount()), Share: l.GetShare()})
	}
	return doc, nil
}

// Info describes the server's default model, or the one of WithModel.
func (c *Client) Info(ctx context.Context) (stance.ModelInfo, error) {
	return c.ModelInfo(ctx, c.model)
}

// ModelInfo describes the named served model; "" is the default.
func (c *Client) ModelInfo(ctx context.Context, name string) (stance.ModelInfo, error) {
	resp, err := c.stub.GetModelInfo(ctx, &stancev1.GetModelInfoRequest{Model: name})
	if err != nil {
		return stance.ModelInfo{}, fromStatus(err)
	}
	return fromProtoInfo(resp.GetModel()), nil
}

// List describes the served models, the default first.
func (c *Client) List(ctx context.Context) ([]stance.ServedModel, error) {
	resp, err := c.stub.ListModels(ctx, &stancev1.ListModelsRequest{})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]stance.ServedModel, len(resp.GetModels()))
	for i, m := range resp.GetModels() {
		out[i] = stance.ServedModel{Name: m.GetName(), Default: m.GetIsDefault(), Info: fromProtoInfo(m.GetInfo())}
	}
	return out, nil
}

func fromProtoInfo(m *stancev1.ModelInfo) stance.ModelInfo {
	info := stance.ModelInfo{
		Name: m.GetName(), Version: m.GetVersion(), ExclusiveLabel: m.GetExclusiveLabel(), MultiLabel: m.GetMultiLabel(),
		Targets: m.GetTargets(), Languages: m.GetLanguages(), Created: m.GetCreated(),
	}
	for _, l := range m.GetLabels() {
		info.Labels = append(info.Labels, stance.LabelInfo{Name: l.GetName(), Description: l.GetDescription(), Threshold: l.GetThreshold()})
	}
	if len(m.GetMetrics()) > 0 {
		info.Metrics = map[string]map[string]float64{}
		for k, v := range m.GetMetrics() {
			info.Metrics[k] = v.GetValues()
		}
	}
	return info
}

// Limits returns the server's input limits.
func (c *Client) Limits(ctx context.Context) (*stancev1.Limits, error) {
	resp, err := c.stub.GetModelInfo(ctx, &stancev1.GetModelInfoRequest{})
	if err != nil {
		return nil, fromStatus(err)
	}
	return resp.GetLimits(), nil
}

func (c *Client) toProtoRequest(r stance.Request) *stancev1.ClassifyRequest {
	return &stancev1.ClassifyRequest{Text: r.Text, Target: r.Target, Explain: r.Explain, Model: cmp.Or(r.Model, c.model)}
}

func fromProtoResult(r *stancev1.ClassifyResult) stance.Result {
	out := stance.Result{
		Labels:             r.GetLabels(),
		Top:                r.GetTopLabel(),
		Abstained:          r.GetAbstained(),
		Unsupported:        r.GetUnsupportedLanguage(),
		Language:           r.GetLanguage(),
		LanguageConfidence: r.GetLanguageConfidence(),
		ModelVersion:       r.GetModelVersion(),
	}
	for _, s := range r.GetScores() {
		out.Scores = append(out.Scores, stance.Score{Label: s.GetLabel(), Score: s.GetScore()})
	}
	for _, e := range r.GetExplanations() {
		ex := stance.Explanation{Label: e.GetLabel(), Bias: e.GetBias()}
		for _, c := range e.GetContributions() {
			ex.Contributions = append(ex.Contributions, stance.Contribution{Feature: c.GetFeature(), Weight: c.GetWeight()})
		}
		out.Explanations = append(out.Explanations, ex)
	}
	return out
}
