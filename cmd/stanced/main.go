// Command stanced serves the stance.v1 gRPC API over the embedded default
// model or a model directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/internal/connlimit"
	"github.com/stanceproject/stance/internal/envflag"
	"github.com/stanceproject/stance/internal/logging"
	"github.com/stanceproject/stance/internal/signals"
	"github.com/stanceproject/stance/internal/tlsconf"
	"github.com/stanceproject/stance/internal/usage"
	"github.com/stanceproject/stance/server"
)

func main() {
	ctx, hurry, stop := signals.Stop()
	defer stop()
	if err := run(ctx, hurry, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) { // --help asked for the usage: not an error
			return
		}
		fmt.Fprintln(os.Stderr, "stanced:", err)
		stop()
		os.Exit(2)
	}
}

type config struct {
	addr, metricsAddr, logLevel, logFormat          string
	tlsCert, tlsKey, clientCA, tokens               string
	models                                          []string
	openReflection, watch                           bool
	maxTextBytes, maxBatch, maxDocBytes, maxDocSent int
	maxRecvBytes, maxStreams, maxTargetBytes        int
	maxConns, maxInflight, maxHeaderBytes           int
	defaultTimeout, grace, drainDelay, handshake    time.Duration
}

// flags declares every flag with its environment-variable twin: the
// variable sets the default, the flag overrides it.
func flags(fs *flag.FlagSet, c *config) error {
	e := envflag.Set{FS: fs}
	e.String(&c.addr, "addr", "STANCE_ADDR", "localhost:50051", "listen on `HOST:PORT`")
	e.Strings(&c.models, "model", "STANCE_MODEL", "serve the model in `[NAME=]DIR`; repeat with NAME=DIR to serve several side by side, chosen by name in requests. "+
		"A bare DIR is the default model, served under its manifest's name (default: the embedded default model)")
	e.String(&c.metricsAddr, "metrics-addr", "STANCE_METRICS_ADDR", "", "serve Prometheus metrics on `HOST:PORT` at /metrics (default: off)")
	e.String(&c.logLevel, "log-level", "STANCE_LOG_LEVEL", "info", "log level: debug (one line per call), info, warn or error")
	e.String(&c.logFormat, "log-format", "STANCE_LOG_FORMAT", "text", "log format: text or json")
	e.Int(&c.maxTextBytes, "max-text-bytes", "STANCE_MAX_TEXT_BYTES", engine.DefaultMaxTextBytes, "largest text of Classify, a batch item or a stream item, in bytes")
	e.Int(&c.maxBatch, "max-batch-size", "STANCE_MAX_BATCH_SIZE", server.DefaultMaxBatchSize, "most requests in one ClassifyBatch")
	e.Int(&c.maxDocBytes, "max-document-bytes", "STANCE_MAX_DOCUMENT_BYTES", engine.DefaultMaxDocumentBytes, "largest document of ClassifyDocument, in bytes")
	e.Int(&c.maxDocSent, "max-document-sentences", "STANCE_MAX_DOCUMENT_SENTENCES", engine.DefaultMaxDocumentSentences, "most sentences in one document")
	e.Int(&c.maxRecvBytes, "max-recv-bytes", "STANCE_MAX_RECV_BYTES", 0, "largest request message in bytes (default: room for the largest document or full batch, plus 1 MiB)")
	e.String(&c.tlsCert, "tls-cert", "STANCE_TLS_CERT", "", "serve TLS with the certificate in `FILE` (PEM); needs --tls-key; re-read on SIGHUP")
	e.String(&c.tlsKey, "tls-key", "STANCE_TLS_KEY", "", "the private key `FILE` of --tls-cert (PEM)")
	e.String(&c.clientCA, "client-ca", "STANCE_CLIENT_CA", "", "require client certificates signed by the CAs in `FILE` (mutual TLS)")
	e.String(&c.tokens, "auth-tokens", "STANCE_AUTH_TOKENS", "", "require \"authorization: Bearer TOKEN\" with one of the tokens in `FILE` (one a line, re-read on SIGHUP); health checks stay open")
	e.Bool(&c.openReflection, "open-reflection", "STANCE_OPEN_REFLECTION", false, "with --auth-tokens: leave server reflection callable without a token")
	e.Bool(&c.watch, "watch", "STANCE_WATCH", false, "with --model: reload a model when its directory's files change (checked every 2s); SIGHUP always reloads")
	e.Int(&c.maxTargetBytes, "max-target-bytes", "STANCE_MAX_TARGET_BYTES", engine.DefaultMaxTargetBytes, "largest target, in bytes")
	e.Int(&c.maxStreams, "max-concurrent-streams", "STANCE_MAX_CONCURRENT_STREAMS", server.DefaultMaxConcurrentStreams, "most concurrent calls and streams on one connection")
	e.Int(&c.maxConns, "max-connections", "STANCE_MAX_CONNECTIONS", defaultMaxConnections, "most open connections; past it a new one replaces the oldest that has sent nothing, or is refused")
	e.Int(&c.maxInflight, "max-inflight", "STANCE_MAX_INFLIGHT", server.DefaultMaxInflight, "most classification calls in progress (an open ClassifyStream counts as one); more are refused with RESOURCE_EXHAUSTED")
	e.Int(&c.maxHeaderBytes, "max-header-bytes", "STANCE_MAX_HEADER_BYTES", server.DefaultMaxHeaderListBytes, "largest header list (metadata) of a call, in bytes")
	e.Duration(&c.handshake, "handshake-timeout", "STANCE_HANDSHAKE_TIMEOUT", server.DefaultConnectionTimeout, "how long a new connection may take to complete its TLS and HTTP/2 handshakes")
	e.Duration(&c.defaultTimeout, "default-timeout", "STANCE_DEFAULT_TIMEOUT", 30*time.Second, "deadline of calls that set none")
	e.Duration(&c.grace, "grace-period", "STANCE_GRACE_PERIOD", 10*time.Second, "on SIGTERM, how long calls in flight may take to finish")
	e.Duration(&c.drainDelay, "drain-delay", "STANCE_DRAIN_DELAY", 5*time.Second, "on SIGTERM, how long readiness reports NOT_SERVING while calls are still served, before the grace period; a second signal, or SIGINT at a terminal, skips it")
	return e.Err()
}

