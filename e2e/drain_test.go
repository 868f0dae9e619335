package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/stats"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/server"
)

// headersSent is a client stats handler that closes sent once the headers
// of a call to method are queued on the connection, ahead of any frame the
// client queues later.
type headersSent struct {
	method string
	once   sync.Once
	sent   chan struct{}
}

func (h *headersSent) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (h *headersSent) HandleRPC(_ context.Context, s stats.RPCStats) {
	if oh, ok := s.(*stats.OutHeader); ok && oh.Client && oh.FullMethod == h.method {
		h.once.Do(func() { close(h.sent) })
	}
}

func (h *headersSent) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (h *headersSent) HandleConn(context.Context, stats.ConnStats) {}

// slowDocument is a document of French sentences: each needs the full
// language detector rather than the English fast path, so the document
// takes a while to classify.
func slowDocument(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Le ministre numéro %d a déclaré que les négociations reprendraient la semaine prochaine à Genève. ", i)
	}
	return b.String()
}

// roundTrip sends one request on s and reads its result.
func roundTrip(s *client.Stream, text string) error {
	if err := s.Send(stance.Request{Text: text}); err != nil {
		return fmt.Errorf("Send: %w", err)
	}
	res, err := s.Recv()
	if err != nil {
		return fmt.Errorf("Recv: %w", err)
	}
	if res.Err != nil {
		return fmt.Errorf("stream item: %w", res.Err)
	}
	return nil
}

