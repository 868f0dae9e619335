// Command stanced serves the stance.v1 gRPC API over the embedded default
// model or a model directory.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"golang.org/x/term"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/internal/connlimit"
	"github.com/stanceproject/stance/internal/usage"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
	"github.com/stanceproject/stance/server"
)

func main() {
	ctx, hurry, stop := stopSignals()
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

// stopSignals returns a context that ends on the first SIGTERM or SIGINT,
// and a channel closed when the drain delay is to be skipped: on a second
// signal, or at once for SIGINT when stdin is a terminal (a person pressed
// Ctrl-C; no balancer is waiting to see the readiness flip).
func stopSignals() (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	hurry := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		if sig == os.Interrupt && term.IsTerminal(int(os.Stdin.Fd())) {
			close(hurry)
			cancel()
			return
		}
		cancel()
		<-sigs
		close(hurry)
	}()
	return ctx, hurry, func() { signal.Stop(sigs); cancel() }
}

type config struct {
	addr, model, metricsAddr, logLevel, logFormat   string
	tlsCert, tlsKey, clientCA, tokens               string
	openReflection, watch                           bool
	maxTextBytes, maxBatch, maxDocBytes, maxDocSent int
	maxRecvBytes, maxStreams, maxTargetBytes        int
	maxConns, maxInflight, maxHeaderBytes           int
	defaultTimeout, grace, drainDelay, handshake    time.Duration
}

