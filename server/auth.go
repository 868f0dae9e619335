package server

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Auth checks bearer tokens. The zero value (no tokens) lets every call in.
// The tokens of an Auth read from a file can be replaced while it serves
// (Reload), so that a leaked token is revoked without a restart.
type Auth struct {
	tokens atomic.Pointer[[][]byte]
	path   string
	// OpenReflection leaves server reflection callable without a token.
	OpenReflection bool
}

// ReadTokens reads bearer tokens from a file: one token a line; blank lines
// and lines starting with # are ignored.
func ReadTokens(path string) (*Auth, error) {
	a := &Auth{path: path}
	if err := a.Reload(); err != nil {
		return nil, err
	}
	return a, nil
}

// Reload reads the token file again and, if it is valid, replaces the
// tokens; otherwise the current ones stay and the error says why.
func (a *Auth) Reload() error {
	if a.path == "" {
		return errors.New("auth: the tokens were not read from a file")
	}
	tokens, err := readTokens(a.path)
	if err != nil {
		return err
	}
	a.tokens.Store(&tokens)
	return nil
}

func readTokens(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var tokens [][]byte
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s:%d: a token may not contain spaces", path, n)
		}
		tokens = append(tokens, []byte(line))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("%s: no tokens", path)
	}
	return tokens, nil
}

// NewAuth returns an Auth accepting the given tokens.
func NewAuth(tokens ...string) *Auth {
	a := &Auth{}
	var ts [][]byte
	for _, t := range tokens {
		ts = append(ts, []byte(t))
	}
	a.tokens.Store(&ts)
	return a
}

// open reports methods that need no token: health checks always (probes
// carry no credentials), reflection when OpenReflection is set.
func (a *Auth) open(method string) bool {
	if strings.HasPrefix(method, "/grpc.health.v1.Health/") {
		return true
	}
	return a.OpenReflection && strings.HasPrefix(method, "/grpc.reflection.")
}

func (a *Auth) check(ctx context.Context, method string) error {
	var tokens [][]byte
	if p := a.tokens.Load(); p != nil {
		tokens = *p
	}
	if len(tokens) == 0 || a.open(method) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return status.Error(codes.Unauthenticated, "missing bearer token: send the metadata \"authorization: Bearer TOKEN\"")
	}
	scheme, got, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") { // schemes are case-insensitive (RFC 7235)
		return status.Error(codes.Unauthenticated, "authorization metadata is not \"Bearer TOKEN\"")
	}
	// Compare against every token, so that the time taken does not tell
	// which one (or how much of one) matched.
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(got), t)
	}
	if match != 1 {
		return status.Error(codes.Unauthenticated, "invalid bearer token")
	}
	return nil
}

// Unary returns the interceptor that checks unary calls.
func (a *Auth) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := a.check(ctx, info.FullMethod); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// Stream returns the interceptor that checks streams.
func (a *Auth) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := a.check(ss.Context(), info.FullMethod); err != nil {
			return err
		}
		return h(srv, ss)
	}
}