// TestGracefulDrain sends SIGTERM to a stanced with calls in flight: a
// ClassifyStream in mid-conversation and a long ClassifyDocument. Readiness
// must turn NOT_SERVING while new connections are still served for the
// drain delay, the calls in flight must complete without error — the
// stream even takes more requests after the signal — and the process must
// exit 0 after the delay and before its grace period ends, an open health
// watch notwithstanding.
func TestGracefulDrain(t *testing.T) {
	t.Parallel()
	// Long enough for the calls in flight even on a loaded machine under
	// the race detector; the test waits for it only if the drain fails.
	const grace = 10 * time.Second
	a, _ := testModels(t)
	dir := saveModel(t, a)
	// The drain delay keeps the server answering with readiness
	// NOT_SERVING, long enough to check both on new connections.
	const delay = 2 * time.Second
	d := startStanced(t, freeAddr(t), "--model", dir, "--grace-period", grace.String(), "--drain-delay", delay.String())
	waitServing(t, d)

	hs := &headersSent{method: "/stance.v1.StanceService/ClassifyDocument", sent: make(chan struct{})}
	c := newClient(t, d.addr, client.WithDialOptions(grpc.WithStatsHandler(hs)))
	// Load the language detector first (it loads in the background after
	// start-up), so that the document's time is its own: about 0.3 s, also
	// under the race detector.
	if _, err := c.ClassifyOne(rpcContext(t), stance.Request{Text: slowDocument(1)}); err != nil {
		t.Fatalf("ClassifyOne (French): %v", err)
	}

	// Readiness, watched on a connection of its own.
	hconn := dial(t, d.addr)
	wctx, wcancel := context.WithTimeout(context.Background(), 3*grace)
	defer wcancel()
	watch, err := healthpb.NewHealthClient(hconn).Watch(wctx, &healthpb.HealthCheckRequest{Service: server.ServiceName})
	if err != nil {
		t.Fatalf("health Watch: %v", err)
	}
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health Watch = %v, %v; want SERVING", resp.GetStatus(), err)
	}

	sctx, scancel := context.WithTimeout(context.Background(), 3*grace)
	defer scancel()
	stream, err := c.Stream(sctx)
	if err != nil {
		t.Fatalf("ClassifyStream: %v", err)
	}
	for i := range 5 {
		if err := roundTrip(stream, loadTexts[i%len(loadTexts)]); err != nil {
			t.Fatalf("stream before SIGTERM: %v", err)
		}
	}

	doc := slowDocument(500)
	if raceEnabled {
		doc = slowDocument(100)
	}
	type docResult struct {
		sentences int
		err       error
		at        time.Time
	}
	docDone := make(chan docResult, 1)
	go func() {
		var r docResult
		r.err = withDeadline(3*grace, func(ctx context.Context) error {
			d, err := c.ClassifyDocument(ctx, stance.DocumentRequest{Text: doc})
			r.sentences = len(d.Sentences)
			return err
		})
		r.at = time.Now()
		docDone <- r
	}()
	select {
	case <-hs.sent:
	case <-time.After(rpcTimeout):
		t.Fatalf("ClassifyDocument sent no headers in %s", rpcTimeout)
	}
	// The server reads a connection's frames in order: once it answers on
	// the stream, it has seen the document call's headers, so that call is
	// in flight when the signal arrives.
	if err := roundTrip(stream, multipolarText); err != nil {
		t.Fatalf("stream before SIGTERM: %v", err)
	}

	d.signal(t, syscall.SIGTERM)
	sigterm := time.Now()

	resp, err := watch.Recv()
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health Watch after SIGTERM = %v, %v; want NOT_SERVING", resp.GetStatus(), err)
	} else {
		t.Logf("readiness NOT_SERVING %s after SIGTERM", time.Since(sigterm).Round(time.Millisecond))
	}
	// The watch stays open: the server ends it when the delay is over,
	// rather than letting it hold the graceful stop up.
	// During the drain delay a new connection finds readiness NOT_SERVING,
	// as a balancer polling it would, and calls are still served.
	fresh := dial(t, d.addr)
	if st, err := readiness(fresh, time.Second); err != nil || st != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health Check on a new connection after SIGTERM = %s, %v; want NOT_SERVING", st, err)
	}
	// (A plain stub: the client package's health checking would rightly
	// refuse a backend that reports NOT_SERVING.)
	if _, err := stancev1.NewStanceServiceClient(fresh).Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText}); err != nil {
		t.Errorf("Classify on a new connection during the drain delay: %v", err)
	}
	if since := time.Since(sigterm); since >= delay {
		t.Logf("warning: the checks took %s, past the drain delay", since)
	}

	for i := range 5 {
		if err := roundTrip(stream, loadTexts[i%len(loadTexts)]); err != nil {
			t.Errorf("stream after SIGTERM: %v", err)
			break
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Errorf("CloseSend: %v", err)
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("stream end = %v, want io.EOF", err)
	}

	r := <-docDone
	if r.err != nil {
		t.Errorf("ClassifyDocument in flight at SIGTERM: %v", r.err)
	} else {
		t.Logf("ClassifyDocument of %d sentences, in flight at SIGTERM, ended %s after it", r.sentences, r.at.Sub(sigterm).Round(time.Millisecond))
	}

	select {
	case <-d.done:
	case <-time.After(grace + 5*time.Second):
		t.Fatalf("stanced still running %s after SIGTERM (grace period %s)", time.Since(sigterm).Round(time.Millisecond), grace)
	}
	took := time.Since(sigterm)
	t.Logf("stanced exited %s after SIGTERM: %v", took.Round(time.Millisecond), d.err)
	if d.err != nil {
		t.Errorf("stanced exit: %v, want status 0", d.err)
	}
	if took > delay+grace {
		t.Errorf("stanced took %s to exit, more than its drain delay and grace period %s", took, delay+grace)
	}
	if took < delay {
		t.Errorf("stanced exited %s after SIGTERM, before its drain delay %s ended", took, delay)
	}
	if !strings.Contains(d.log.String(), "msg=drained calls_finished=") {
		t.Errorf("log lacks the drain report:\n%s", d.log.tail(10))
	}
	if strings.Contains(d.log.String(), "grace period over") {
		t.Errorf("stanced cut calls off at the end of the grace period; want them all finished before:\n%s", d.log.String())
	}
}