// flags declares every flag with its environment-variable twin: the
// variable sets the default, the flag overrides it.
func flags(fs *flag.FlagSet, c *config) error {
	var errs []error
	str := func(p *string, name, env, def, usage string) {
		fs.StringVar(p, name, envOr(env, def), usage+" (env "+env+")")
	}
	num := func(p *int, name, env string, def int, usage string) {
		v := def
		if s, ok := os.LookupEnv(env); ok && s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not an integer", env, s))
			}
			v = n
		}
		fs.IntVar(p, name, v, usage+" (env "+env+")")
	}
	dur := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		v := def
		if s, ok := os.LookupEnv(env); ok && s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not a duration", env, s))
			}
			v = d
		}
		fs.DurationVar(p, name, v, usage+" (env "+env+")")
	}
	boolean := func(p *bool, name, env string, def bool, usage string) {
		v := def
		if s, ok := os.LookupEnv(env); ok && s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: not a boolean", env, s))
			}
			v = b
		}
		fs.BoolVar(p, name, v, usage+" (env "+env+")")
	}
	str(&c.addr, "addr", "STANCE_ADDR", "localhost:50051", "listen on `HOST:PORT`")
	str(&c.model, "model", "STANCE_MODEL", "", "serve the model in `DIR` (default: the embedded default model)")
	str(&c.metricsAddr, "metrics-addr", "STANCE_METRICS_ADDR", "", "serve Prometheus metrics on `HOST:PORT` at /metrics (default: off)")
	str(&c.logLevel, "log-level", "STANCE_LOG_LEVEL", "info", "log level: debug (one line per call), info, warn or error")
	str(&c.logFormat, "log-format", "STANCE_LOG_FORMAT", "text", "log format: text or json")
	num(&c.maxTextBytes, "max-text-bytes", "STANCE_MAX_TEXT_BYTES", engine.DefaultMaxTextBytes, "largest text of Classify, a batch item or a stream item, in bytes")
	num(&c.maxBatch, "max-batch-size", "STANCE_MAX_BATCH_SIZE", server.DefaultMaxBatchSize, "most requests in one ClassifyBatch")
	num(&c.maxDocBytes, "max-document-bytes", "STANCE_MAX_DOCUMENT_BYTES", engine.DefaultMaxDocumentBytes, "largest document of ClassifyDocument, in bytes")
	num(&c.maxDocSent, "max-document-sentences", "STANCE_MAX_DOCUMENT_SENTENCES", engine.DefaultMaxDocumentSentences, "most sentences in one document")
	num(&c.maxRecvBytes, "max-recv-bytes", "STANCE_MAX_RECV_BYTES", 0, "largest request message in bytes (default: room for the largest document or full batch, plus 1 MiB)")
	str(&c.tlsCert, "tls-cert", "STANCE_TLS_CERT", "", "serve TLS with the certificate in `FILE` (PEM); needs --tls-key; re-read on SIGHUP")
	str(&c.tlsKey, "tls-key", "STANCE_TLS_KEY", "", "the private key `FILE` of --tls-cert (PEM)")
	str(&c.clientCA, "client-ca", "STANCE_CLIENT_CA", "", "require client certificates signed by the CAs in `FILE` (mutual TLS)")
	str(&c.tokens, "auth-tokens", "STANCE_AUTH_TOKENS", "", "require \"authorization: Bearer TOKEN\" with one of the tokens in `FILE` (one a line, re-read on SIGHUP); health checks stay open")
	boolean(&c.openReflection, "open-reflection", "STANCE_OPEN_REFLECTION", false, "with --auth-tokens: leave server reflection callable without a token")
	boolean(&c.watch, "watch", "STANCE_WATCH", false, "with --model: reload when the model directory's manifest changes (checked every 2s); SIGHUP always reloads")
	num(&c.maxTargetBytes, "max-target-bytes", "STANCE_MAX_TARGET_BYTES", engine.DefaultMaxTargetBytes, "largest target, in bytes")
	num(&c.maxStreams, "max-concurrent-streams", "STANCE_MAX_CONCURRENT_STREAMS", server.DefaultMaxConcurrentStreams, "most concurrent calls and streams on one connection")
	num(&c.maxConns, "max-connections", "STANCE_MAX_CONNECTIONS", defaultMaxConnections, "most open connections; past it a new one replaces the oldest that has sent nothing, or is refused")
	num(&c.maxInflight, "max-inflight", "STANCE_MAX_INFLIGHT", server.DefaultMaxInflight, "most classification calls in progress (an open ClassifyStream counts as one); more are refused with RESOURCE_EXHAUSTED")
	num(&c.maxHeaderBytes, "max-header-bytes", "STANCE_MAX_HEADER_BYTES", server.DefaultMaxHeaderListBytes, "largest header list (metadata) of a call, in bytes")
	dur(&c.handshake, "handshake-timeout", "STANCE_HANDSHAKE_TIMEOUT", server.DefaultConnectionTimeout, "how long a new connection may take to complete its TLS and HTTP/2 handshakes")
	dur(&c.defaultTimeout, "default-timeout", "STANCE_DEFAULT_TIMEOUT", 30*time.Second, "deadline of calls that set none")
	dur(&c.grace, "grace-period", "STANCE_GRACE_PERIOD", 10*time.Second, "on SIGTERM, how long calls in flight may take to finish")
	dur(&c.drainDelay, "drain-delay", "STANCE_DRAIN_DELAY", 5*time.Second, "on SIGTERM, how long readiness reports NOT_SERVING while calls are still served, before the grace period; a second signal, or SIGINT at a terminal, skips it")
	return errors.Join(errs...)
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
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
	log, err := newLogger(stderr, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}

	// SIGHUP is caught from the start (its default would end the process),
	// and the model directory is stamped before it is read, so that a model
	// published while the server starts is loaded once it serves.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	stamp := dirStamp(c.model)
	m, err := models.Load(c.model)
	if err != nil {
		return err
	}
	eng, err := engine.New(m, engine.Config{MaxTextBytes: c.maxTextBytes, MaxDocumentBytes: c.maxDocBytes, MaxDocumentSentences: c.maxDocSent, MaxTargetBytes: c.maxTargetBytes})
	if err != nil {
		return err
	}
	srv := server.New(eng, server.Config{MaxBatchSize: c.maxBatch, Logger: log})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gcfg := server.GRPCConfig{
		MaxRecvBytes:         c.maxRecvBytes,
		MaxConcurrentStreams: uint32(max(c.maxStreams, 1)),
		MaxHeaderListBytes:   uint32(max(c.maxHeaderBytes, 1024)),
		MaxInflight:          c.maxInflight,
		ConnectionTimeout:    c.handshake,
		DefaultTimeout:       c.defaultTimeout,
		Registerer:           reg,
	}
	if c.tokens != "" {
		if gcfg.Auth, err = server.ReadTokens(c.tokens); err != nil {
			return err
		}
		gcfg.Auth.OpenReflection = c.openReflection
	}
	creds, tlsFiles, err := tlsCredentials(c.tlsCert, c.tlsKey, c.clientCA)
	if err != nil {
		return err
	}
	if creds != nil {
		gcfg.Options = append(gcfg.Options, grpc.Creds(creds))
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
		ms := &http.Server{Addr: c.metricsAddr, Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := ms.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "err", err)
			}
		}()
		defer ms.Close()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- g.Serve(lis) }()

	if err := srv.Warm(); err != nil {
		g.Stop()
		return fmt.Errorf("warm-up: %w", err)
	}
	srv.SetReady(true)
	man := m.ManifestRef()
	log.Info("serving", "addr", lis.Addr().String(), "model", man.Name, "version", man.Version, "startup", time.Since(start).Round(time.Millisecond))
	if ready != nil {
		ready <- lis.Addr()
	}

	go reloadLoop(ctx, srv, c, log, hup, stamp, func() { reloadCredentials(log, tlsFiles, gcfg.Auth, c.tokens) })
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	return drain(srv, g, c, log, hurry)
}

