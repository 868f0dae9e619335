package dataset

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// line renders one JSONL line.
func line(text string, labels ...string) string {
	return fmt.Sprintf(`{"text": %q, "labels": ["%s"]}`+"\n", text, strings.Join(labels, `", "`))
}

// Sentences of a clean file: no two share more than a few words.
var clean = []string{
	line("Wang said the two countries should build a multipolar world.", "pro_multipolarity", "strategic_partnership"),
	line("Beijing has not called for Moscow to withdraw its troops.", "neutrality_doubt"),
	line("The summit was held in Kazan on Tuesday.", "none"),
	line("Sanctions will stay until Russia ends its aggression.", "rules_based_order"),
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		files [][2]string // name, content; written in this order
		want  []string    // Problem.String() with the directory removed
	}{
		{
			name:  "clean files",
			files: [][2]string{{"train.jsonl", strings.Join(clean[:3], "")}, {"dev.jsonl", clean[3]}},
			want:  nil,
		},
		{
			name: "exact duplicate within a file",
			files: [][2]string{{"train.jsonl", clean[0] + clean[1] +
				line("  wang said the two countries   should build a MULTIPOLAR world.", "pro_multipolarity", "strategic_partnership") +
				line("Beijing has not called for Moscow to withdraw its troops.", "none")}},
			want: []string{
				"train.jsonl:3: duplicate of train.jsonl:1",
				"train.jsonl:4: duplicate of train.jsonl:2 with different labels",
			},
		},
		{
			name: "near-duplicate within a file",
			files: [][2]string{{"train.jsonl", clean[0] + clean[2] +
				// 9 of 11 distinct words shared: overlap 0.82.
				line("Wang said the two countries must build a multipolar world.", "pro_multipolarity")}},
			want: []string{"train.jsonl:3: near-duplicate of train.jsonl:1 (overlap 0.82) with different labels"},
		},
		{
			name: "at the threshold is not a near-duplicate",
			// {a b c d} vs {a b c d e}: 4/5 = 0.8, not above 0.8.
			files: [][2]string{{"train.jsonl", line("alpha beta gamma delta", "none") + line("alpha beta gamma delta epsilon", "none")}},
			want:  nil,
		},
		{
			name: "leakage across files",
			files: [][2]string{
				{"train.jsonl", strings.Join(clean, "")},
				{"dev.jsonl", line("The summit was held in  kazan on Tuesday.", "none") +
					line("Other news entirely, nothing in common here.", "none") +
					line("Wang said the two countries must build a multipolar world.", "pro_multipolarity", "strategic_partnership")},
			},
			want: []string{
				"dev.jsonl:1: leakage: duplicate of train.jsonl:3",
				"dev.jsonl:3: leakage: near-duplicate of train.jsonl:1 (overlap 0.82)",
			},
		},
		{
			name: "punctuation-only difference is a near-duplicate with overlap 1",
			files: [][2]string{{"train.jsonl", line("No single country should dominate.", "pro_multipolarity") +
				line("No single country should dominate", "pro_multipolarity")}},
			want: []string{"train.jsonl:2: near-duplicate of train.jsonl:1 (overlap 1.00)"},
		},
		{
			name: "labels",
			files: [][2]string{{"train.jsonl", line("a", "multipolarity") +
				line("b", "none", "neutrality_claim") +
				line("c", "none", "none")}},
			want: []string{
				`train.jsonl:1: unknown label "multipolarity" (known: anti_unilateralism, neutrality_claim, neutrality_doubt, none, pro_multipolarity, rules_based_order, security_interests, strategic_partnership)`,
				`train.jsonl:2: label "none" combined with "neutrality_claim"`,
			},
		},
		{
			name: "every format error, and checks go on",
			files: [][2]string{
				{"train.jsonl", clean[0] + "{\"text\": \"x\"}\n" + clean[1] + "{\"text\": \"y\", \"label\": [\"none\"]}\n" + "oops\n" + clean[0]},
				{"empty.jsonl", "\n"},
			},
			want: []string{
				`train.jsonl:2: missing "labels"`,
				`train.jsonl:4: unknown field "label" (allowed: batch, hard, id, labels, source, target, text)`,
				`train.jsonl:5: not a JSON object`,
				`train.jsonl:6: duplicate of train.jsonl:1`,
				`empty.jsonl: no examples`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, f := range tt.files {
				p := filepath.Join(dir, f[0])
				if err := os.WriteFile(p, []byte(f[1]), 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			problems, err := Check(paths, CheckOptions{Labels: taxonomy})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, strings.ReplaceAll(p.String(), dir+string(filepath.Separator), ""))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.jsonl")
	if err := os.WriteFile(path, []byte(clean[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files []string
		opt   CheckOptions
	}{
		{"missing file", []string{path, path + ".missing"}, CheckOptions{Labels: taxonomy}},
		{"no label set", []string{path}, CheckOptions{}},
		{"negative overlap", []string{path}, CheckOptions{Labels: taxonomy, MaxOverlap: -0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Check(tt.files, tt.opt); err == nil {
				t.Errorf("Check = %v, nil; want an error", got)
			}
		})
	}
}

// TestSimilarPairs compares the prefix-filtered search with comparing
// every pair.
func TestSimilarPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sets [][]string
	for range 400 {
		var s []string
		for range 3 + rng.IntN(12) {
			s = append(s, fmt.Sprint(rng.IntN(40))) // a small vocabulary makes overlaps common
		}
		slices.Sort(s)
		sets = append(sets, slices.Compact(s))
	}
	sets = append(sets, nil, sets[0]) // an empty set and an exact copy

	for _, threshold := range []float64{0.2, 0.5, 0.8, 0.95} {
		t.Run(fmt.Sprint(threshold), func(t *testing.T) {
			want := map[[2]int]float64{}
			for i := range sets {
				for j := i + 1; j < len(sets); j++ {
					o := 0
					for _, w := range sets[i] {
						if slices.Contains(sets[j], w) {
							o++
						}
					}
					if u := len(sets[i]) + len(sets[j]) - o; u > 0 {
						if jac := float64(o) / float64(u); jac > threshold {
							want[[2]int{i, j}] = jac
						}
					}
				}
			}
			got := map[[2]int]float64{}
			for _, p := range similarPairs(sets, threshold) {
				got[[2]int{min(p.a, p.b), max(p.a, p.b)}] = p.overlap
			}
			if len(want) == 0 {
				t.Fatal("test data has no similar pairs")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("similarPairs mismatch (-brute force +got):\n%s", diff)
			}
		})
	}
}

// synthetic returns n distinct sentences of 12 to 30 words from a
// Zipf-distributed vocabulary, like news text.
func synthetic(n int) string {
	rng := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(rng, 1.1, 1, 20000)
	var b strings.Builder
	for i := range n {
		words := []string{fmt.Sprint("s", i)}
		for range 12 + rng.IntN(19) {
			words = append(words, fmt.Sprint("w", zipf.Uint64()))
		}
		b.WriteString(line(strings.Join(words, " "), "none"))
	}
	return b.String()
}

func TestCheckFast(t *testing.T) {
	if testing.Short() {
		t.Skip("slow with -short")
	}
	dir := t.TempDir()
	train, dev := filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "dev.jsonl")
	data := synthetic(5000)
	for _, p := range []string{train, dev} {
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	problems, err := Check([]string{train, dev}, CheckOptions{Labels: []string{"none"}})
	if err != nil {
		t.Fatal(err)
	}
	// Each dev line is the train line of the same number: 5,000 leaks.
	if len(problems) < 5000 {
		t.Errorf("Check found %d problems, want at least 5000 leaks", len(problems))
	}
	// Generous: well under a second without the race detector.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Check of 2 × 5,000 sentences took %v", d)
	}
}

func BenchmarkCheck5000(b *testing.B) {
	path := filepath.Join(b.TempDir(), "train.jsonl")
	if err := os.WriteFile(path, []byte(synthetic(5000)), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Check([]string{path}, CheckOptions{Labels: []string{"none"}}); err != nil {
			b.Fatal(err)
		}
	}
}
