// Package tlsconf builds the TLS configurations of the server and the
// command-line client from PEM files, and reloads the server's when its
// files change, so that certificates rotate without a restart.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// CertPool reads the PEM certificates in file.
func CertPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificates", file)
	}
	return pool, nil
}

// Client returns a client configuration that trusts the CAs in caFile
// (the system's when "") and presents the key pair of certFile and
// keyFile when given.
func Client(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pool, err := CertPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Server holds a server's certificate, key and client CAs, read again by
// Reload: each handshake takes the configuration current at the time.
type Server struct {
	cert, key, clientCA string
	cfg                 atomic.Pointer[tls.Config]
}

// NewServer reads the server's files; clientCA, when given, requires
// client certificates signed by its CAs (mutual TLS). It returns nil for
// plaintext, when no file is given.
func NewServer(certFile, keyFile, clientCA string) (*Server, error) {
	if certFile == "" && keyFile == "" {
		if clientCA != "" {
			return nil, errors.New("--client-ca needs --tls-cert and --tls-key")
		}
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	s := &Server{cert: certFile, key: keyFile, clientCA: clientCA}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// CertFile is the certificate file's path.
func (s *Server) CertFile() string { return s.cert }

// Config returns the configuration to serve with; it follows reloads.
func (s *Server) Config() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return s.cfg.Load(), nil },
	}
}

// Reload reads the files again; when one is missing or invalid, the
// configuration in use stays and the error says which.
func (s *Server) Reload() error {
	cert, err := tls.LoadX509KeyPair(s.cert, s.key)
	if err != nil {
		return fmt.Errorf("load TLS key pair %s, %s: %w", s.cert, s.key, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if s.clientCA != "" {
		if cfg.ClientCAs, err = CertPool(s.clientCA); err != nil {
			return err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	s.cfg.Store(cfg)
	return nil
}
