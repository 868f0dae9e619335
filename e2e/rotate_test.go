package e2e_test

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/stanceproject/stance/client"
)

// TestCredentialRotation rotates the certificate (to one from a new CA)
// and the bearer tokens of a running stanced with SIGHUP, as an operator
// does when a certificate nears expiry or a token leaks: clients of the new
// CA with the new token get in, the old token and the old CA no longer do,
// and a broken certificate or token file is then rejected while the server
// keeps serving with what it has.
func TestCredentialRotation(t *testing.T) {
	t.Parallel()
	a, _ := testModels(t)
	dir := saveModel(t, a)
	before, after := newPKI(t), newPKI(t)
	files := t.TempDir()
	cert, key, tokens := filepath.Join(files, "cert.pem"), filepath.Join(files, "key.pem"), filepath.Join(files, "tokens")
	install := func(p *pki, token string) {
		t.Helper()
		for src, dst := range map[string]string{p.serverCert: cert, p.serverKey: key} {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(tokens, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	trust := func(p *pki) *tls.Config { return &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12} }
	install(before, "old-token")
	s := startStanced(t, freeAddr(t), "--model", dir, "--tls-cert", cert, "--tls-key", key, "--auth-tokens", tokens)
	waitServing(t, s, grpc.WithTransportCredentials(credentials.NewTLS(trust(before))))
	call := func(p *pki, token string) error {
		_, err := classifyOnce(t, s.addr, client.WithTLS(trust(p)), client.WithToken(token))
		return err
	}
	if err := call(before, "old-token"); err != nil {
		t.Fatalf("before rotation: %v", err)
	}

	install(after, "new-token")
	s.signal(t, syscall.SIGHUP)
	waitLog(t, s, "tokens reloaded", 1)
	if err := call(after, "new-token"); err != nil {
		t.Errorf("new CA and new token after rotation: %v", err)
	}
	if err := call(after, "old-token"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("old token after rotation: %v, want UNAUTHENTICATED", err)
	}
	err := call(before, "new-token")
	wantRefused(t, "a client that trusts only the old CA", err)

	// A half-written rotation: the server keeps the credentials it has.
	if err := os.WriteFile(cert, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokens, []byte("# emptied\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.signal(t, syscall.SIGHUP)
	waitLog(t, s, "token reload rejected", 1)
	if n := s.log.Count("TLS reload rejected"); n != 1 {
		t.Errorf("%d log lines say the TLS reload was rejected, want 1", n)
	}
	if err := call(after, "new-token"); err != nil {
		t.Errorf("after a rejected rotation: %v; want the current credentials to keep working", err)
	}
}

// waitLog waits until the process has logged substr n times.
func waitLog(t *testing.T, p *proc, substr string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for p.log.Count(substr) < n {
		if time.Now().After(deadline) {
			t.Fatalf("stanced did not log %q %d times within 20s", substr, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClientCARotation rotates the client CAs of a stanced serving mutual
// TLS: after SIGHUP a client certificate of the new CA gets in and one of
// the old CA, on a new connection, no longer does.
func TestClientCARotation(t *testing.T) {
	t.Parallel()
	a, _ := testModels(t)
	dir := saveModel(t, a)
	server, before, after := newPKI(t), newPKI(t), newPKI(t)
	caFile := filepath.Join(t.TempDir(), "client-ca.pem")
	install := func(p *pki) {
		t.Helper()
		b, err := os.ReadFile(p.caFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(caFile, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Clients trust the server's CA and show a certificate of another.
	as := func(p *pki) *tls.Config {
		return &tls.Config{RootCAs: server.pool, Certificates: []tls.Certificate{p.clientCert}, MinVersion: tls.VersionTLS12}
	}
	install(before)
	s := startStanced(t, freeAddr(t), "--model", dir, "--tls-cert", server.serverCert, "--tls-key", server.serverKey, "--client-ca", caFile)
	waitServing(t, s, grpc.WithTransportCredentials(credentials.NewTLS(as(before))))
	if _, err := classifyOnce(t, s.addr, client.WithTLS(as(before))); err != nil {
		t.Fatalf("client of the first CA before rotation: %v", err)
	}
	_, err := classifyOnce(t, s.addr, client.WithTLS(as(after)))
	wantRefused(t, "a client of the second CA before rotation", err)

	install(after)
	s.signal(t, syscall.SIGHUP)
	waitLog(t, s, "TLS certificate reloaded", 1)
	if _, err := classifyOnce(t, s.addr, client.WithTLS(as(after))); err != nil {
		t.Errorf("client of the second CA after rotation: %v", err)
	}
	_, err = classifyOnce(t, s.addr, client.WithTLS(as(before)))
	wantRefused(t, "a client of the first CA after rotation", err)
}
