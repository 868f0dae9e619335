// Command englishwords writes the English word list of langid: the whole
// words of the default model's WordPiece vocabulary and the words written
// in lower case at least twice in the training corpus, each of two or more
// ASCII letters, one a line, sorted. Run it through `make english-words`
// after the corpus or the tokenizer changes.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/stanceproject/stance/dataset"
)

func main() {
	tokFile := flag.String("tokenizer", "models/default/tokenizer.json", "tokenizer.json whose vocabulary to take")
	out := flag.String("out", "langid/english.txt", "list to write")
	flag.Parse()
	if err := run(*tokFile, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "englishwords:", err)
		os.Exit(1)
	}
}

func run(tokFile, out string, corpus []string) error {
	raw, err := os.ReadFile(tokFile)
	if err != nil {
		return err
	}
	var tok struct {
		Model struct {
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil {
		return fmt.Errorf("%s: %w", tokFile, err)
	}
	words := map[string]bool{}
	for w := range tok.Model.Vocab {
		if plain(w) {
			words[w] = true
		}
	}
	seen := map[string]int{}
	for _, f := range corpus {
		exs, _, err := dataset.ReadFile(f, dataset.Options{})
		if err != nil {
			return err
		}
		for _, x := range exs {
			// Only words written in lower case: capitalised ones are
			// mostly names, of any language.
			for _, w := range strings.FieldsFunc(x.Text, func(r rune) bool { return !unicode.IsLetter(r) }) {
				if plain(w) {
					seen[w]++
				}
			}
		}
	}
	for w, n := range seen {
		if n >= 2 {
			words[w] = true
		}
	}
	list := slices.Sorted(func(yield func(string) bool) {
		for w := range words {
			if !yield(w) {
				return
			}
		}
	})
	return os.WriteFile(out, []byte(strings.Join(list, "\n")+"\n"), 0o644)
}

// plain reports whether w is two or more lower-case ASCII letters.
func plain(w string) bool {
	if len(w) < 2 {
		return false
	}
	for i := range len(w) {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}
