package eval

import (
	"math"
	"math/rand/v2"
	"slices"
)

// bootstrapStream is the second PCG seed word; Options.Seed is the first.
const bootstrapStream = 0x9e3779b97f4a7c15

// bootstrap resamples the items b times with replacement and sets the 95%
// percentile intervals of per-label F1, macro F1 and F_avg on r. nl is the
// number of report labels, the first nl entries of each encoded item.
func bootstrap(r *Report, enc []encoded, nl int, favgIdx []int, b int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, bootstrapStream))
	nall := len(enc[0].gold)
	c := newCounts(nall)
	perLabel := make([][]float64, nl)
	for i := range perLabel {
		perLabel[i] = make([]float64, b)
	}
	macro := make([]float64, b)
	var favg []float64
	if len(favgIdx) > 0 {
		favg = make([]float64, b)
	}
	for s := range b {
		c.reset()
		for range enc {
			c.add(enc[rng.IntN(len(enc))])
		}
		var sum float64
		for i := range nl {
			f := c.f1(i)
			perLabel[i][s] = f
			sum += f
		}
		if nl > 0 {
			macro[s] = sum / float64(nl)
		}
		if favg != nil {
			favg[s] = favgOf(c, favgIdx)
		}
	}
	r.PerLabelF1CI = make(map[string][2]float64, nl)
	for i, l := range r.Labels[:nl] {
		r.PerLabelF1CI[l] = interval(perLabel[i])
	}
	r.MacroF1CI = interval(macro)
	if favg != nil {
		ci := interval(favg)
		r.FAvgCI = &ci
	}
}

// interval sorts v and returns its 2.5 and 97.5 percentiles.
func interval(v []float64) [2]float64 {
	slices.Sort(v)
	return [2]float64{percentile(v, 0.025), percentile(v, 0.975)}
}

// percentile returns the q quantile of the sorted, non-empty v, by linear
// interpolation between the closest ranks (numpy's default).
func percentile(v []float64, q float64) float64 {
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(v)-1)
	frac := pos - float64(lo)
	// The conversion keeps the compiler from fusing the multiply-add, so
	// results do not depend on the architecture.
	return v[lo] + float64(frac*(v[hi]-v[lo]))
}
