// Package dataset reads, writes and checks labelled stance data.
//
// The project's own format is JSONL: one JSON object a line, UTF-8, with a
// required "text" and a required non-empty "labels" array, and the optional
// fields "target", "id", "source" and "hard" (see the data format section of
// the annotation guideline). Read also accepts the SemEval-2016 Task 6
// tab-separated files and CSV files with a header row, so that public
// benchmarks can be evaluated without converting them first.
//
// Readers are strict by default: a malformed row is an error that names the
// file and line (a *LineError), because a silently dropped row changes every
// metric computed from the file. Options.SkipBad turns that into a count.
//
// Check is the linter behind `stancectl data check`: it reports every
// problem in a set of JSONL files at once, including duplicates and
// near-duplicates across files, which would leak training data into
// evaluation.
//
// The package has no state; all functions are safe for concurrent use.
package dataset
