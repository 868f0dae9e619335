// Command corpusfmt writes corpus files in the formats the benchmark
// scripts feed to other tools: fastText's training format ("__label__a
// text"), bare sentences one a line, or a ClassifyBatchRequest as JSON.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/stanceproject/stance/dataset"
)

func main() {
	format := flag.String("format", "fasttext", "fasttext, text or batch")
	n := flag.Int("n", 0, "write at most n sentences (0: all)")
	flag.Parse()
	if err := run(*format, *n, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "corpusfmt:", err)
		os.Exit(1)
	}
}

func run(format string, n int, files []string) error {
	var exs []dataset.Example
	for _, f := range files {
		e, _, err := dataset.ReadFile(f, dataset.Options{})
		if err != nil {
			return err
		}
		exs = append(exs, e...)
	}
	if n > 0 && n < len(exs) {
		exs = exs[:n]
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	switch format {
	case "fasttext", "text":
		for _, x := range exs {
			if format == "fasttext" {
				for _, l := range x.Labels {
					fmt.Fprintf(w, "__label__%s ", l)
				}
			}
			fmt.Fprintln(w, strings.Join(strings.Fields(x.Text), " "))
		}
	case "batch":
		type req struct {
			Text string `json:"text"`
		}
		var batch struct {
			Requests []req `json:"requests"`
		}
		for _, x := range exs {
			batch.Requests = append(batch.Requests, req{x.Text})
		}
		return json.NewEncoder(w).Encode(batch)
	default:
		return fmt.Errorf("unknown format %q", format)
	}
	return nil
}
