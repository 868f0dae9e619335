package tokenize_test

import (
	"testing"

	"github.com/stanceproject/stance/tokenize"
)

// sentence is a typical 36-word news sentence.
const sentence = "In the face of unilateral actions and hegemony, the two countries should deepen strategic cooperation and make global governance fairer, the foreign ministry spokesperson told reporters in Beijing on Tuesday, adding that “no single country should dominate”."

// BenchmarkEncode is the fast path in steady state (warm word cache).
func BenchmarkEncode(b *testing.B) {
	tk := load(b)
	var e tokenize.Encoding
	b.ReportAllocs()
	for b.Loop() {
		if err := tk.Encode(sentence, &e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReference is the library's full pipeline on the same sentence.
func BenchmarkReference(b *testing.B) {
	tk := load(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tk.Reference(sentence); err != nil {
			b.Fatal(err)
		}
	}
}