// defaultMaxConnections is the default of --max-connections.
const defaultMaxConnections = 256

// run starts the server and blocks until ctx ends, then drains: the drain
// delay (cut short when hurry closes; nil never closes), then the grace
// period. When ready is non-nil it receives the listening address once the
// server is SERVING (tests).
func run(ctx context.Context, hurry <-chan struct{}, args []string, stderr io.Writer, ready chan<- net.Addr) error {
	start := time.Now()
	fs := flag.NewFlagSet("stanced", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: stanced [flags]\n\nServes the stance.v1 gRPC API with health (grpc.health.v1; readiness under %q) and reflection.\n\nFlags:\n", server.ServiceName)
		usage.Flags(stderr, fs)
	}
	var c config
	envErr := flags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if envErr != nil {
		return envErr
	}
	log, err := logging.New(stderr, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}

	// SIGHUP is caught from the start: its default would end the process.
	hup, unhup := signals.Hangup()
	defer unhup()
	sources, err := engine.ParseSources(c.models)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	reg, err := engine.Open(ctx, sources, engine.Config{MaxTextBytes: c.maxTextBytes, MaxDocumentBytes: c.maxDocBytes, MaxDocumentSentences: c.maxDocSent, MaxTargetBytes: c.maxTargetBytes}, log)
	if err != nil {
		return err
	}
	srv, err := server.New(reg, server.Config{MaxBatchSize: c.maxBatch, Logger: log})
	if err != nil {
		return err
	}
	prom := prometheus.NewRegistry()
	prom.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gcfg := server.GRPCConfig{
		MaxRecvBytes:         c.maxRecvBytes,
		MaxConcurrentStreams: uint32(max(c.maxStreams, 1)),
		MaxHeaderListBytes:   uint32(max(c.maxHeaderBytes, 1024)),
		MaxInflight:          c.maxInflight,
		ConnectionTimeout:    c.handshake,
		DefaultTimeout:       c.defaultTimeout,
		Registerer:           prom,
	}
	if c.tokens != "" {
		if gcfg.Auth, err = server.ReadTokens(c.tokens); err != nil {
			return err
		}
		gcfg.Auth.OpenReflection = c.openReflection
	}
	tlsFiles, err := tlsconf.NewServer(c.tlsCert, c.tlsKey, c.clientCA)
	if err != nil {
		return err
	}
	if tlsFiles != nil {
		gcfg.Options = append(gcfg.Options, grpc.Creds(credentials.NewTLS(tlsFiles.Config())))
	}
	g, err := server.NewGRPC(srv, gcfg)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	// At the limit, a new connection takes the slot of the oldest one that
	// has not spoken, so that a flood of idle sockets cannot lock out a
	// probe; the short handshake timeout reaps those that speak too little.
	lis = connlimit.New(lis, c.maxConns)
	if c.metricsAddr != "" {
		defer server.ServeMetrics(c.metricsAddr, prom, log)()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- g.Serve(lis) }()

	srv.SetReady(true)
	info, err := reg.Info(ctx)
	if err != nil {
		return err
	}
	log.Info("serving", "addr", lis.Addr().String(), "model", info.Name, "version", info.Version, "models", strings.Join(reg.Names(), ","), "startup", time.Since(start).Round(time.Millisecond))
	if ready != nil {
		ready <- lis.Addr()
	}

	if c.watch {
		go reg.Watch(ctx, 2*time.Second)
	}
	// Credentials first: revoking a token must not wait for models to load.
	go signals.Each(ctx, hup, func() { reloadCredentials(log, tlsFiles, gcfg.Auth, c.tokens) }, func() { _ = reg.Reload(ctx) })
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	srv.Drain(g, c.drainDelay, c.grace, hurry)
	return nil
}

// reloadCredentials reads the TLS files and the token file again, each
// one kept as it was when its new version is broken.
func reloadCredentials(log *slog.Logger, files *tlsconf.Server, auth *server.Auth, tokens string) {
	if files != nil {
		if err := files.Reload(); err != nil {
			log.Error("TLS reload rejected; the current certificate stays", "err", err)
		} else {
			log.Info("TLS certificate reloaded", "cert", files.CertFile())
		}
	}
	if auth != nil {
		if err := auth.Reload(); err != nil {
			log.Error("token reload rejected; the current tokens stay", "err", err)
		} else {
			log.Info("tokens reloaded", "file", tokens)
		}
	}
}
