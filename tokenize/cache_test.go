package tokenize

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// heap returns the live heap after a full collection.
func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// uniqueWord returns a word of n letters that no other i gives.
func uniqueWord(i, n int) string {
	w := fmt.Sprintf("q%x", i*2654435761)
	w = strings.Map(func(r rune) rune { return 'g' + r%16 }, w) // letters only: one word
	return (w + strings.Repeat("z", n))[:n]
}

// TestCacheFloodStaysInBudget feeds the tokenizer a stream of unique words,
// the attack that grew a count-bounded cache by hundreds of megabytes: the
// heap must stay within the byte budget, and words over the WordPiece
// limit must not be cached at all.
func TestCacheFloodStaysInBudget(t *testing.T) {
	data, err := os.ReadFile("../models/default/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	// A small budget keeps the flood short; the mechanism is the same
	// as with DefaultCacheBytes.
	const budget = 1 << 20
	tk.cache = newWordCache(budget)
	var e Encoding
	before := heap()

	// Words past the WordPiece limit are [UNK] and take no cache space.
	long := make([]string, 0, 100)
	for i := range 2000 {
		long = append(long, uniqueWord(i, 1000))
		if len(long) == cap(long) {
			if err := tk.Encode(strings.Join(long, " "), &e); err != nil {
				t.Fatal(err)
			}
			long = long[:0]
		}
	}
	if got := tk.CacheBytes(); got != 0 {
		t.Errorf("after 2,000 unique 1,000-letter words the cache holds %d bytes, want 0", got)
	}

	// Words under the limit are cached until the budget, then it starts
	// again: 30,000 words of 40 letters are several budgets' worth.
	const words, size = 30_000, 40
	var batch []string
	for i := range words {
		batch = append(batch, uniqueWord(i, size))
		if len(batch) == 200 {
			if err := tk.Encode(strings.Join(batch, " "), &e); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
		if got := tk.CacheBytes(); got > budget {
			t.Fatalf("after %d words the cache holds %d bytes, over its budget of %d", i, got, budget)
		}
	}
	e = Encoding{}
	grew := int64(heap()) - int64(before)
	t.Logf("%d unique %d-letter words: cache %d bytes (budget %d), heap +%d bytes", words, size, tk.CacheBytes(), budget, grew)
	// The estimate of an entry's size leaves out some of a map's overhead;
	// twice the budget is a generous bound that an unbounded cache (more
	// than 7 MB of words here) breaks.
	if limit := int64(2 * budget); grew > limit {
		t.Errorf("heap grew by %d bytes under a flood of unique words, over %d (twice the cache budget)", grew, limit)
	}
	runtime.KeepAlive(tk)
}
