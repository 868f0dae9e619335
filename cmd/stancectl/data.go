package main

import (
	"errors"
	"fmt"

	"github.com/stanceproject/stance/dataset"
	"github.com/stanceproject/stance/linear"
)

func (e env) dataCheck(args []string) error {
	fs := e.newFlags("data check", "data check [flags] FILE...")
	labelsFile := fs.String("labels", "data/labels.json", "JSON `FILE` of [{name, description}]: the allowed labels")
	overlap := fs.Float64("max-overlap", 0.8, "near-duplicate threshold: word-set Jaccard overlap above it is reported")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("data check: no files")
	}
	defs, err := linear.ReadLabels(*labelsFile)
	if err != nil {
		return err
	}
	var labels []string
	for _, d := range defs {
		labels = append(labels, d.Name)
	}
	problems, err := dataset.Check(fs.Args(), dataset.CheckOptions{Labels: labels, MaxOverlap: *overlap})
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	for _, f := range fs.Args() {
		exs, _, err := dataset.ReadFile(f, dataset.Options{SkipBad: true})
		if err != nil {
			continue // already reported above
		}
		st := dataset.Summarize(exs)
		fmt.Fprintf(e.stderr, "%s: %d examples, %d multi-label, %d hard cases\n", f, st.N, st.MultiLabel, sum(st.Hard))
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "%d problem(s)\n", len(problems))
		return exitCode(1)
	}
	return nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
