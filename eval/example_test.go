package eval_test

import (
	"fmt"

	"github.com/stanceproject/stance/eval"
)

func ExampleCompute() {
	items := []eval.Item{
		{Gold: []string{"FAVOR"}, Pred: []string{"FAVOR"}, Top: "FAVOR", Target: "climate"},
		{Gold: []string{"AGAINST"}, Pred: []string{"FAVOR"}, Top: "FAVOR", Target: "climate"},
		{Gold: []string{"AGAINST"}, Pred: []string{"AGAINST"}, Top: "AGAINST", Target: "atheism"},
		{Gold: []string{"NONE"}, Pred: []string{"NONE"}, Top: "NONE", Target: "atheism"},
	}
	r, err := eval.Compute(items, eval.Options{Bootstrap: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	// FAVOR: TP 1, FP 1, FN 0 → F1 2/3; AGAINST: TP 1, FP 0, FN 1 → 2/3.
	fmt.Printf("macro F1 %.3f, F_avg %.3f, accuracy %.2f\n", r.MacroF1, *r.FAvg, r.Accuracy)
	if err := r.Gate(&eval.Baseline{MacroF1: 0.9}, 0.05); err != nil {
		fmt.Println(err)
	}
	// Output:
	// macro F1 0.778, F_avg 0.667, accuracy 0.75
	// macro F1 regressed: 0.7778 is 0.1222 below the baseline 0.9000, more than the allowed drop 0.0500
}
