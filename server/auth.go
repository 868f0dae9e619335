package server

import (
	"bufio"
	"context"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Auth checks bearer tokens. The zero value (no tokens) lets every call in.
type Auth struct {
	tokens [][]byte
	// OpenReflection leaves server reflection callable without a token.
	OpenReflection bool
}

// ReadTokens reads bearer tokens from a file: one token a line; blank lines
// and lines starting with # are ignored.
func ReadTokens(path string) (*Auth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a := &Auth{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s:%d: a token may not contain spaces", path, n)
		}
		a.tokens = append(a.tokens, []byte(line))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(a.tokens) == 0 {
		return nil, fmt.Errorf("%s: no tokens", path)
	}
	return a, nil
}

// NewAuth returns an Auth accepting the given tokens.
func NewAuth(tokens ...string) *Auth {
	a := &Auth{}
	for _, t := range tokens {
		a.tokens = append(a.tokens, []byte(t))
	}
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
	if len(a.tokens) == 0 || a.open(method) {
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
	for _, t := range a.tokens {
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
