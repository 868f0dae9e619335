package dataset

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Stats summarise a data set for its datasheet.
type Stats struct {
	N          int            // examples
	Labels     map[string]int // examples carrying each label
	MultiLabel int            // examples with more than one label
	Hard       map[string]int // examples of each hard-case type
}

// Summarize counts examples per label and per hard-case type. The maps are
// never nil.
func Summarize(examples []Example) Stats {
	s := Stats{N: len(examples), Labels: map[string]int{}, Hard: map[string]int{}}
	for _, ex := range examples {
		for _, l := range ex.Labels {
			s.Labels[l]++
		}
		if len(ex.Labels) > 1 {
			s.MultiLabel++
		}
		if ex.Hard != "" {
			s.Hard[ex.Hard]++
		}
	}
	return s
}

// UnusedFields says which fields or columns of exs the reader left aside
// and in how many rows, as `"notes" in 3, "url" in 1`; "" when none.
func UnusedFields(exs []Example) string {
	unused := map[string]int{}
	for _, x := range exs {
		for _, f := range x.Unused {
			unused[f]++
		}
	}
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(unused)) {
		parts = append(parts, fmt.Sprintf("%q in %d", f, unused[f]))
	}
	return strings.Join(parts, ", ")
}
