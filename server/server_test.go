package server_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/stanceproject/stance/engine"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/syncbuf"
	"github.com/stanceproject/stance/internal/testmodel"
	"github.com/stanceproject/stance/internal/testutil"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
	"github.com/stanceproject/stance/server"
)

// The limits every test server runs with: small, so that the limit checks
// are cheap to reach.
var testLimits = &stancev1.Limits{
	MaxTextBytes:         300,
	MaxBatchSize:         4,
	MaxDocumentBytes:     1000,
	MaxDocumentSentences: 6,
}

const maxContributions = 5

// rpcTimeout bounds every test RPC.
const rpcTimeout = testutil.RPCTimeout

// Texts the synthetic model classifies with confidence.
const (
	multipolarText = testmodel.MultipolarText
	unilateralText = testmodel.UnilateralText
	neutralText    = testmodel.NeutralText
)

// Models are immutable and safe for concurrent use, so each is trained once
// per test binary.
var (
	plainModelOnce = sync.OnceValues(func() (*linear.Model, error) {
		return testmodel.Train("synthetic", testmodel.Examples(), testmodel.Labels)
	})
	targetModelOnce = sync.OnceValues(func() (*linear.Model, error) {
		return testmodel.Train("synthetic-targets", testmodel.TargetExamples(), nil)
	})
)

func plainModel(t *testing.T) *linear.Model {
	t.Helper()
	m, err := plainModelOnce()
	if err != nil {
		t.Fatalf("train synthetic model: %v", err)
	}
	return m
}

func targetModel(t *testing.T) *linear.Model {
	t.Helper()
	m, err := targetModelOnce()
	if err != nil {
		t.Fatalf("train target model: %v", err)
	}
	return m
}

// testEnv is a server on an in-memory listener with a client connection.
type testEnv struct {
	srv   *server.Server
	conn  *grpc.ClientConn
	stub  stancev1.StanceServiceClient
	reg   *prometheus.Registry
	model *linear.Model
}

type envOptions struct {
	log  io.Writer
	opts []grpc.ServerOption
	// grpc adjusts the server's configuration.
	grpc func(*server.GRPCConfig)
	// beside are served beside the default model, each under its name.
	beside []*linear.Model
}

// newEnv serves m over bufconn with the test limits; the teardown is
// registered with t.Cleanup.
func newEnv(t *testing.T, m *linear.Model, o envOptions) *testEnv {
	t.Helper()
	reg := testutil.Registry(t, engine.Config{
		MaxTextBytes:         int(testLimits.MaxTextBytes),
		MaxDocumentBytes:     int(testLimits.MaxDocumentBytes),
		MaxDocumentSentences: int(testLimits.MaxDocumentSentences),
		MaxContributions:     maxContributions,
	}, append([]*linear.Model{m}, o.beside...)...)
	logOut := o.log
	if logOut == nil {
		logOut = io.Discard
	}
	prom := prometheus.NewRegistry()
	gcfg := server.GRPCConfig{Registerer: prom, Options: o.opts}
	if o.grpc != nil {
		o.grpc(&gcfg)
	}
	s := testutil.Serve(t, reg, server.Config{
		MaxBatchSize: int(testLimits.MaxBatchSize),
		Logger:       slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, gcfg)
	return &testEnv{srv: s.Server, conn: s.Conn, stub: stancev1.NewStanceServiceClient(s.Conn), reg: prom, model: m}
}

var rpcContext = testutil.RPCContext

// wantStatus checks that err is a status with code and a message holding
// every substring of msgs.
func wantStatus(t *testing.T, err error, code codes.Code, msgs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	st, ok := status.FromError(err)
	if !ok {
		t.Fatalf("got non-status error %v, want %s", err, code)
	}
	if st.Code() != code {
		t.Errorf("got code %s (%q), want %s", st.Code(), st.Message(), code)
	}
	for _, m := range msgs {
		if !strings.Contains(st.Message(), m) {
			t.Errorf("got message %q, want it to contain %q", st.Message(), m)
		}
	}
}

// checkResult checks the invariants of a classification of English text
// by m.
func checkResult(t *testing.T, m *linear.Model, r *stancev1.ClassifyResult) {
	t.Helper()
	testutil.CheckResult(t, m.Labels(), m.ManifestRef().Version, r)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestClassify(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	tests := []struct {
		name      string
		text      string
		wantLabel string
	}{
		{"multipolar", multipolarText, "pro_multipolarity"},
		{"unilateral", unilateralText, "anti_unilateralism"},
		{"neutral", neutralText, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: tt.text})
			if err != nil {
				t.Fatalf("Classify: %v", err)
			}
			r := resp.GetResult()
			checkResult(t, env.model, r)
			if !slices.Contains(r.GetLabels(), tt.wantLabel) {
				t.Errorf("labels = %q, want them to include %s", r.GetLabels(), tt.wantLabel)
			}
			if len(r.GetExplanations()) != 0 {
				t.Errorf("got %d explanations without explain", len(r.GetExplanations()))
			}
		})
	}
}

