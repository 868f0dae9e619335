package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/dataset"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/eval"
	"github.com/stanceproject/stance/internal/render"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
)

func (e env) eval(ctx context.Context, args []string) error {
	fs := e.newFlags("eval", "eval --data FILE [--model DIR | --addr HOST:PORT] [flags]")
	data := fs.String("data", "", "labelled data `FILE` (required)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	reportDir := fs.String("report", "", "write an HTML report with plots and report.json into `DIR`")
	errorsFile := fs.String("errors", "", "write the misclassified examples as JSONL to `FILE`")
	baseline := fs.String("baseline", "", "baseline JSON `FILE`: exit 1 when macro-F1 (or F_avg) drops more than --max-drop below it")
	maxDrop := fs.Float64("max-drop", 0.01, "the margin of --baseline")
	writeBaseline := fs.String("write-baseline", "", "write this run's figures as a baseline JSON `FILE`")
	bootstrap := fs.Int("bootstrap", 1000, "bootstrap resamples for confidence intervals (0 = none)")
	seed := fs.Uint64("seed", 1, "seed of the bootstrap and of --cv folds")
	cv := fs.Int("cv", 0, "instead of evaluating a model, cross-validate the training options with `K` folds of --data")
	l2 := fs.Float64("l2", 0, "with --cv: the L2 strength to train with (default: the first of train's grid)")
	chars := fs.Bool("char-ngrams", false, "with --cv: add character 3–5-grams")
	concurrency := fs.Int("concurrency", 4, "with --addr: calls in flight")
	quiet := fs.Bool("quiet", false, "no progress bar")
	explainShare := fs.Bool("explain-share", false, "also measure the share of the explanation weight that function words and punctuation carry")
	lexFile := fs.String("lexicon", "", "with --cv: the concept lexicon `FILE` to train with")
	cf := connFlags(fs)
	readOpts := dataset.Flags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		fs.Usage()
		return errors.New("eval: --data is required")
	}
	exs, err := e.readData(*data, readOpts())
	if err != nil {
		return err
	}
	opt := eval.Options{Seed: *seed, Bootstrap: *bootstrap}
	if *bootstrap == 0 {
		opt.Bootstrap = -1
	}
	if *cv > 0 {
		var lex []byte
		if *lexFile != "" {
			if lex, err = os.ReadFile(*lexFile); err != nil {
				return err
			}
		}
		return e.crossValidate(ctx, exs, *cv, *seed, *l2, *chars, lex, *asJSON)
	}

	remote := false
	fs.Visit(func(f *flag.Flag) { remote = remote || f.Name == "addr" })
	*cf.local = !remote
	b, closeFn, err := cf.open()
	if err != nil {
		return err
	}
	defer closeFn()
	bar := render.NewProgress(e.stderr, *quiet, "evaluating")
	ro := eval.RunOptions{Explain: *explainShare, Progress: bar.Set}
	if remote { // one call per example, so that the latency figures are those of single calls
		ro.Concurrency = max(1, *concurrency)
	}
	rep, results, err := eval.Evaluate(ctx, b, exs, opt, ro)
	bar.Done()
	if err != nil {
		return err
	}
	info, err := b.Info(ctx)
	if err != nil {
		return err
	}
	if *explainShare {
		share := eval.FunctionWordShare(results, linear.OnlyFunctionWords)
		rep.FunctionWordShare = &share
	}
	if *reportDir != "" {
		if rep.Run, err = eval.ProvenanceOf(info, *data, append([]string{"stancectl", "eval"}, args...)); err != nil {
			return err
		}
		if rep.WorstErrors, err = eval.WorstErrors(ctx, b, exs, results, worstShown); err != nil {
			return err
		}
	}
	if err := e.writeOutputs(rep, *asJSON, *reportDir); err != nil {
		return err
	}
	if *errorsFile != "" {
		if err := eval.WriteErrors(*errorsFile, exs, results); err != nil {
			return err
		}
	}
	if *writeBaseline != "" {
		if err := eval.WriteBaseline(*writeBaseline, rep, *data, info.Name+" "+info.Version); err != nil {
			return err
		}
	}
	if *baseline != "" {
		bl, err := eval.ReadBaseline(*baseline)
		if err != nil {
			return err
		}
		if err := rep.Gate(bl, *maxDrop); err != nil {
			fmt.Fprintln(e.stderr, "regression:", err)
			return exitCode(1)
		}
		fmt.Fprintf(e.stderr, "within %.3f of the baseline %s\n", *maxDrop, *baseline)
	}
	return nil
}

func (e env) writeOutputs(rep *eval.Report, asJSON bool, reportDir string) error {
	if asJSON {
		raw, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(raw))
	} else if err := rep.WriteTable(e.stdout); err != nil {
		return err
	}
	if reportDir != "" {
		if err := eval.WriteHTML(reportDir, rep); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "report written to %s/index.html\n", reportDir)
	}
	return nil
}

// worstShown is how many misclassified items the report explains.
const worstShown = 10

// evaluateModel scores a freshly trained model on examples in process.
func evaluateModel(ctx context.Context, m *linear.Model, exs []dataset.Example, opt eval.Options) (*eval.Report, error) {
	eng, err := engine.New(m, engine.Config{})
	if err != nil {
		return nil, err
	}
	rep, _, err := eval.Evaluate(ctx, eng, exs, opt, eval.RunOptions{})
	return rep, err
}

// crossValidate reports the mean and spread of held-out figures of the
// given training options over k folds of one data file.
func (e env) crossValidate(ctx context.Context, exs []dataset.Example, k int, seed uint64, l2 float64, chars bool, lexicon []byte, asJSON bool) error {
	tok, err := models.DefaultTokenizer()
	if err != nil {
		return err
	}
	feat := linear.DefaultFeatures
	if chars {
		feat.CharMin, feat.CharMax = 3, 5
	}
	feat.Concepts = lexicon != nil
	cfg := linear.TrainConfig{Folds: 1, Seed: seed, Tokenizer: tok, Lexicon: lexicon, Grid: []linear.Features{feat}}
	if l2 > 0 {
		cfg.L2 = []float64{l2}
	}
	var eng *engine.Engine // one language detector for every fold
	cv, err := eval.CrossValidate(ctx, exs, k, seed, func(train []dataset.Example) (stance.Classifier, error) {
		m, err := linear.Train(train, nil, cfg)
		if err != nil {
			return nil, err
		}
		feat = m.Manifest().Features // training turns on target crossing for target data
		if eng == nil {
			eng, err = engine.New(m, engine.Config{})
			return eng, err
		}
		return eng.With(m), nil
	})
	if err != nil {
		return fmt.Errorf("eval: --cv: %w", err)
	}
	if asJSON {
		return cv.WriteJSON(e.stdout, map[string]any{"l2": cfg.L2, "features": feat})
	}
	return cv.WriteText(e.stdout, fmt.Sprintf("features %+v", feat))
}
