package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestAuthCheck(t *testing.T) {
	a := NewAuth("s3cret", "other-token")
	withAuth := func(v string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", v))
	}
	cases := []struct {
		name   string
		ctx    context.Context
		method string
		open   bool
		want   codes.Code
		msg    string
	}{
		{"valid token", withAuth("Bearer s3cret"), "/stance.v1.StanceService/Classify", false, codes.OK, ""},
		{"second token", withAuth("Bearer other-token"), "/stance.v1.StanceService/Classify", false, codes.OK, ""},
		{"no metadata", context.Background(), "/stance.v1.StanceService/Classify", false, codes.Unauthenticated, "missing bearer token"},
		{"wrong token", withAuth("Bearer s3cre"), "/stance.v1.StanceService/Classify", false, codes.Unauthenticated, "invalid bearer token"},
		{"not bearer", withAuth("Basic czNjcmV0"), "/stance.v1.StanceService/Classify", false, codes.Unauthenticated, "not \"Bearer TOKEN\""},
		{"health stays open", context.Background(), "/grpc.health.v1.Health/Check", false, codes.OK, ""},
		{"reflection closed", context.Background(), "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", false, codes.Unauthenticated, "missing bearer token"},
		{"reflection open by flag", context.Background(), "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true, codes.OK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a.OpenReflection = c.open
			err := a.check(c.ctx, c.method)
			if got := status.Code(err); got != c.want {
				t.Fatalf("code = %v, want %v (err %v)", got, c.want, err)
			}
			if c.msg != "" && !strings.Contains(status.Convert(err).Message(), c.msg) {
				t.Errorf("message %q does not contain %q", status.Convert(err).Message(), c.msg)
			}
		})
	}
}

func TestReadTokens(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tokens")
	os.WriteFile(good, []byte("# service tokens\n\nalpha\n  beta  \n"), 0o600)
	a, err := ReadTokens(good)
	if err != nil {
		t.Fatal(err)
	}
	if got := *a.tokens.Load(); len(got) != 2 || string(got[0]) != "alpha" || string(got[1]) != "beta" {
		t.Errorf("tokens = %q, want [alpha beta]", got)
	}
	for name, content := range map[string]string{"empty": "# nothing\n", "space": "two words\n"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := ReadTokens(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("ReadTokens(%s) error = %v, want one naming the file", name, err)
		}
	}
}

// TestAuthReload rotates the tokens of a file: the new one gets in, the old
// one no longer does, and a broken file changes nothing.
func TestAuthReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	write := func(content string) {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("old-token\n")
	a, err := ReadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	call := func(token string) codes.Code {
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
		return status.Code(a.check(ctx, "/stance.v1.StanceService/Classify"))
	}
	write("new-token\n")
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := call("new-token"); got != codes.OK {
		t.Errorf("new token after reload: %v, want OK", got)
	}
	if got := call("old-token"); got != codes.Unauthenticated {
		t.Errorf("old token after reload: %v, want Unauthenticated", got)
	}
	write("# emptied by mistake\n")
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), "no tokens") {
		t.Errorf("reload of an empty file: %v, want an error saying so", err)
	}
	if got := call("new-token"); got != codes.OK {
		t.Errorf("new token after a rejected reload: %v, want OK: a broken file must not lock everyone out", got)
	}
	if err := NewAuth("x").Reload(); err == nil {
		t.Error("Reload of tokens given in code succeeded; want an error")
	}
}