func TestClassifyExplain(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText, Explain: true})
	if err != nil {
		t.Fatalf("Classify: %v", err)
	}
	r := resp.GetResult()
	checkResult(t, env.model, r)
	if len(r.GetLabels()) == 0 {
		t.Fatalf("no labels predicted for %q", multipolarText)
	}

	// The explanations are the model's own, cut to the configured number
	// of contributions, one per predicted label in label order.
	idx := make([]int, len(r.GetLabels()))
	for i, l := range r.GetLabels() {
		idx[i] = slices.Index(env.model.Labels(), l)
	}
	ex, err := env.model.Explain(multipolarText, "", idx)
	if err != nil {
		t.Fatalf("Explain: %v", err)
	}
	var want []*stancev1.LabelExplanation
	for _, e := range ex {
		pe := &stancev1.LabelExplanation{Label: e.Label, Bias: e.Bias}
		for _, c := range e.Contributions[:min(maxContributions, len(e.Contributions))] {
			pe.Contributions = append(pe.Contributions, &stancev1.FeatureContribution{Feature: c.Feature, Weight: c.Weight})
		}
		want = append(want, pe)
	}
	if diff := cmp.Diff(want, r.GetExplanations(), protocmp.Transform()); diff != "" {
		t.Errorf("explanations (-want +got):\n%s", diff)
	}
	for _, e := range r.GetExplanations() {
		if n := len(e.GetContributions()); n == 0 || n > maxContributions {
			t.Errorf("label %s has %d contributions, want 1 to %d", e.GetLabel(), n, maxContributions)
		}
		if !slices.IsSortedFunc(e.GetContributions(), func(a, b *stancev1.FeatureContribution) int {
			return cmpFloat(math.Abs(b.GetWeight()), math.Abs(a.GetWeight()))
		}) {
			t.Errorf("label %s: contributions are not strongest first", e.GetLabel())
		}
	}
}

