package linear

import (
	"math"
	"math/rand/v2"
	"testing"
)

// primalGradient is the gradient of the objective fitBinary minimises,
// mean logistic loss plus l2/2·‖w‖², the bias a feature of value 1.
func primalGradient(xs []sparse, n int, y []bool, l2 float64, w []float64) []float64 {
	g := make([]float64, n+1)
	for i, x := range xs {
		z := w[n]
		for k, j := range x.idx {
			z += w[j] * x.val[k]
		}
		r := sigmoid(z)
		if y[i] {
			r--
		}
		r /= float64(len(xs))
		g[n] += r
		for k, j := range x.idx {
			g[j] += r * x.val[k]
		}
	}
	for j := range g {
		g[j] += l2 * w[j]
	}
	return g
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// TestFitBinaryOptimal checks the dual solver against the primal problem
// it stands for: at its solution the primal gradient has all but vanished,
// and the solution separates a learnable rule on noisy data.
func TestFitBinaryOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, rows, active = 60, 400, 6
	var xs []sparse
	var y []bool
	for range rows {
		var x sparse
		for _, j := range rng.Perm(n)[:active] {
			x.idx = append(x.idx, int32(j))
			x.val = append(x.val, 1/math.Sqrt(active))
		}
		// The rule: features below 10 make a positive; one label in ten is flipped.
		pos := false
		for _, j := range x.idx {
			pos = pos || j < 10
		}
		xs, y = append(xs, x), append(y, pos != (rng.IntN(10) == 0))
	}
	for _, l2 := range []float64{1e-2, 1e-3, 1e-4} {
		w := fitBinary(xs, n, y, l2, 1000, 1)
		g0 := maxAbs(primalGradient(xs, n, y, l2, make([]float64, n+1)))
		if g := maxAbs(primalGradient(xs, n, y, l2, w)); g > 1e-2*g0 {
			t.Errorf("l2 %g: primal gradient %.2e at the solution, %.2e at zero; want a hundredfold drop", l2, g, g0)
		}
		minRule, maxOther := math.Inf(1), math.Inf(-1)
		for j := range n {
			if j < 10 {
				minRule = min(minRule, w[j])
			} else {
				maxOther = max(maxOther, w[j])
			}
		}
		if minRule <= maxOther {
			t.Errorf("l2 %g: a rule feature weighs %.3f, another feature %.3f; want every rule feature above", l2, minRule, maxOther)
		}
	}
}

// TestFitBinaryDeterministic: the seed alone orders the examples.
func TestFitBinaryDeterministic(t *testing.T) {
	xs := []sparse{{idx: []int32{0, 2}, val: []float64{0.7, 0.7}}, {idx: []int32{1}, val: []float64{1}}, {idx: []int32{0, 1}, val: []float64{0.7, 0.7}}}
	y := []bool{true, false, true}
	a, b := fitBinary(xs, 3, y, 1e-2, 300, 7), fitBinary(xs, 3, y, 1e-2, 300, 7)
	for j := range a {
		if a[j] != b[j] {
			t.Fatalf("weight %d: %v then %v from the same seed", j, a[j], b[j])
		}
	}
}
