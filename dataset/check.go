package dataset

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// Problem is one finding of Check.
type Problem struct {
	File string
	Line int // 0 for a problem with the whole file
	Msg  string
}

// String returns "FILE:LINE: message", or "FILE: message" for Line 0.
func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// CheckOptions configure Check.
type CheckOptions struct {
	// Labels is the allowed label set. Required.
	Labels []string
	// MaxOverlap is the near-duplicate threshold: two sentences whose
	// lower-cased word sets have a Jaccard overlap above it are reported.
	// 0 means 0.8; 1 or more turns the near-duplicate check off.
	MaxOverlap float64
}

const defaultMaxOverlap = 0.8

// Check reads every file as JSONL and reports, for each line:
//   - format errors (every bad line, not only the first);
//   - unknown labels and "none" combined with another label;
//   - exact duplicates, after whitespace normalisation and lower-casing;
//   - near-duplicates, by Jaccard overlap of lower-cased word sets.
//
// A duplicate is reported on the later line and names the earlier one; when
// the two are in different files it is reported as leakage, since a
// sentence of the training data reappearing in evaluation data inflates the
// scores. Problems are sorted by file, in the order given, then by line.
//
// The error is non-nil only when a file cannot be read or the options are
// invalid; everything wrong with the data is a Problem.
func Check(files []string, opt CheckOptions) ([]Problem, error) {
	if len(opt.Labels) == 0 {
		return nil, errors.New("check: no label set given")
	}
	threshold := opt.MaxOverlap
	if threshold == 0 {
		threshold = defaultMaxOverlap
	}
	if threshold < 0 || math.IsNaN(threshold) {
		return nil, fmt.Errorf("check: max overlap %v out of range [0, 1]", opt.MaxOverlap)
	}
	known := newLabelSet(opt.Labels)

	var (
		problems []Problem
		examples []Example
		fileIdx  []int // file index of each example, for ordering and leakage
		order    = map[string]int{}
	)
	for _, path := range files {
		// The same file twice would report each line as leaking into itself.
		if _, seen := order[filepath.Clean(path)]; seen {
			continue
		}
		fi := len(order)
		order[filepath.Clean(path)] = fi
		n := len(examples)
		err := checkReadFile(path, func(ex Example, bad *LineError) error {
			if bad != nil {
				problems = append(problems, Problem{File: path, Line: bad.Line, Msg: bad.Err.Error()})
				return nil
			}
			if err := checkNone(ex.Labels); err != nil {
				problems = append(problems, Problem{File: path, Line: ex.Line, Msg: err.Error()})
			}
			for _, l := range ex.Labels {
				if err := known.checkOne(l); err != nil {
					problems = append(problems, Problem{File: path, Line: ex.Line, Msg: err.Error()})
				}
			}
			examples = append(examples, ex)
			fileIdx = append(fileIdx, fi)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(examples) == n {
			problems = append(problems, Problem{File: path, Msg: ErrNoExamples.Error()})
		}
	}

	problems = append(problems, duplicates(examples, fileIdx, threshold)...)

	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(order[filepath.Clean(a.File)], order[filepath.Clean(b.File)]),
			cmp.Compare(a.Line, b.Line),
		)
	})
	return problems, nil
}

func checkReadFile(path string, row rowFunc) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer f.Close() // read-only: a close error cannot lose data
	return readJSONL(f, path, true, row)
}

// match is the best earlier partner found for an example.
type match struct {
	other   int // index of the earlier example; -1 for none
	overlap float64
}

func (m *match) offer(other int, overlap float64) {
	if m.other < 0 || overlap > m.overlap || (overlap == m.overlap && other < m.other) {
		m.other, m.overlap = other, overlap
	}
}

