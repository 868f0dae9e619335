package segment

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"abbreviations", "The U.S. and China met in Geneva. Mr. Wang said the talks went well.",
			[]string{"The U.S. and China met in Geneva.", "Mr. Wang said the talks went well."}},
		{"closing quote", "Mr. Wang called the talks “constructive.” Critics disagreed.",
			[]string{"Mr. Wang called the talks “constructive.”", "Critics disagreed."}},
		{"ellipsis", "The word multipolar appeared nine times… Critics were unconvinced.",
			[]string{"The word multipolar appeared nine times…", "Critics were unconvinced."}},
		{"ascii ellipsis mid-sentence", "He paused... and then went on.",
			[]string{"He paused... and then went on."}},
		{"question and U.N.", "What next? Officials at the U.N. declined to comment.",
			[]string{"What next?", "Officials at the U.N. declined to comment."}},
		{"whitespace only", " \n\t ", nil},
		{"no final period", "  Talks resumed on Monday  ", []string{"Talks resumed on Monday"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, sp := range s.Split(c.doc) {
				got = append(got, c.doc[sp.Start:sp.End])
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("Split(%q)\n got %q\nwant %q", c.doc, got, c.want)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	s, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("The U.S. and China met. Mr. Wang said… “Yes.” No?")
	f.Add("a… B... c")
	f.Add("")
	f.Fuzz(func(t *testing.T, doc string) {
		prev := 0
		for _, sp := range s.Split(doc) {
			if sp.Start < prev || sp.End <= sp.Start || sp.End > len(doc) {
				t.Fatalf("bad span %v after %d in %q", sp, prev, doc)
			}
			if utf8.ValidString(doc) && !utf8.ValidString(doc[sp.Start:sp.End]) {
				t.Fatalf("span %v cuts a UTF-8 sequence in %q", sp, doc)
			}
			prev = sp.End
		}
	})
}
