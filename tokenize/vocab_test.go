package tokenize_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stanceproject/stance/models"
	"github.com/stanceproject/stance/tokenize"
)

// TestShippedTokenizerIsTheModuleVocabulary checks that the default
// model's tokenizer.json is exactly BuildBertJSON over the
// bert-base-uncased vocabulary that github.com/sugarme/tokenizer ships, so
// the artifact's tokenisation is the library's own.
func TestShippedTokenizerIsTheModuleVocabulary(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/sugarme/tokenizer").Output()
	if err != nil {
		t.Fatalf("locate the tokenizer module: %v", err)
	}
	vocab, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "pretrained", "model", "bert-base-uncased-vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer vocab.Close()
	want, err := tokenize.BuildBertJSON(vocab)
	if err != nil {
		t.Fatal(err)
	}
	got, err := models.Default.ReadFile("default/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("models/default/tokenizer.json differs from BuildBertJSON(bert-base-uncased-vocab.txt); rebuild it with stancectl tokenizer build")
	}
}

func TestBuildBertJSONRejectsBadVocab(t *testing.T) {
	for name, vocab := range map[string]string{
		"duplicate":       "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nthe\n",
		"empty line":      "[PAD]\n\n[UNK]\n",
		"missing special": "[PAD]\n[UNK]\nthe\n",
	} {
		if _, err := tokenize.BuildBertJSON(strings.NewReader(vocab)); err == nil {
			t.Errorf("%s: BuildBertJSON accepted a bad vocabulary", name)
		}
	}
}