// duplicates reports exact and near-duplicates. examples are in file order,
// so a lower index is an earlier line. Each example is reported at most
// once per kind against the same file and once against other files, naming
// its closest (then earliest) earlier partner.
func duplicates(examples []Example, fileIdx []int, threshold float64) []Problem {
	n := len(examples)
	keys := make([]string, n)
	exactSame, exactCross := newMatches(n), newMatches(n)
	first := map[string][]int{} // key -> earliest index per file seen so far
	for i, ex := range examples {
		keys[i] = strings.ToLower(strings.Join(strings.Fields(ex.Text), " "))
		for _, j := range first[keys[i]] {
			if fileIdx[j] == fileIdx[i] {
				exactSame[i].offer(j, 1)
			} else {
				exactCross[i].offer(j, 1)
			}
		}
		if !slices.ContainsFunc(first[keys[i]], func(j int) bool { return fileIdx[j] == fileIdx[i] }) {
			first[keys[i]] = append(first[keys[i]], i)
		}
	}

	nearSame, nearCross := newMatches(n), newMatches(n)
	if threshold < 1 {
		sets := make([][]string, n)
		for i, ex := range examples {
			sets[i] = wordSet(ex.Text)
		}
		for _, p := range similarPairs(sets, threshold) {
			if keys[p.a] == keys[p.b] {
				continue // already an exact duplicate
			}
			early, late := min(p.a, p.b), max(p.a, p.b)
			if fileIdx[early] == fileIdx[late] {
				nearSame[late].offer(early, p.overlap)
			} else {
				nearCross[late].offer(early, p.overlap)
			}
		}
	}

	var problems []Problem
	report := func(i int, m match, what string, near bool) {
		if m.other < 0 {
			return
		}
		o := examples[m.other]
		msg := fmt.Sprintf("%s of %s:%d", what, o.File, o.Line)
		if near {
			msg += fmt.Sprintf(" (overlap %.2f)", m.overlap)
		}
		if !sameLabels(examples[i].Labels, o.Labels) {
			msg += " with different labels"
		}
		problems = append(problems, Problem{File: examples[i].File, Line: examples[i].Line, Msg: msg})
	}
	for i := range examples {
		report(i, exactSame[i], "duplicate", false)
		report(i, exactCross[i], "leakage: duplicate", false)
		report(i, nearSame[i], "near-duplicate", true)
		report(i, nearCross[i], "leakage: near-duplicate", true)
	}
	return problems
}

// sameLabels compares label sets, ignoring order.
func sameLabels(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func newMatches(n int) []match {
	m := make([]match, n)
	for i := range m {
		m[i].other = -1
	}
	return m
}

// wordSet returns the distinct lower-cased words of s: runs of letters and
// digits.
func wordSet(s string) []string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	slices.Sort(words)
	return slices.Compact(words)
}

type pair struct {
	a, b    int
	overlap float64
}

// similarPairs returns the pairs of sets whose Jaccard overlap exceeds t
// (0 <= t < 1), by prefix filtering (Chaudhuri et al. 2006; Bayardo et al.
// 2007): with tokens ordered rarest first, two sets with Jaccard >= t must
// share a token within their first |x| - ceil(t|x|) + 1 tokens, so only
// those prefixes are indexed, and only pairs sharing one are compared.
func similarPairs(sets [][]string, t float64) []pair {
	// Rarest tokens first keeps the prefixes, and so the candidate lists,
	// short.
	df := map[string]int{}
	for _, s := range sets {
		for _, w := range s {
			df[w]++
		}
	}
	type entry struct {
		w  string
		df int
	}
	vocab := make([]entry, 0, len(df))
	for w, n := range df {
		vocab = append(vocab, entry{w, n})
	}
	slices.SortFunc(vocab, func(a, b entry) int { return cmp.Or(cmp.Compare(a.df, b.df), strings.Compare(a.w, b.w)) })
	id := make(map[string]int, len(vocab))
	for i, e := range vocab {
		id[e.w] = i
	}
	recs := make([][]int, len(sets))
	for i, s := range sets {
		recs[i] = make([]int, len(s))
		for j, w := range s {
			recs[i][j] = id[w]
		}
		slices.Sort(recs[i])
	}

	// Visit sets from small to large so every indexed set is no larger
	// than the probing one, and the size filter |y| >= t|x| applies.
	visit := make([]int, 0, len(sets))
	for i, r := range recs {
		if len(r) > 0 {
			visit = append(visit, i)
		}
	}
	slices.SortStableFunc(visit, func(a, b int) int { return cmp.Compare(len(recs[a]), len(recs[b])) })

	const eps = 1e-9 // round ceil(t|x|) down on float noise: a longer prefix is safe
	index := make([][]int, len(vocab))
	seen := make([]int, len(sets)) // seen[y] == x+1: y already compared with x
	var pairs []pair
	for _, x := range visit {
		rx := recs[x]
		minSize := t*float64(len(rx)) - eps
		prefix := len(rx) - int(math.Ceil(t*float64(len(rx))-eps)) + 1
		prefix = min(prefix, len(rx))
		for _, w := range rx[:prefix] {
			for _, y := range index[w] {
				if seen[y] == x+1 || float64(len(recs[y])) < minSize {
					continue
				}
				seen[y] = x + 1
				o := intersect(rx, recs[y])
				j := float64(o) / float64(len(rx)+len(recs[y])-o)
				if j > t {
					pairs = append(pairs, pair{a: x, b: y, overlap: j})
				}
			}
		}
		for _, w := range rx[:prefix] {
			index[w] = append(index[w], x)
		}
	}
	return pairs
}

// intersect counts the common elements of two sorted slices.
func intersect(a, b []int) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}
