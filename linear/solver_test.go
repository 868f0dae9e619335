package linear

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
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

// softplus is log(1+e^x) without overflow.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// objective is what fitBinary minimises: mean logistic loss plus
// l2/2·‖w‖², the bias a feature of value 1.
func objective(xs []sparse, n int, y []bool, l2 float64, w []float64) float64 {
	var f float64
	for i, x := range xs {
		z := w[n]
		for k, j := range x.idx {
			z += w[j] * x.val[k]
		}
		if !y[i] {
			z = -z
		}
		f += softplus(-z)
	}
	var r float64
	for _, v := range w {
		r += v * v
	}
	return f/float64(len(xs)) + l2/2*r
}

// newton minimises the objective to machine precision by Newton's method
// with a dense Hessian: the reference the solver is held to.
func newton(xs []sparse, n int, y []bool, l2 float64) []float64 {
	w := make([]float64, n+1)
	dense := func(x sparse) []float64 {
		d := make([]float64, n+1)
		for k, j := range x.idx {
			d[j] = x.val[k]
		}
		d[n] = 1
		return d
	}
	for range 50 {
		g := primalGradient(xs, n, y, l2, w)
		h := mat.NewSymDense(n+1, nil)
		for i := range n + 1 {
			h.SetSym(i, i, l2)
		}
		for _, x := range xs {
			d := dense(x)
			z := 0.0
			for j, v := range d {
				z += w[j] * v
			}
			p := sigmoid(z)
			h.SymRankOne(h, p*(1-p)/float64(len(xs)), mat.NewVecDense(n+1, d))
		}
		var chol mat.Cholesky
		if !chol.Factorize(h) {
			panic("Hessian not positive definite")
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, mat.NewVecDense(n+1, g)); err != nil {
			panic(err)
		}
		// Halve the step until the objective does not rise.
		f0, t := objective(xs, n, y, l2, w), 1.0
		for ; t > 1e-10; t /= 2 {
			next := make([]float64, n+1)
			for j := range next {
				next[j] = w[j] - t*step.AtVec(j)
			}
			if objective(xs, n, y, l2, next) <= f0 {
				w = next
				break
			}
		}
	}
	return w
}

// noisyRule is a small problem with a known answer: features below 10
// make a positive, and one label in ten is flipped.
func noisyRule(seed uint64) (xs []sparse, y []bool, n int) {
	rng := rand.New(rand.NewPCG(seed, 4))
	const rows, active = 400, 6
	n = 60
	for range rows {
		var x sparse
		for _, j := range rng.Perm(n)[:active] {
			x.idx = append(x.idx, int32(j))
			x.val = append(x.val, 1/math.Sqrt(active))
		}
		pos := false
		for _, j := range x.idx {
			pos = pos || j < 10
		}
		xs, y = append(xs, x), append(y, pos != (rng.IntN(10) == 0))
	}
	return xs, y, n
}

// TestFitBinaryOptimal holds the dual solver to the primal problem it
// stands for, solved exactly by Newton's method: on every data set and
// regularisation it closes all but a thousandth of the gap from zero to
// the optimum, and its weights separate the rule from the noise.
func TestFitBinaryOptimal(t *testing.T) {
	for seed := range uint64(10) {
		xs, y, n := noisyRule(seed)
		for _, l2 := range []float64{1e-2, 1e-3, 1e-4} {
			w := fitBinary(xs, n, y, l2, 1000, seed)
			best := objective(xs, n, y, l2, newton(xs, n, y, l2))
			start := objective(xs, n, y, l2, make([]float64, n+1))
			if gap := objective(xs, n, y, l2, w) - best; gap > 1e-3*(start-best) {
				t.Errorf("seed %d, l2 %g: objective %.3g above the optimum, from %.3g at zero; want under a thousandth", seed, l2, gap, start-best)
			}
			minRule, maxOther := math.Inf(1), math.Inf(-1)
			for j := range n {
				if j < 10 {
					minRule = min(minRule, w[j])
				} else {
					maxOther = max(maxOther, w[j])
				}
			}
			if l2 >= 1e-3 && minRule <= maxOther {
				t.Errorf("seed %d, l2 %g: a rule feature weighs %.3f, another feature %.3f; want every rule feature above", seed, l2, minRule, maxOther)
			}
		}
	}
}

// TestFitBinaryOneClass: data with a single label, or a single row, gives
// finite weights that lean the right way.
func TestFitBinaryOneClass(t *testing.T) {
	xs := []sparse{{idx: []int32{0, 2}, val: []float64{0.7, 0.7}}, {idx: []int32{1}, val: []float64{1}}, {}}
	for _, c := range []struct {
		rows []sparse
		y    []bool
	}{
		{xs, []bool{true, true, true}},
		{xs, []bool{false, false, false}},
		{xs[:1], []bool{true}},
	} {
		w := fitBinary(c.rows, 3, c.y, 1e-3, 300, 1)
		for j, v := range w {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("labels %v: weight %d is %v", c.y, j, v)
			}
		}
		if bias := w[3]; (bias > 0) != c.y[0] {
			t.Errorf("labels %v: bias %.3f leans the wrong way", c.y, bias)
		}
	}
}

// TestFitBinaryDeterministic: the seed alone orders the examples, so the
// same seed gives the same weights, bit for bit.
func TestFitBinaryDeterministic(t *testing.T) {
	xs, y, n := noisyRule(9)
	a, b := fitBinary(xs, n, y, 1e-3, 300, 7), fitBinary(xs, n, y, 1e-3, 300, 7)
	for j := range a {
		if a[j] != b[j] {
			t.Fatalf("weight %d: %v then %v from the same seed", j, a[j], b[j])
		}
	}
}
