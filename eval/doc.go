// Package eval computes offline-evaluation metrics of a stance classifier
// and renders them as a terminal table, JSON, and an HTML page with plots.
//
// The input is a slice of [Item], one per evaluated example, holding the
// gold labels, the predicted labels, the top-scoring label and, optionally,
// the probability of every label and the example's target. [Compute] turns
// them into a [Report]:
//
//   - per label: precision, recall and F1 over label sets (multi-label), with
//     a bootstrap confidence interval on F1;
//   - micro F1 (TP, FP and FN pooled over labels) and macro F1 (the mean of
//     the per-label F1 over [Report.Labels]), the latter with a bootstrap
//     confidence interval;
//   - exact match (subset accuracy), Hamming loss and top-1 accuracy
//     (the top label is one of the gold labels);
//   - expected calibration error over ten equal-width probability bins, and
//     the bins themselves for a reliability diagram;
//   - a confusion matrix of the gold "top" label against the predicted top
//     label;
//   - F_avg, the SemEval-2016 Task 6 measure: the mean F1 of FAVOR and
//     AGAINST pooled over all targets, with its confidence interval and its
//     value within each target.
//
// Only the labels of [Report.Labels] take part in the per-label, micro,
// macro, exact-match, Hamming and confusion figures: when [Options.Labels]
// is given, other labels in the items are ignored. Top-1 accuracy compares
// the top label against the full gold set.
//
// Latency figures of runs over a remote classifier are measured by the
// caller and summarised with [LatencyOf].
//
// [Report.Gate] compares a report with a stored [Baseline] and fails when
// macro F1 (or F_avg) dropped by more than a margin; it is meant for CI.
//
// The package holds no state; every function is safe for concurrent use
// on distinct values. Bootstrap resampling uses math/rand/v2's PCG seeded
// from [Options.Seed], so a report is a deterministic function of its
// items and options.
package eval
