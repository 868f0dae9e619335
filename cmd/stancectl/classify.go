package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/internal/lines"
	"github.com/stanceproject/stance/internal/render"
)

func (e env) classify(ctx context.Context, args []string) error {
	fs := e.newFlags("classify", "classify [flags] [TEXT...]\n\nTexts come from the arguments, else from --file, else one per line from stdin.")
	file := fs.String("file", "", "read texts from `FILE`, one per line")
	target := fs.String("target", "", "the entity the stance is about (target-conditioned models)")
	explain := fs.Bool("explain", false, "show the features behind each predicted label")
	asJSON := fs.Bool("json", false, "print one JSON object per input line")
	timeout := fs.Duration("timeout", time.Minute, "deadline of each call to the server")
	cf := connFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, closeFn, err := cf.open()
	if err != nil {
		return err
	}
	defer closeFn()

	var src io.Reader
	name := "stdin"
	switch {
	case fs.NArg() > 0:
		src = strings.NewReader(strings.Join(fs.Args(), "\n"))
		name = "argument"
	case *file != "":
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		src, name = f, *file
	default:
		src = e.stdin
	}
	out := bufio.NewWriterSize(e.stdout, 1<<16)
	defer out.Flush()
	var tab *render.Table
	if !*asJSON {
		tab = render.NewTable("TEXT")
		defer tab.Write(out) // keep the rows already classified if a later chunk fails
	}
	failed := 0
	emit := func(line int, text string, r stance.Result) error {
		if r.Err != nil {
			failed++
			fmt.Fprintf(e.stderr, "%s:%d: %v\n", name, line, r.Err)
		}
		if *asJSON {
			return render.ResultJSON(out, line, text, r)
		}
		tab.Add(text, r)
		return nil
	}
	req := stance.Request{Target: *target, Explain: *explain}
	if err := lines.Classify(ctx, b, src, name, req, *timeout, emit); err != nil {
		return err
	}
	if failed > 0 {
		out.Flush()
		fmt.Fprintf(e.stderr, "%d text(s) failed\n", failed)
		return exitCode(1)
	}
	return nil
}

func (e env) doc(ctx context.Context, args []string) error {
	fs := e.newFlags("doc", "doc [flags] [FILE]\n\nClassifies a document (--file, a FILE argument, or stdin) sentence by sentence.")
	file := fs.String("file", "", "read the document from `FILE`")
	target := fs.String("target", "", "the entity the stance is about (target-conditioned models)")
	explain := fs.Bool("explain", false, "show the features behind each predicted label")
	asJSON := fs.Bool("json", false, "print the API's ClassifyDocumentResponse as JSON (offsets in UTF-8 bytes)")
	timeout := fs.Duration("timeout", time.Minute, "deadline of the call")
	cf := connFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path := *file
	switch {
	case fs.NArg() > 1 || (fs.NArg() == 1 && path != ""):
		return errors.New("doc: give one document: --file FILE or a FILE argument")
	case fs.NArg() == 1:
		path = fs.Arg(0)
	}
	var text []byte
	var err error
	if path != "" {
		text, err = os.ReadFile(path)
	} else {
		text, err = io.ReadAll(e.stdin)
	}
	if err != nil {
		return err
	}
	b, closeFn, err := cf.open()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	doc, err := b.ClassifyDocument(ctx, stance.DocumentRequest{Text: string(text), Target: *target, Explain: *explain})
	if err != nil {
		return err
	}
	if *asJSON {
		return render.DocumentJSON(e.stdout, doc, string(text))
	}
	return render.Document(e.stdout, doc)
}

func (e env) info(ctx context.Context, args []string) error {
	fs := e.newFlags("info", "info [flags]")
	asJSON := fs.Bool("json", false, "print JSON")
	cf := connFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, closeFn, err := cf.open()
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	info, err := b.Info(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return render.InfoJSON(e.stdout, info)
	}
	return render.Info(e.stdout, info)
}
