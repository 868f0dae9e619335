package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/client"
	"github.com/stanceproject/stance/dataset"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/internal/envflag"
	"github.com/stanceproject/stance/internal/tlsconf"
)

// readData reads a data file for eval or train. It says once on stderr
// how many rows were skipped as malformed and how many carried fields or
// columns the reader leaves aside.
func (e env) readData(path string, opt dataset.Options) ([]dataset.Example, error) {
	exs, skipped, err := dataset.ReadFile(path, opt)
	if err != nil {
		return nil, err
	}
	if skipped > 0 {
		fmt.Fprintf(e.stderr, "%s: skipped %d malformed rows\n", path, skipped)
	}
	if u := dataset.UnusedFields(exs); u != "" {
		fmt.Fprintf(e.stderr, "%s: ignored fields not used: %s of %d rows\n", path, u, len(exs))
	}
	return exs, nil
}

// connFlagValues select a backend.
type connFlagValues struct {
	addr, model, modelName, caFile, certFile, keyFile, serverName, tokenFile *string
	local                                                                    *bool
}

func connFlags(fs *flag.FlagSet) connFlagValues {
	return connFlagValues{
		addr:       fs.String("addr", envflag.Get("STANCE_ADDR", "localhost:50051"), "server `HOST:PORT` (env STANCE_ADDR)"),
		local:      fs.Bool("local", false, "run the model in-process instead of calling a server"),
		model:      fs.String("model", envflag.Get("STANCE_MODEL", ""), "with --local: model `DIR` (env STANCE_MODEL; default: the embedded model)"),
		modelName:  fs.String("model-name", envflag.Get("STANCE_MODEL_NAME", ""), "the served model to use, by `NAME` (env STANCE_MODEL_NAME; default: the server's default model)"),
		caFile:     fs.String("tls-ca", "", "connect with TLS, trusting the CA certificates in `FILE` (PEM)"),
		certFile:   fs.String("tls-cert", "", "client certificate `FILE` for mutual TLS (PEM)"),
		keyFile:    fs.String("tls-key", "", "client key `FILE` for mutual TLS (PEM)"),
		serverName: fs.String("tls-server-name", "", "expected server name in its certificate (default: from --addr)"),
		tokenFile:  fs.String("token-file", "", "send the bearer token in `FILE` (default: the environment variable STANCE_TOKEN)"),
	}
}

// open returns the selected backend and a function that releases it.
func (c connFlagValues) open() (stance.DocumentClassifier, func(), error) {
	if *c.local {
		if *c.modelName != "" {
			return nil, nil, errors.New("--model-name chooses among a server's models; with --local, choose the model with --model DIR")
		}
		reg, err := engine.Open(context.Background(), []engine.Source{{Dir: *c.model}}, engine.Config{}, nil)
		return reg, func() {}, err
	}
	opts := []client.Option{client.WithModel(*c.modelName)}
	if *c.caFile != "" || *c.certFile != "" {
		cfg, err := tlsconf.Client(*c.caFile, *c.certFile, *c.keyFile, *c.serverName)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, client.WithTLS(cfg))
	}
	token, err := client.ReadToken(*c.tokenFile)
	if err != nil {
		return nil, nil, err
	}
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	cl, err := client.New(*c.addr, opts...)
	if err != nil {
		return nil, nil, err
	}
	return cl, func() { cl.Close() }, nil
}
