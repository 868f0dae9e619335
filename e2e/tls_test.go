package e2e_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
)

// pki is a CA with a server certificate for 127.0.0.1 and a client
// certificate, generated at test time and written as PEM files.
type pki struct {
	pool                  *x509.CertPool // holds the CA
	caFile                string
	serverCert, serverKey string
	clientCert            tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "stance e2e CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("create CA certificate: %v", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatalf("parse CA certificate: %v", err)
	}
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatalf("create certificate %s: %v", cn, err)
		}
		return der, key
	}
	serverDER, serverKey := issue(2, "stanced", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	clientDER, clientKey := issue(3, "e2e client", x509.ExtKeyUsageClientAuth, nil)

	p := &pki{
		pool:       x509.NewCertPool(),
		caFile:     writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER),
		serverCert: writePEM(t, dir, "server.pem", "CERTIFICATE", serverDER),
		serverKey:  writePEM(t, dir, "server-key.pem", "EC PRIVATE KEY", marshalKey(t, serverKey)),
	}
	p.pool.AddCert(ca)
	p.clientCert, err = tls.X509KeyPair(
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: marshalKey(t, clientKey)}))
	if err != nil {
		t.Fatalf("client key pair: %v", err)
	}
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return key
}

func marshalKey(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return der
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return path
}

// classifyOnce classifies one text through a fresh client with opts and a
// short deadline: long enough for a working connection, short enough that
// a refused one fails fast.
func classifyOnce(t *testing.T, addr string, opts ...client.Option) (stance.Result, error) {
	t.Helper()
	c := newClient(t, addr, opts...)
	var res stance.Result
	err := withDeadline(5*time.Second, func(ctx context.Context) error {
		var err error
		res, err = c.ClassifyOne(ctx, stance.Request{Text: multipolarText})
		return err
	})
	return res, err
}

// wantRefused checks that a call by who failed as a refused connection:
// UNAVAILABLE, after the client's retries.
func wantRefused(t *testing.T, who string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("ClassifyOne by %s succeeded; want a refused connection", who)
	case stance.Code(err) != stance.EUnavailable:
		t.Errorf("ClassifyOne by %s = %v; want UNAVAILABLE (refused connection)", who, err)
	default:
		t.Logf("%s, refused as expected: %v", who, err)
	}
}

// TestTLS serves over TLS and then mutual TLS with certificates made at
// test time: a client that trusts the CA (and, for mutual TLS, shows the
// client certificate) classifies; plaintext clients, clients that do not
// trust the CA and clients without a certificate are refused.
func TestTLS(t *testing.T) {
	t.Parallel()
	a, _ := testModels(t)
	dir := saveModel(t, a)
	p := newPKI(t)
	trusting := &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12}
	withCert := &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{p.clientCert}, MinVersion: tls.VersionTLS12}

	t.Run("server TLS", func(t *testing.T) {
		t.Parallel()
		d := startStanced(t, freeAddr(t), "--model", dir, "--tls-cert", p.serverCert, "--tls-key", p.serverKey)
		waitServing(t, d, grpc.WithTransportCredentials(credentials.NewTLS(trusting)))

		res, err := classifyOnce(t, d.addr, client.WithTLS(trusting))
		if err != nil {
			t.Fatalf("ClassifyOne over TLS: %v", err)
		}
		if res.ModelVersion != version(a) {
			t.Errorf("model_version = %q, want %q", res.ModelVersion, version(a))
		}
		_, err = classifyOnce(t, d.addr)
		wantRefused(t, "a plaintext client", err)
		_, err = classifyOnce(t, d.addr, client.WithTLS(&tls.Config{MinVersion: tls.VersionTLS12}))
		wantRefused(t, "a client that does not trust the CA", err)
	})

	t.Run("mutual TLS", func(t *testing.T) {
		t.Parallel()
		d := startStanced(t, freeAddr(t), "--model", dir, "--tls-cert", p.serverCert, "--tls-key", p.serverKey, "--client-ca", p.caFile)
		waitServing(t, d, grpc.WithTransportCredentials(credentials.NewTLS(withCert)))

		_, err := classifyOnce(t, d.addr, client.WithTLS(trusting))
		wantRefused(t, "a client without a certificate", err)
		res, err := classifyOnce(t, d.addr, client.WithTLS(withCert))
		if err != nil {
			t.Fatalf("ClassifyOne with the client certificate: %v", err)
		}
		if res.ModelVersion != version(a) {
			t.Errorf("model_version = %q, want %q", res.ModelVersion, version(a))
		}
	})
}
