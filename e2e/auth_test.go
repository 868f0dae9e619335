package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/server"
)

// listServices asks server reflection on conn for the service names.
func listServices(ctx context.Context, conn *grpc.ClientConn) ([]string, error) {
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	req := &reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"}}
	if err := stream.Send(req); err != nil {
		// The server's error, if any, comes with Recv.
		_, err = stream.Recv()
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, nil
}

// TestAuth serves with --auth-tokens: calls need one of the tokens, health
// checks never do, and reflection does unless --open-reflection.
func TestAuth(t *testing.T) {
	t.Parallel()
	a, _ := testModels(t)
	dir := saveModel(t, a)
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("# e2e tokens\nfirst-token\n\nsecond-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	classifyCode := func(t *testing.T, conn *grpc.ClientConn) codes.Code {
		t.Helper()
		_, err := stancev1.NewStanceServiceClient(conn).Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText})
		return status.Code(err)
	}

	t.Run("closed reflection", func(t *testing.T) {
		t.Parallel()
		d := startStanced(t, freeAddr(t), "--model", dir, "--auth-tokens", tokens)
		waitServing(t, d)
		anon := newClient(t, d.addr)
		good := newClient(t, d.addr, client.WithToken("first-token"))
		good2 := newClient(t, d.addr, client.WithToken("second-token"))
		bad := newClient(t, d.addr, client.WithToken("wrong-token"))

		if got := classifyCode(t, anon.Conn()); got != codes.Unauthenticated {
			t.Errorf("Classify without a token: code %s, want Unauthenticated", got)
		}
		if _, err := anon.ClassifyOne(rpcContext(t), stance.Request{Text: multipolarText}); err == nil {
			t.Errorf("client.ClassifyOne without a token succeeded")
		}
		if got := classifyCode(t, bad.Conn()); got != codes.Unauthenticated {
			t.Errorf("Classify with a wrong token: code %s, want Unauthenticated", got)
		}
		for name, c := range map[string]*client.Client{"first-token": good, "second-token": good2} {
			res, err := c.ClassifyOne(rpcContext(t), stance.Request{Text: multipolarText})
			if err != nil {
				t.Errorf("ClassifyOne with %s: %v", name, err)
			} else if res.ModelVersion != version(a) {
				t.Errorf("ClassifyOne with %s: model_version %q, want %q", name, res.ModelVersion, version(a))
			}
		}
		for _, service := range []string{"", server.ServiceName} {
			resp, err := healthpb.NewHealthClient(anon.Conn()).Check(rpcContext(t), &healthpb.HealthCheckRequest{Service: service})
			if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health Check(%q) without a token = %v, %v; want SERVING", service, resp.GetStatus(), err)
			}
		}
		if names, err := listServices(rpcContext(t), anon.Conn()); status.Code(err) != codes.Unauthenticated {
			t.Errorf("reflection without a token = %q, %v; want Unauthenticated", names, err)
		}
		names, err := listServices(rpcContext(t), good.Conn())
		if err != nil || !slices.Contains(names, server.ServiceName) {
			t.Errorf("reflection with a token = %q, %v; want a list with %s", names, err, server.ServiceName)
		}
	})

	t.Run("open reflection", func(t *testing.T) {
		t.Parallel()
		d := startStanced(t, freeAddr(t), "--model", dir, "--auth-tokens", tokens, "--open-reflection")
		waitServing(t, d)
		anon := newClient(t, d.addr)
		names, err := listServices(rpcContext(t), anon.Conn())
		if err != nil || !slices.Contains(names, server.ServiceName) {
			t.Errorf("reflection without a token = %q, %v; want a list with %s", names, err, server.ServiceName)
		}
		if got := classifyCode(t, anon.Conn()); got != codes.Unauthenticated {
			t.Errorf("Classify without a token: code %s, want Unauthenticated even with open reflection", got)
		}
	})
}
