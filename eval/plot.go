package eval

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot sizes: at 96 dpi about 600 pixels wide, two side by side on a
// 1280-pixel page; the heat map is square to leave its rotated column
// names room.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 12 * vg.Centimeter
	heatSize   = 16 * vg.Centimeter
)

// renderPNG draws p as a plotWidth × plotHeight PNG.
func renderPNG(p *plot.Plot) ([]byte, error) { return renderSizedPNG(p, plotWidth, plotHeight) }

// renderSizedPNG draws p as a PNG of w × h. gonum/plot panics on some
// degenerate inputs; such a panic becomes an error rather than reaching
// the caller.
func renderSizedPNG(p *plot.Plot, w, h vg.Length) (data []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			data, err = nil, fmt.Errorf("draw plot: %v", v)
		}
	}()
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return nil, fmt.Errorf("draw plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// emptyPlot returns a plot that says why it has no data.
func emptyPlot(title, why string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title + " (" + why + ")"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	return p
}

// confusionGrid presents a confusion matrix to plotter.HeatMap: column c is
// predicted label c; row r is gold label n-1-r, so that the first gold label
// is drawn at the top.
type confusionGrid struct {
	counts [][]int
	n      int
}

func (g confusionGrid) Dims() (c, r int) { return g.n, g.n }
func (g confusionGrid) X(c int) float64  { return float64(c) }
func (g confusionGrid) Y(r int) float64  { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 {
	row := g.n - 1 - r
	if row < len(g.counts) && c < len(g.counts[row]) {
		return float64(g.counts[row][c])
	}
	return 0
}

// confusionPNG draws the confusion matrix as a heat map with the counts
// written in the cells.
func confusionPNG(r *Report) ([]byte, error) {
	const title = "Confusion matrix"
	cm := r.Confusion
	n := len(cm.Labels)
	if n == 0 {
		return renderPNG(emptyPlot(title, "no labels"))
	}
	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return nil, fmt.Errorf("palette: %w", err)
	}
	g := confusionGrid{counts: cm.Counts, n: n}
	maxCount := 0.0
	for c := range n {
		for row := range n {
			maxCount = math.Max(maxCount, g.Z(c, row))
		}
	}
	hm := plotter.NewHeatMap(g, pal)
	hm.Min, hm.Max = 0, math.Max(maxCount, 1)

	var xys plotter.XYs
	var texts []string
	for c := range n {
		for row := range n {
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(row)})
			texts = append(texts, fmt.Sprint(int(g.Z(c, row))))
		}
	}
	lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return nil, fmt.Errorf("cell labels: %w", err)
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].XAlign = draw.XCenter
		lbl.TextStyle[i].YAlign = draw.YCenter
		lbl.TextStyle[i].Color = color.Black
		if g.Z(int(xys[i].X), int(xys[i].Y)) > hm.Max/2 {
			lbl.TextStyle[i].Color = color.White
		}
	}

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "predicted top label"
	p.Y.Label.Text = "gold top label"
	p.Add(hm, lbl)
	p.NominalX(cm.Labels...)
	// Column names run diagonally, so long ones do not overlap.
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YTop
	p.NominalY(reversed(cm.Labels)...)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	return renderSizedPNG(p, heatSize, heatSize)
}

// reversed returns a reversed copy of s: plots count y upwards, and the
// first label belongs at the top.
func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// f1PNG draws the per-label F1 as horizontal bars, the first label at the
// top, with their bootstrap intervals: label names of any length stay
// legible on the vertical axis.
func f1PNG(r *Report) ([]byte, error) {
	const title = "Per-label F1"
	n := len(r.Labels)
	if n == 0 {
		return renderPNG(emptyPlot(title, "no labels"))
	}
	vals := make(plotter.Values, n)
	errs := struct {
		plotter.XYs
		plotter.XErrors
	}{make(plotter.XYs, 0, n), make(plotter.XErrors, 0, n)}
	for i, l := range r.Labels {
		f := r.PerLabel[l].F1
		y := n - 1 - i
		vals[y] = f
		if ci, ok := r.PerLabelF1CI[l]; ok {
			errs.XYs = append(errs.XYs, plotter.XY{X: f, Y: float64(y)})
			errs.XErrors = append(errs.XErrors, struct{ Low, High float64 }{
				Low: math.Max(f-ci[0], 0), High: math.Max(ci[1]-f, 0),
			})
		}
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return nil, fmt.Errorf("bars: %w", err)
	}
	bars.Horizontal = true
	bars.Color = color.RGBA{R: 66, G: 133, B: 244, A: 255}
	bars.LineStyle.Width = 0

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "F1"
	p.Add(plotter.NewGrid(), bars)
	if len(errs.XYs) > 0 {
		eb, err := plotter.NewXErrorBars(errs)
		if err != nil {
			return nil, fmt.Errorf("error bars: %w", err)
		}
		p.Add(eb)
		p.Title.Text += " (95% bootstrap CI)"
	}
	p.NominalY(reversed(r.Labels)...)
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	p.X.Min, p.X.Max = 0, 1
	return renderPNG(p)
}

// reliabilityPNG draws observed frequency against mean confidence per
// calibration bin, with the diagonal of perfect calibration.
func reliabilityPNG(r *Report) ([]byte, error) {
	const title = "Reliability diagram"
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, fmt.Errorf("diagonal: %w", err)
	}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	diag.Color = color.Gray{Y: 128}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (ECE %.3f)", title, r.ECE)
	p.X.Label.Text = "mean confidence"
	p.Y.Label.Text = "observed frequency"
	p.Add(plotter.NewGrid(), diag)
	p.Legend.Add("perfect calibration", diag)
	if len(r.Calibration) == 0 {
		p.Title.Text = title + " (no scores)"
	} else {
		xys := make(plotter.XYs, len(r.Calibration))
		for i, b := range r.Calibration {
			xys[i] = plotter.XY{X: b.Confidence, Y: b.Frequency}
		}
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("bins: %w", err)
		}
		blue := color.RGBA{R: 33, G: 102, B: 172, A: 255}
		line.Color = blue
		pts.Color = blue
		pts.Shape = draw.CircleGlyph{}
		pts.Radius = vg.Points(3)
		p.Add(line, pts)
		p.Legend.Add("bins", line, pts)
	}
	// The legend stays in the bottom-right corner, away from the diagonal.
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	return renderPNG(p)
}

// Compile-time check that the grid satisfies the heat map's interface.
var _ plotter.GridXYZ = confusionGrid{}
