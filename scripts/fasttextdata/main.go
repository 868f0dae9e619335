// Command fasttextdata writes corpus files in fastText's training format
// ("__label__a __label__b text") or, with -text, the bare sentences, one a
// line, for the comparison in scripts/fasttext-compare.sh.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/stanceproject/stance/dataset"
)

func main() {
	textOnly := flag.Bool("text", false, "write the sentences only")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, f := range flag.Args() {
		exs, _, err := dataset.ReadFile(f, dataset.Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, x := range exs {
			text := strings.Join(strings.Fields(x.Text), " ")
			if !*textOnly {
				for _, l := range x.Labels {
					fmt.Fprintf(w, "__label__%s ", l)
				}
			}
			fmt.Fprintln(w, text)
		}
	}
}
