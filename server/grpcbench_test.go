package server_test

import (
	"context"
	"net"
	"testing"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/dataset"
	"github.com/stanceproject/stance/engine"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/internal/testutil"
	"github.com/stanceproject/stance/models"
	"github.com/stanceproject/stance/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

type benchConn struct {
	stancev1.StanceServiceClient
	conn *grpc.ClientConn
}

// benchLoopback serves the default model on a loopback TCP port and
// returns a stub connected to it.
func benchLoopback(b *testing.B) benchConn {
	b.Helper()
	m, err := models.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	reg := testutil.Registry(b, engine.Config{}, m)
	// Wait for the language detector's background loading.
	if _, err := reg.Classify(b.Context(), []stance.Request{{Text: "Le ministre a dit que la Chine restera neutre dans ce conflit."}}); err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(reg, server.Config{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := server.NewGRPC(srv, server.GRPCConfig{})
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go g.Serve(lis)
	b.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	srv.SetReady(true)
	return benchConn{stancev1.NewStanceServiceClient(conn), conn}
}

// BenchmarkClassifyBatchLoopback sends the first 1,000 sentences of the
// development set, a batch of the default maximum size, in one
// ClassifyBatch call over loopback TCP.
func BenchmarkClassifyBatchLoopback(b *testing.B) {
	stub := benchLoopback(b)
	exs, _, err := dataset.ReadFile("../data/dev.jsonl", dataset.Options{})
	if err != nil {
		b.Fatal(err)
	}
	exs = exs[:min(len(exs), 1000)]
	req := &stancev1.ClassifyBatchRequest{}
	for _, x := range exs {
		req.Requests = append(req.Requests, &stancev1.ClassifyRequest{Text: x.Text})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stub.ClassifyBatch(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(exs)*b.N)/b.Elapsed().Seconds(), "sentences/s")
}

// BenchmarkClassifyLoopback is one Classify call per sentence, with as
// many calls in flight as GOMAXPROCS×4.
func BenchmarkClassifyLoopback(b *testing.B) {
	stub := benchLoopback(b)
	req := &stancev1.ClassifyRequest{Text: "In the face of unilateral actions and hegemony, the two countries should deepen strategic cooperation and make global governance fairer, the spokesperson said."}
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := stub.Classify(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkHealthLoopback is the no-op baseline of BenchmarkClassifyLoopback:
// the same connection setup and concurrency, the health service's Check.
func BenchmarkHealthLoopback(b *testing.B) {
	stub := benchLoopback(b)
	health := healthpb.NewHealthClient(stub.conn)
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
