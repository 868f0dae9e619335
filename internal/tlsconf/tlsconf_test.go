package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for name and its key into
// dir and returns their paths.
func selfSigned(t *testing.T, dir, name string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	write(t, cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	write(t, key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	return cert, key
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func served(t *testing.T, s *Server) string {
	t.Helper()
	cfg, err := s.Config().GetConfigForClient(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestServerReload(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir, "one")
	ca, _ := selfSigned(t, dir, "ca")
	s, err := NewServer(cert, key, ca)
	if err != nil {
		t.Fatal(err)
	}
	if got := served(t, s); got != "one" {
		t.Fatalf("serves %q, want one", got)
	}
	cfg, _ := s.Config().GetConfigForClient(&tls.ClientHelloInfo{})
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.ClientCAs == nil {
		t.Errorf("with a client CA: ClientAuth %v, want client certificates required", cfg.ClientAuth)
	}
	// A broken key pair is rejected and the configuration in use stays.
	write(t, key, []byte("not a key"))
	if err := s.Reload(); err == nil || !strings.Contains(err.Error(), cert) {
		t.Errorf("Reload of a broken key = %v, want an error naming the files", err)
	}
	if got := served(t, s); got != "one" {
		t.Errorf("after a rejected reload serves %q, want one", got)
	}
	// New files are taken by the next handshake.
	two, twoKey := selfSigned(t, dir, "two")
	if err := os.Rename(two, cert); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(twoKey, key); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := served(t, s); got != "two" {
		t.Errorf("after the reload serves %q, want two", got)
	}
}

func TestFlagsErrors(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir, "one")
	notPEM := filepath.Join(dir, "notpem")
	write(t, notPEM, []byte("hello"))
	for _, tt := range []struct {
		name string
		err  func() error
		want string
	}{
		{"client CA alone", func() error { _, err := NewServer("", "", cert); return err }, "--client-ca needs --tls-cert and --tls-key"},
		{"cert without key", func() error { _, err := NewServer(cert, "", ""); return err }, "--tls-cert and --tls-key go together"},
		{"client cert without key", func() error { _, err := Client("", cert, "", ""); return err }, "--tls-cert and --tls-key go together"},
		{"CA file not PEM", func() error { _, err := Client(notPEM, "", "", ""); return err }, notPEM + ": no PEM certificates"},
	} {
		if err := tt.err(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if s, err := NewServer("", "", ""); s != nil || err != nil {
		t.Errorf("no files: %v, %v; want plaintext (nil, nil)", s, err)
	}
	cfg, err := Client(cert, cert, key, "stance.example")
	if err != nil || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.ServerName != "stance.example" {
		t.Errorf("Client = %+v, %v; want the CA pool, the key pair and the server name", cfg, err)
	}
}
