package tokenize_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/stanceproject/stance/models"
	"github.com/stanceproject/stance/tokenize"
)

func load(t testing.TB) *tokenize.Tokenizer {
	t.Helper()
	data, err := models.Default.ReadFile("default/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := tokenize.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

var fixtures = []string{
	"Wang said China and Russia should work together on the formation of a multipolar world.",
	"The U.S. “rules-based order” is—in Mr. Lavrov’s words—a “so-called” order…",
	"Beijing has NOT called for Moscow to withdraw; Erdoğan’s São Paulo visit (2024) cost $1.2bn.",
	"  tabs\tand\nnewlines\r\n and\u00a0no-break\u2009thin spaces  ",
	"Control\x00chars\x07and\u200bzero\ufeffwidth\u0085next",
	"Accents: café naïve Ångström déjà vu Ελλάδα Россия",
	"Combining: cafe\u0301 re\u0301sume\u0301",
	"中国和俄罗斯 multipolar 世界 and 日本語のテキスト",
	"Special [SEP] and [CLS] tokens [MASK] in text [UNK] [PAD]",
	"Brackets [not special] stay punctuation",
	"supercalifragilisticexpialidocioussupercalifragilisticexpialidocioussupercalifragilisticexpialidociousXYZ",
	"emoji 🙂 and symbols ™ © ° ± § ¶ ‰",
	"",
	"   ",
	"...",
	"\ufeff00 \u00adsoft\u00adhyphen",
	"İstanbul ΣΊΣΥΦΟΣ ǅemal Ⱥ",
}

// check asserts that the fast path and the library agree on text.
func check(t *testing.T, tk *tokenize.Tokenizer, text string) {
	t.Helper()
	var e tokenize.Encoding
	if err := tk.Encode(text, &e); err != nil {
		t.Fatalf("Encode(%q): %v", text, err)
	}
	wantIDs, wantWords, err := tk.Reference(text)
	if err != nil {
		t.Fatalf("Reference(%q): %v", text, err)
	}
	if !slices.Equal(e.Pieces, wantIDs) {
		t.Fatalf("Encode(%q) pieces:\n got %v\nwant %v", text, pieces(tk, e.Pieces), pieces(tk, wantIDs))
	}
	for i, w := range wantWords {
		if int(e.PieceWord[i]) != w {
			t.Fatalf("Encode(%q) piece %d word = %d, want %d", text, i, e.PieceWord[i], w)
		}
	}
}

func pieces(tk *tokenize.Tokenizer, ids []int32) []string {
	var s []string
	for _, id := range ids {
		s = append(s, tk.Piece(id))
	}
	return s
}

func TestEncodeMatchesLibrary(t *testing.T) {
	tk := load(t)
	for _, text := range fixtures {
		check(t, tk, text)
	}
}

// TestEncodeMatchesLibraryOnCorpus runs the comparison on every sentence of
// the project's corpus.
func TestEncodeMatchesLibraryOnCorpus(t *testing.T) {
	tk := load(t)
	files, _ := filepath.Glob("../data/*.jsonl")
	if len(files) == 0 {
		t.Fatal("no corpus files under ../data")
	}
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var row struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &row) == nil {
				check(t, tk, row.Text)
				n++
			}
		}
		fh.Close()
	}
	t.Logf("%d sentences agree", n)
}

func TestEncodeWords(t *testing.T) {
	tk := load(t)
	var e tokenize.Encoding
	if err := tk.Encode("The U.S.-led “order”, Mr. Wang said.", &e); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range e.Words {
		got = append(got, e.Word(i))
	}
	want := []string{"the", "u", ".", "s", ".", "-", "led", "“", "order", "”", ",", "mr", ".", "wang", "said", "."}
	if !slices.Equal(got, want) {
		t.Errorf("words = %q, want %q", got, want)
	}
}

func FuzzEncode(f *testing.F) {
	tk := load(f)
	for _, s := range fixtures {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // rejected by callers before tokenisation
		}
		// The fast path runs first and must never panic, whatever the
		// library does with the same text.
		var e tokenize.Encoding
		if err := tk.Encode(text, &e); err != nil {
			t.Fatalf("Encode(%q): %v", text, err)
		}
		if _, _, err := tk.Reference(text); errors.Is(err, tokenize.ErrLibraryPanic) {
			// The library refuses this text (a known sugarme/tokenizer
			// panic): there is no reference to compare with.
			t.Logf("library refuses %q: %v", text, err)
			return
		}
		check(t, tk, text)
	})
}