// drain stops the server: readiness turns NOT_SERVING at once, calls are
// still served for the drain delay so that balancers polling readiness
// see the flip, then health watches end and calls in flight get the grace
// period.
func drain(srv *server.Server, g *grpc.Server, c config, log *slog.Logger, hurry <-chan struct{}) error {
	start := time.Now()
	srv.Shutdown()
	_, before := srv.Calls()
	log.Info("draining", "delay", c.drainDelay, "grace", c.grace)
	if c.drainDelay > 0 {
		t := time.NewTimer(c.drainDelay)
		select {
		case <-t.C:
		case <-hurry:
			t.Stop()
			log.Info("drain delay skipped")
		}
	}
	srv.EndWatches()
	done := make(chan struct{})
	go func() { g.GracefulStop(); close(done) }()
	var cut int64
	select {
	case <-done:
	case <-time.After(c.grace):
		cut, _ = srv.Calls()
		log.Warn("grace period over; closing remaining calls", "calls", cut)
		g.Stop()
	}
	_, after := srv.Calls()
	log.Info("drained", "calls_finished", after-before-cut, "calls_cut", cut, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// tlsFiles holds the server's certificate, key and client CAs. They are
// read again on SIGHUP, so that certificates rotate without a restart:
// each handshake takes the configuration current at the time.
type tlsFiles struct {
	cert, key, clientCA string
	cfg                 atomic.Pointer[tls.Config]
}

// tlsCredentials returns server TLS credentials and their files, or nils
// for plaintext.
func tlsCredentials(certFile, keyFile, clientCA string) (credentials.TransportCredentials, *tlsFiles, error) {
	if certFile == "" && keyFile == "" {
		if clientCA != "" {
			return nil, nil, errors.New("--client-ca needs --tls-cert and --tls-key")
		}
		return nil, nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, nil, errors.New("--tls-cert and --tls-key go together")
	}
	f := &tlsFiles{cert: certFile, key: keyFile, clientCA: clientCA}
	if err := f.load(); err != nil {
		return nil, nil, err
	}
	return credentials.NewTLS(&tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return f.cfg.Load(), nil },
	}), f, nil
}

// load reads the files; when one is missing or invalid, the configuration
// in use stays and the error says which.
func (f *tlsFiles) load() error {
	cert, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		return fmt.Errorf("load TLS key pair %s, %s: %w", f.cert, f.key, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.clientCA != "" {
		pem, err := os.ReadFile(f.clientCA)
		if err != nil {
			return err
		}
		cfg.ClientCAs = x509.NewCertPool()
		if !cfg.ClientCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no PEM certificates", f.clientCA)
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	f.cfg.Store(cfg)
	return nil
}

// reloadCredentials reads the TLS files and the token file again, each
// one kept as it was when its new version is broken.
func reloadCredentials(log *slog.Logger, files *tlsFiles, auth *server.Auth, tokens string) {
	if files != nil {
		if err := files.load(); err != nil {
			log.Error("TLS reload rejected; the current certificate stays", "err", err)
		} else {
			log.Info("TLS certificate reloaded", "cert", files.cert)
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

// reloadLoop reloads the model and the credentials on SIGHUP and, with
// --watch, the model when its directory changes. Polling a stamp of the
// directory's files rather than watching inotify events also catches the
// directory swaps (a symlink flipped to a new directory) that deployments
// use to publish a model atomically. A rejected model is retried when the
// files change again, so a manifest that arrives before its weights is
// picked up once they land.
func reloadLoop(ctx context.Context, srv *server.Server, c config, log *slog.Logger, hup <-chan os.Signal, last string, credentials func()) {
	var tick <-chan time.Time
	if c.watch && c.model != "" {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		tick = t.C
	}
	reload := func() {
		if c.model == "" {
			log.Info("model not reloaded: it is the embedded one; start with --model DIR to reload models")
			return
		}
		srv.Reload(func() (*linear.Model, error) { return models.Load(c.model) })
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			// Credentials first: revoking a token must not wait for a
			// model to load.
			credentials()
			last = dirStamp(c.model)
			reload()
		case <-tick:
			if s := dirStamp(c.model); s != last {
				last = s
				reload()
			}
		}
	}
}

// dirStamp identifies the current files of a model directory: the
// manifest's content and the size and modification time of the others.
func dirStamp(dir string) string {
	if dir == "" {
		return ""
	}
	h := sha256.New()
	for _, name := range []string{linear.ManifestFile, linear.TokenizerFile, linear.WeightsFile} {
		p := filepath.Join(dir, name)
		if name == linear.ManifestFile {
			data, err := os.ReadFile(p)
			fmt.Fprintf(h, "%s %v %x\n", name, err, sha256.Sum256(data))
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(h, "%s %v\n", name, err)
			continue
		}
		fmt.Fprintf(h, "%s %d %d\n", name, fi.Size(), fi.ModTime().UnixNano())
	}
	return string(h.Sum(nil))
}
