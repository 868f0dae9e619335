package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/stanceproject/stance/dataset"
	"github.com/stanceproject/stance/eval"
	"github.com/stanceproject/stance/internal/render"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
	"github.com/stanceproject/stance/tokenize"
)

func (e env) train(ctx context.Context, args []string) error {
	fs := e.newFlags("train", "train --train FILE [--dev FILE] --out DIR [flags]")
	trainFile := fs.String("train", "", "training data `FILE` (required)")
	devFile := fs.String("dev", "", "development data `FILE` for thresholds and the reported metrics; without it thresholds come from cross-validation")
	out := fs.String("out", "", "output model `DIR` (required)")
	seed := fs.Uint64("seed", 1, "random seed of fold assignment")
	labelsFile := fs.String("labels", "", "JSON `FILE` of [{name, description}] fixing label order and descriptions")
	name := fs.String("name", "stance", "model name")
	desc := fs.String("description", "", "model description")
	folds := fs.Int("cv", 3, "cross-validation folds for choosing hyperparameters (1 = no search)")
	l2 := fs.String("l2", "", "comma-separated L2 strengths to compare (default 1e-6,3e-6,1e-5,3e-5)")
	tokFile := fs.String("tokenizer", "", "tokenizer.json `FILE` (default: the default model's)")
	grid := fs.String("grid", "", "feature sets cross-validation compares, comma-separated, each `default` or default joined with +chars (character 3–5-grams), +allwords (function words and punctuation as features), +nostems, +nonegation, +concepts (needs --lexicon); the default compares default and default+chars, each also +concepts with --lexicon")
	lexFile := fs.String("lexicon", "", "concept lexicon `FILE` (JSON); cross-validation compares features with and without it")
	quiet := fs.Bool("quiet", false, "no progress bar")
	readOpts := dataset.Flags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *trainFile == "" || *out == "" {
		fs.Usage()
		return errors.New("train: --train and --out are required")
	}
	opt := readOpts()
	cfg := linear.TrainConfig{Name: *name, Description: *desc, Folds: *folds, Seed: *seed, Data: map[string]linear.DataRef{}}
	var err error
	if *labelsFile != "" {
		if cfg.Labels, err = linear.ReadLabels(*labelsFile); err != nil {
			return err
		}
		for _, l := range cfg.Labels {
			opt.Labels = append(opt.Labels, l.Name)
		}
	}
	if *l2 != "" {
		if cfg.L2, err = linear.ParseL2(*l2); err != nil {
			return fmt.Errorf("train: --l2: %w", err)
		}
	}
	if *grid != "" {
		if cfg.Grid, err = linear.ParseGrid(*grid); err != nil {
			return fmt.Errorf("train: --grid: %w", err)
		}
	}
	if *tokFile != "" {
		cfg.Tokenizer, err = os.ReadFile(*tokFile)
	} else {
		cfg.Tokenizer, err = models.DefaultTokenizer()
	}
	if err != nil {
		return err
	}
	if *lexFile != "" {
		if cfg.Lexicon, err = os.ReadFile(*lexFile); err != nil {
			return err
		}
		if _, err := linear.ParseLexicon(cfg.Lexicon); err != nil {
			return fmt.Errorf("%s: %w", *lexFile, err)
		}
	}
	cfg.Created = time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		cfg.Created = time.Unix(sec, 0)
	}
	train, err := e.readExamples(*trainFile, opt, "train", cfg.Data)
	if err != nil {
		return err
	}
	var dev []dataset.Example
	if *devFile != "" {
		if dev, err = e.readExamples(*devFile, opt, "dev", cfg.Data); err != nil {
			return err
		}
	}
	bar := render.NewProgress(e.stderr, *quiet, "training")
	cfg.Progress = bar.Set
	start := time.Now()
	m, err := linear.Train(train, dev, cfg)
	bar.Done()
	if err != nil {
		return err
	}
	if len(dev) > 0 {
		rep, err := evaluateModel(ctx, m, dev, eval.Options{Seed: 1})
		if err != nil {
			return err
		}
		m.SetMetrics("dev", rep.Summary())
		fmt.Fprintf(e.stdout, "dev (%d examples):\n", len(dev))
		if err := rep.WriteTable(e.stdout); err != nil {
			return err
		}
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	man := m.Manifest()
	fmt.Fprintf(e.stdout, "trained %s %s in %s: %d labels, l2 %g, features %+v, thresholds from %s\nwrote %s\n",
		man.Name, man.Version, time.Since(start).Round(time.Millisecond), len(man.Labels),
		man.Hyperparameters.L2, man.Features, man.Hyperparameters.Thresholds, *out)
	return nil
}

// readExamples reads a data file for training and records it in refs.
func (e env) readExamples(path string, opt dataset.Options, role string, refs map[string]linear.DataRef) ([]dataset.Example, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	exs, err := e.readData(path, opt)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	refs[role] = linear.DataRef{File: filepath.ToSlash(path), SHA256: hex.EncodeToString(sum[:]), Examples: len(exs)}
	return exs, nil
}

func (e env) tokenizer(args []string) error {
	fs := e.newFlags("tokenizer build", "tokenizer build --vocab FILE --out FILE")
	vocab := fs.String("vocab", "", "BERT vocab.txt `FILE`, one token a line")
	out := fs.String("out", "", "tokenizer.json `FILE` to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *vocab == "" || *out == "" {
		fs.Usage()
		return errors.New("tokenizer build: --vocab and --out are required")
	}
	f, err := os.Open(*vocab)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := tokenize.BuildBertJSON(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *vocab, err)
	}
	return os.WriteFile(*out, data, 0o644)
}
