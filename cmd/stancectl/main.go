// Command stancectl classifies texts and documents with a stance server or
// an in-process model, trains and evaluates models, and checks data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/stanceproject/stance/internal/usage"
)

const usageText = `stancectl — stance classification from the command line

Usage:
  stancectl classify [flags] [TEXT...]   classify texts (arguments, --file, or stdin lines)
  stancectl doc [flags] [FILE]           classify a document (--file, FILE or stdin) sentence by sentence
  stancectl info [flags]                 describe the model
  stancectl train [flags]                train a model
  stancectl eval [flags]                 evaluate a model on labelled data
  stancectl data check FILE...           check corpus files
  stancectl tokenizer build --vocab FILE --out FILE
                                         write a BERT tokenizer.json from a vocab.txt

Run "stancectl COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		if errors.Is(err, flag.ErrHelp) { // --help asked for the usage: not an error
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "stancectl:", err)
		os.Exit(2)
	}
}

// exitCode ends the process with a code after the command printed why.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// env bundles the process's streams for commands.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitCode(2)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "classify":
		return e.classify(ctx, rest)
	case "doc":
		return e.doc(ctx, rest)
	case "info":
		return e.info(ctx, rest)
	case "train":
		return e.train(ctx, rest)
	case "eval":
		return e.eval(ctx, rest)
	case "data":
		if len(rest) > 0 && rest[0] == "check" {
			return e.dataCheck(rest[1:])
		}
		return e.groupUsage(rest, "data check", "[flags] FILE...")
	case "tokenizer":
		if len(rest) > 0 && rest[0] == "build" {
			return e.tokenizer(rest[1:])
		}
		return e.groupUsage(rest, "tokenizer build", "--vocab FILE --out FILE")
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	fmt.Fprint(stderr, usageText)
	return fmt.Errorf("unknown command %q", cmd)
}

// groupUsage answers a command that groups subcommands (data, tokenizer)
// when args name none of them: with the usage of sub, the one subcommand,
// and success when help was asked for.
func (e env) groupUsage(args []string, sub, synopsis string) error {
	if len(args) > 0 && slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]) {
		fmt.Fprintf(e.stderr, "Usage: stancectl %s %s\n\nRun \"stancectl %s --help\" for its flags.\n", sub, synopsis, sub)
		return flag.ErrHelp
	}
	return fmt.Errorf("usage: stancectl %s %s", sub, synopsis)
}

// parseFlags parses args with fs. The flag package has already printed a
// bad flag's error and the usage, so that error becomes a bare exit status
// 2 instead of being printed a second time.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return exitCode(2)
	}
	return err
}

// newFlags returns a flag set that reports errors instead of exiting.
func (e env) newFlags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: stancectl %s\n\nFlags:\n", synopsis)
		usage.Flags(e.stderr, fs)
	}
	return fs
}