func TestClassifyInvalid(t *testing.T) {
	t.Parallel()
	plain := newEnv(t, plainModel(t), envOptions{})
	targets := newEnv(t, targetModel(t), envOptions{})
	tests := []struct {
		name string
		env  *testEnv
		req  *stancev1.ClassifyRequest
		msgs []string
	}{
		{"empty", plain, &stancev1.ClassifyRequest{}, []string{"text is empty"}},
		{"whitespace only", plain, &stancev1.ClassifyRequest{Text: " \t\n\u00a0 "}, []string{"text is empty"}},
		{"zero-width, bidi and punctuation only", plain, &stancev1.ClassifyRequest{Text: "\u200b\u202e?!\u202c\u2026"}, []string{"text has no content"}},
		{"over max_text_bytes", plain, &stancev1.ClassifyRequest{Text: strings.Repeat("word ", 61)},
			[]string{"text is 305 bytes", "the limit is 300 bytes", "--max-text-bytes"}},
		{"target on a model without targets", plain, &stancev1.ClassifyRequest{Text: multipolarText, Target: "NATO"},
			[]string{`target "NATO"`, "takes no target"}},
		{"unknown target", targets, &stancev1.ClassifyRequest{Text: "The minister praised the bloc.", Target: "ASEAN"},
			[]string{`unknown target "ASEAN"`, `accepts: "BRICS", "NATO"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.env.stub.Classify(rpcContext(t), tt.req)
			wantStatus(t, err, codes.InvalidArgument, tt.msgs...)
			if resp != nil {
				t.Errorf("got response %v with the error", resp)
			}
		})
	}
}

// TestClassifyTarget checks that a target model classifies with each of
// its targets.
func TestClassifyTarget(t *testing.T) {
	t.Parallel()
	env := newEnv(t, targetModel(t), envOptions{})
	for _, target := range []string{"NATO", "BRICS"} {
		t.Run(target, func(t *testing.T) {
			resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{
				Text: "The government said that it strongly supports the bloc and wants it to grow.", Target: target,
			})
			if err != nil {
				t.Fatalf("Classify: %v", err)
			}
			checkResult(t, env.model, resp.GetResult())
		})
	}
}

// TestClassifyInvalidUTF8 calls the handler directly, as an in-process Go
// caller can: the service still names the bad byte for such a caller.
func TestClassifyInvalidUTF8(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	tests := []struct {
		name string
		call func(ctx context.Context) error
		msgs []string
	}{
		{"Classify", func(ctx context.Context) error {
			_, err := env.srv.Classify(ctx, &stancev1.ClassifyRequest{Text: "bad \xff byte"})
			return err
		}, []string{"text is not valid UTF-8", "0xff at offset 4"}},
		{"ClassifyDocument", func(ctx context.Context) error {
			_, err := env.srv.ClassifyDocument(ctx, &stancev1.ClassifyDocumentRequest{Text: "Fine. Bad \xc3("})
			return err
		}, []string{"document is not valid UTF-8", "0xc3 at offset 10"}},
		{"ClassifyBatch item", func(ctx context.Context) error {
			resp, err := env.srv.ClassifyBatch(ctx, &stancev1.ClassifyBatchRequest{Requests: []*stancev1.ClassifyRequest{{Text: "\x80"}}})
			if err != nil {
				return err
			}
			st := resp.GetItems()[0].GetStatus()
			return status.Error(codes.Code(st.GetCode()), st.GetMessage())
		}, []string{"text is not valid UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.call(rpcContext(t)), codes.InvalidArgument, tt.msgs...)
		})
	}
}

// TestClassifyInvalidUTF8OnTheWire sends invalid UTF-8 where the proto
// has a string. A conforming client refuses to encode it; bytes from one
// that does not (a BytesValue has the same wire form as a request whose
// field 1 is the text) fail proto3's UTF-8 check when the server decodes
// them, before the service runs, so the caller learns why and no result
// comes back: INVALID_ARGUMENT, like any request that does not decode.
func TestClassifyInvalidUTF8OnTheWire(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	_, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: "bad \xff byte"})
	wantStatus(t, err, codes.Internal, "marshal", "invalid UTF-8")

	for _, method := range []string{"Classify", "ClassifyDocument"} {
		raw := &wrapperspb.BytesValue{Value: []byte("Fine. Bad \xc3(")}
		err := env.conn.Invoke(rpcContext(t), "/stance.v1.StanceService/"+method, raw, &emptypb.Empty{})
		wantStatus(t, err, codes.InvalidArgument, "request is not a valid message", "invalid UTF-8")
	}
}

func TestClassifyUnsupportedLanguage(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	tests := []struct {
		lang, text string
	}{
		{"de", "Die Bundesregierung hat am Dienstag beschlossen, die Verhandlungen über das neue Handelsabkommen mit den Nachbarländern im kommenden Frühjahr fortzusetzen."},
		{"fr", "Le gouvernement a annoncé mardi que les négociations sur le nouvel accord commercial avec les pays voisins reprendraient au printemps prochain."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: tt.text})
			if err != nil {
				t.Fatalf("Classify: %v", err)
			}
			r := resp.GetResult()
			want := &stancev1.ClassifyResult{
				UnsupportedLanguage: true,
				Language:            tt.lang,
				LanguageConfidence:  r.GetLanguageConfidence(),
				ModelVersion:        env.model.ManifestRef().Version,
			}
			if diff := cmp.Diff(want, r, protocmp.Transform()); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if c := r.GetLanguageConfidence(); c < 0.9 || c > 1 {
				t.Errorf("language_confidence = %v, want it in [0.9, 1]", c)
			}
		})
	}
}

func TestClassifyBatch(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	texts := []string{multipolarText, "\u200b...", neutralText, strings.Repeat("x", 301)}
	req := &stancev1.ClassifyBatchRequest{}
	for _, tx := range texts {
		req.Requests = append(req.Requests, &stancev1.ClassifyRequest{Text: tx})
	}
	resp, err := env.stub.ClassifyBatch(rpcContext(t), req)
	if err != nil {
		t.Fatalf("ClassifyBatch: %v", err)
	}
	// Each good item must equal the unary result for the same text.
	unary := func(text string) *stancev1.ClassifyResult {
		r, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: text})
		if err != nil {
			t.Fatalf("Classify(%q): %v", text, err)
		}
		return r.GetResult()
	}
	want := &stancev1.ClassifyBatchResponse{Items: []*stancev1.BatchItem{
		{Index: 0, Status: &stancev1.ItemStatus{}, Result: unary(texts[0])},
		{Index: 1, Status: &stancev1.ItemStatus{Code: int32(codes.InvalidArgument), Message: "text has no content: no letter, digit or symbol, only punctuation, spaces or invisible characters"}},
		{Index: 2, Status: &stancev1.ItemStatus{}, Result: unary(texts[2])},
		{Index: 3, Status: &stancev1.ItemStatus{Code: int32(codes.InvalidArgument), Message: "text is 301 bytes; the limit is 300 bytes (--max-text-bytes)"}},
	}}
	if diff := cmp.Diff(want, resp, protocmp.Transform()); diff != "" {
		t.Errorf("ClassifyBatch (-want +got):\n%s", diff)
	}
}

func TestClassifyBatchInvalid(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	tests := []struct {
		name string
		n    int
		msgs []string
	}{
		{"empty", 0, []string{"requests is empty"}},
		{"over max_batch_size", 5, []string{"batch has 5 requests", "the limit is 4", "--max-batch-size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &stancev1.ClassifyBatchRequest{}
			for range tt.n {
				req.Requests = append(req.Requests, &stancev1.ClassifyRequest{Text: neutralText})
			}
			_, err := env.stub.ClassifyBatch(rpcContext(t), req)
			wantStatus(t, err, codes.InvalidArgument, tt.msgs...)
		})
	}
}

func TestClassifyStream(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	texts := []string{multipolarText, unilateralText, "   ", neutralText, multipolarText, "\u2066!?\u2069"}
	stream, err := env.stub.ClassifyStream(rpcContext(t))
	if err != nil {
		t.Fatalf("ClassifyStream: %v", err)
	}
	for _, tx := range texts {
		if err := stream.Send(&stancev1.ClassifyStreamRequest{Request: &stancev1.ClassifyRequest{Text: tx}}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	var got []*stancev1.BatchItem
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv after %d items: %v", len(got), err)
		}
		got = append(got, resp.GetItem())
	}
	if len(got) != len(texts) {
		t.Fatalf("got %d items, want %d", len(got), len(texts))
	}
	for i, it := range got {
		if it.GetIndex() != int64(i) {
			t.Errorf("item %d has index %d", i, it.GetIndex())
		}
		if msg, bad := map[int]string{2: "text is empty", 5: "text has no content: no letter, digit or symbol, only punctuation, spaces or invisible characters"}[i]; bad {
			want := &stancev1.ItemStatus{Code: int32(codes.InvalidArgument), Message: msg}
			if diff := cmp.Diff(want, it.GetStatus(), protocmp.Transform()); diff != "" {
				t.Errorf("item %d status (-want +got):\n%s", i, diff)
			}
			if it.GetResult() != nil {
				t.Errorf("item %d has a result with its error", i)
			}
			continue
		}
		if it.GetStatus().GetCode() != 0 {
			t.Errorf("item %d: status %v, want OK", i, it.GetStatus())
			continue
		}
		checkResult(t, env.model, it.GetResult())
	}
	// The same text gets the same result wherever it is in the stream.
	if diff := cmp.Diff(got[0].GetResult(), got[4].GetResult(), protocmp.Transform()); diff != "" {
		t.Errorf("items 0 and 4 (same text) differ (-0 +4):\n%s", diff)
	}
	if !slices.Contains(got[0].GetResult().GetLabels(), "pro_multipolarity") {
		t.Errorf("item 0 labels = %q, want pro_multipolarity among them", got[0].GetResult().GetLabels())
	}
}

// testDocument has four sentences with abbreviations, curly quotes and
// characters outside ASCII and outside the Basic Multilingual Plane, so
// that byte, UTF-16 and code-point offsets all differ.
var testDocument = "  The U.S. delegation met Mr. Erdoğan in Ankara on Monday, and the talks cost €2 million. " +
	"Ghana said that a multipolar world 🌍 is taking shape and that the Global South deserves a greater voice in global governance.\n" +
	"“We oppose unilateral sanctions and the hegemony of a single power,” the minister said. " +
	"The delegation from Ghana arrived in the capital on Monday and the talks will begin on Tuesday."

var testSentences = []string{
	"The U.S. delegation met Mr. Erdoğan in Ankara on Monday, and the talks cost €2 million.",
	"Ghana said that a multipolar world 🌍 is taking shape and that the Global South deserves a greater voice in global governance.",
	"“We oppose unilateral sanctions and the hegemony of a single power,” the minister said.",
	"The delegation from Ghana arrived in the capital on Monday and the talks will begin on Tuesday.",
}

// offsetIn converts a UTF-8 byte offset of text to unit.
func offsetIn(text string, byteOff int, unit stancev1.EncodingType) int64 {
	switch unit {
	case stancev1.EncodingType_ENCODING_TYPE_UTF16:
		return int64(len(utf16.Encode([]rune(text[:byteOff]))))
	case stancev1.EncodingType_ENCODING_TYPE_UTF32:
		return int64(utf8.RuneCountInString(text[:byteOff]))
	}
	return int64(byteOff)
}

func TestClassifyDocument(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	tests := []struct {
		name     string
		encoding stancev1.EncodingType
		want     stancev1.EncodingType
	}{
		{"unspecified", stancev1.EncodingType_ENCODING_TYPE_UNSPECIFIED, stancev1.EncodingType_ENCODING_TYPE_UTF8},
		{"utf8", stancev1.EncodingType_ENCODING_TYPE_UTF8, stancev1.EncodingType_ENCODING_TYPE_UTF8},
		{"utf16", stancev1.EncodingType_ENCODING_TYPE_UTF16, stancev1.EncodingType_ENCODING_TYPE_UTF16},
		{"utf32", stancev1.EncodingType_ENCODING_TYPE_UTF32, stancev1.EncodingType_ENCODING_TYPE_UTF32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := env.stub.ClassifyDocument(rpcContext(t), &stancev1.ClassifyDocumentRequest{Text: testDocument, EncodingType: tt.encoding})
			if err != nil {
				t.Fatalf("ClassifyDocument: %v", err)
			}
			if resp.GetEncodingType() != tt.want {
				t.Errorf("encoding_type = %s, want %s", resp.GetEncodingType(), tt.want)
			}
			if got, want := resp.GetModelVersion(), env.model.ManifestRef().Version; got != want {
				t.Errorf("model_version = %q, want %q", got, want)
			}
			var gotText []string
			for _, s := range resp.GetSentences() {
				gotText = append(gotText, s.GetText())
			}
			if diff := cmp.Diff(testSentences, gotText); diff != "" {
				t.Fatalf("sentences (-want +got):\n%s", diff)
			}
			for i, s := range resp.GetSentences() {
				begin := strings.Index(testDocument, testSentences[i])
				end := begin + len(testSentences[i])
				wantBegin, wantEnd := offsetIn(testDocument, begin, tt.want), offsetIn(testDocument, end, tt.want)
				if s.GetBeginOffset() != wantBegin || s.GetEndOffset() != wantEnd {
					t.Errorf("sentence %d offsets = [%d, %d), want [%d, %d)", i, s.GetBeginOffset(), s.GetEndOffset(), wantBegin, wantEnd)
				}
				if tt.want == stancev1.EncodingType_ENCODING_TYPE_UTF8 {
					if got := testDocument[s.GetBeginOffset():s.GetEndOffset()]; got != s.GetText() {
						t.Errorf("sentence %d: document[begin:end] = %q, want %q", i, got, s.GetText())
					}
				}
			}
			sents := resp.GetSentences()
			if !slices.Contains(sents[1].GetResult().GetLabels(), "pro_multipolarity") {
				t.Errorf("sentence 1 labels = %q, want pro_multipolarity among them", sents[1].GetResult().GetLabels())
			}
			for _, i := range []int{1, 3} { // sentences in plain English
				checkResult(t, env.model, sents[i].GetResult())
			}
			checkSummary(t, env.model, resp)
		})
	}
}

// checkSummary recomputes the document summary from the sentences.
func checkSummary(t *testing.T, m *linear.Model, resp *stancev1.ClassifyDocumentResponse) {
	t.Helper()
	want := &stancev1.DocumentSummary{SentenceCount: int64(len(resp.GetSentences()))}
	count := map[string]int64{}
	chars := map[string]int{}
	total := 0
	for _, s := range resp.GetSentences() {
		n := utf8.RuneCountInString(s.GetText())
		total += n
		r := s.GetResult()
		switch {
		case r.GetUnsupportedLanguage():
			want.UnsupportedCount++
		case r.GetAbstained():
			want.AbstainedCount++
		}
		for _, l := range r.GetLabels() {
			count[l]++
			chars[l] += n
		}
	}
	for _, l := range m.Labels() {
		want.Labels = append(want.Labels, &stancev1.LabelSummary{Label: l, SentenceCount: count[l], Share: float64(chars[l]) / float64(total)})
	}
	if diff := cmp.Diff(want, resp.GetSummary(), protocmp.Transform(), protocmp.SortRepeatedFields(&stancev1.DocumentSummary{}), cmpApprox()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, l := range resp.GetSummary().GetLabels() {
		if l.GetShare() < 0 || l.GetShare() > 1 {
			t.Errorf("share of %s = %v, want it in [0, 1]", l.GetLabel(), l.GetShare())
		}
	}
}

// cmpApprox compares float64 fields with a tolerance.
func cmpApprox() cmp.Option {
	return cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-9 })
}

func TestClassifyDocumentInvalid(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	tests := []struct {
		name string
		req  *stancev1.ClassifyDocumentRequest
		msgs []string
	}{
		{"empty", &stancev1.ClassifyDocumentRequest{Text: "\n \n"}, []string{"document is empty"}},
		{"no content", &stancev1.ClassifyDocumentRequest{Text: "\u200b... \u2014 !!!"}, []string{"document has no content"}},
		{"over max_document_bytes", &stancev1.ClassifyDocumentRequest{Text: strings.Repeat("Talks resumed. ", 67)},
			[]string{"document is 1005 bytes", "the limit is 1000 bytes", "--max-document-bytes"}},
		{"over max_document_sentences", &stancev1.ClassifyDocumentRequest{Text: strings.Repeat("Talks resumed. ", 7)},
			[]string{"document has 7 sentences", "the limit is 6", "--max-document-sentences"}},
		{"unknown encoding_type", &stancev1.ClassifyDocumentRequest{Text: neutralText, EncodingType: 9},
			[]string{"encoding_type 9 is not one of", "ENCODING_TYPE_UTF16"}},
		{"target on a model without targets", &stancev1.ClassifyDocumentRequest{Text: neutralText, Target: "NATO"},
			[]string{"takes no target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.stub.ClassifyDocument(rpcContext(t), tt.req)
			wantStatus(t, err, codes.InvalidArgument, tt.msgs...)
		})
	}
}

func TestGetModelInfo(t *testing.T) {
	t.Parallel()
	plain, targets := plainModel(t), targetModel(t)
	labels := func(m *linear.Model) []*stancev1.LabelInfo {
		var out []*stancev1.LabelInfo
		for _, l := range m.Manifest().Labels {
			out = append(out, &stancev1.LabelInfo{Name: l.Name, Description: l.Description, Threshold: l.Threshold})
		}
		return out
	}
	tests := []struct {
		name  string
		model *linear.Model
		want  *stancev1.ModelInfo
	}{
		{"plain", plain, &stancev1.ModelInfo{
			Name:           "synthetic",
			Version:        plain.ManifestRef().Version,
			Labels:         labels(plain),
			ExclusiveLabel: "none",
			MultiLabel:     true,
			Languages:      []string{"en"},
			Created:        "2024-01-02T03:04:05Z",
		}},
		{"targets", targets, &stancev1.ModelInfo{
			Name:           "synthetic-targets",
			Version:        targets.ManifestRef().Version,
			Labels:         labels(targets),
			AcceptsTargets: true,
			Targets:        []string{"BRICS", "NATO"},
			Languages:      []string{"en"},
			Created:        "2024-01-02T03:04:05Z",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, tt.model, envOptions{})
			resp, err := env.stub.GetModelInfo(rpcContext(t), &stancev1.GetModelInfoRequest{})
			if err != nil {
				t.Fatalf("GetModelInfo: %v", err)
			}
			want := &stancev1.GetModelInfoResponse{Model: tt.want, Limits: testLimits}
			if diff := cmp.Diff(want, resp, protocmp.Transform()); diff != "" {
				t.Errorf("GetModelInfo (-want +got):\n%s", diff)
			}
		})
	}
	// The descriptions given at training time reach the client.
	env := newEnv(t, plain, envOptions{})
	resp, err := env.stub.GetModelInfo(rpcContext(t), &stancev1.GetModelInfoRequest{})
	if err != nil {
		t.Fatalf("GetModelInfo: %v", err)
	}
	for i, l := range resp.GetModel().GetLabels() {
		if l.GetDescription() != testmodel.Labels[i].Description {
			t.Errorf("label %s description = %q, want %q", l.GetName(), l.GetDescription(), testmodel.Labels[i].Description)
		}
		if th := l.GetThreshold(); th < 0 || th > 1 {
			t.Errorf("label %s threshold = %v, want it in [0, 1]", l.GetName(), th)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	hc := healthpb.NewHealthClient(env.conn)
	const (
		serving    = healthpb.HealthCheckResponse_SERVING
		notServing = healthpb.HealthCheckResponse_NOT_SERVING
	)
	steps := []struct {
		name        string
		action      func()
		wantService healthpb.HealthCheckResponse_ServingStatus
		wantServer  healthpb.HealthCheckResponse_ServingStatus
	}{
		{"before SetReady", func() {}, notServing, serving},
		{"after SetReady(true)", func() { env.srv.SetReady(true) }, serving, serving},
		{"after SetReady(false)", func() { env.srv.SetReady(false) }, notServing, serving},
		{"ready again", func() { env.srv.SetReady(true) }, serving, serving},
		{"after Shutdown", env.srv.Shutdown, notServing, notServing},
	}
	for _, st := range steps {
		st.action()
		for _, c := range []struct {
			service string
			want    healthpb.HealthCheckResponse_ServingStatus
		}{{server.ServiceName, st.wantService}, {"", st.wantServer}} {
			resp, err := hc.Check(rpcContext(t), &healthpb.HealthCheckRequest{Service: c.service})
			if err != nil {
				t.Fatalf("%s: Check(%q): %v", st.name, c.service, err)
			}
			if got := resp.GetStatus(); got != c.want {
				t.Errorf("%s: Check(%q) = %s, want %s", st.name, c.service, got, c.want)
			}
		}
	}
	_, err := hc.Check(rpcContext(t), &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	wantStatus(t, err, codes.NotFound)
}

func TestReflection(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{})
	stream, err := reflectionpb.NewServerReflectionClient(env.conn).ServerReflectionInfo(rpcContext(t))
	if err != nil {
		t.Fatalf("ServerReflectionInfo: %v", err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	var got []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		got = append(got, s.GetName())
	}
	for _, want := range []string{server.ServiceName, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !slices.Contains(got, want) {
			t.Errorf("services = %q, want %s among them", got, want)
		}
	}

	// The service's file descriptor is served too, so grpcurl can describe it.
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: server.ServiceName}}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	resp, err = stream.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	if len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Errorf("no file descriptor for %s: %v", server.ServiceName, resp.GetErrorResponse())
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
}

// TestPanicRecovery makes an extra innermost interceptor panic and checks
// that the client gets a fixed INTERNAL, the log gets the detail, the
// panic is counted and the server goes on serving.
func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	const secret = "secret panic detail"
	var log syncbuf.Buffer
	env := newEnv(t, plainModel(t), envOptions{
		log: &log,
		opts: []grpc.ServerOption{grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if info.FullMethod == stancev1.StanceService_GetModelInfo_FullMethodName {
				panic(secret)
			}
			return h(ctx, req)
		})},
	})
	_, err := env.stub.GetModelInfo(rpcContext(t), &stancev1.GetModelInfoRequest{})
	wantStatus(t, err, codes.Internal)
	if st := status.Convert(err); st.Message() != "internal error" {
		t.Errorf("message = %q, want the fixed %q", st.Message(), "internal error")
	}
	if !strings.Contains(log.String(), secret) || !strings.Contains(log.String(), "panic in handler") {
		t.Errorf("log lacks the panic detail:\n%s", log.String())
	}
	if got := counterValue(t, env.reg, "stance_panics_recovered_total", nil); got != 1 {
		t.Errorf("stance_panics_recovered_total = %v, want 1", got)
	}
	if got := counterValue(t, env.reg, "grpc_server_handled_total", map[string]string{"grpc_method": "GetModelInfo", "grpc_code": "Internal"}); got != 1 {
		t.Errorf("grpc_server_handled_total{GetModelInfo,Internal} = %v, want 1", got)
	}
	if _, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: neutralText}); err != nil {
		t.Errorf("Classify after the panic: %v", err)
	}
}

// counterValue returns the value of the counter name whose labels include
// labels.
func counterValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == k && lp.GetValue() == v)
				}
				if !found {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s%v", name, labels)
	return 0
}

// TestDefaultModel only checks that the embedded default model loads and
// serves: it is retrained often, so its predictions are not pinned here.
func TestDefaultModel(t *testing.T) {
	t.Parallel()
	m, err := models.LoadDefault()
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("embedded default model incomplete (being retrained?): %v", err)
	}
	if err != nil {
		t.Fatalf("LoadDefault: %v", err)
	}
	env := newEnv(t, m, envOptions{})
	info, err := env.stub.GetModelInfo(rpcContext(t), &stancev1.GetModelInfoRequest{})
	if err != nil {
		t.Fatalf("GetModelInfo: %v", err)
	}
	if got, want := info.GetModel().GetVersion(), m.ManifestRef().Version; got != want {
		t.Errorf("version = %q, want %q", got, want)
	}
	resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText, Explain: true})
	if err != nil {
		t.Fatalf("Classify: %v", err)
	}
	checkResult(t, m, resp.GetResult())
	if _, err := env.stub.ClassifyDocument(rpcContext(t), &stancev1.ClassifyDocumentRequest{Text: testDocument}); err != nil {
		t.Fatalf("ClassifyDocument: %v", err)
	}
}
