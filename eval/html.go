package eval

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Names of the files WriteHTML writes.
const (
	reportJSONFile  = "report.json"
	indexFile       = "index.html"
	confusionFile   = "confusion.png"
	f1File          = "f1.png"
	reliabilityFile = "reliability.png"
)

// WriteHTML creates dir and writes into it report.json, index.html (a page
// with no external resources besides the images next to it: summary table,
// per-label table, confusion table and the plots), confusion.png (a heat map
// of the confusion matrix with the counts in the cells), f1.png (per-label
// F1 bars with their bootstrap intervals) and reliability.png (observed
// frequency against mean confidence per calibration bin, with the
// diagonal). Existing files of those names are replaced.
func WriteHTML(dir string, r *Report) error {
	if r == nil {
		return errors.New("write html: nil report")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	js, err := r.JSON()
	if err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	files := []struct {
		name   string
		render func() ([]byte, error)
	}{
		{reportJSONFile, func() ([]byte, error) { return append(js, '\n'), nil }},
		{confusionFile, func() ([]byte, error) { return confusionPNG(r) }},
		{f1File, func() ([]byte, error) { return f1PNG(r) }},
		{reliabilityFile, func() ([]byte, error) { return reliabilityPNG(r) }},
		{indexFile, func() ([]byte, error) { return indexHTML(r) }},
	}
	for _, f := range files {
		data, err := f.render()
		if err != nil {
			return fmt.Errorf("write html: render %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), data, 0o644); err != nil {
			return fmt.Errorf("write html: %w", err)
		}
	}
	return nil
}

// htmlRow is one row of a two-column summary table.
type htmlRow struct {
	Name, Value, CI string
}

// htmlLabel is one row of the per-label table.
type htmlLabel struct {
	Label                     string
	Precision, Recall, F1, CI string
	Support, Predicted, TP    int
}

// htmlPage is the data of the index template.
type htmlPage struct {
	Summary   []htmlRow
	PerLabel  []htmlLabel
	Targets   []htmlRow
	Latency   []htmlRow
	Confusion Confusion
	Images    []htmlRow // Name is the file, Value the caption
	Run       []htmlRow
	Worst     []htmlWorst
}

// htmlWorst is one entry of the worst-errors section.
type htmlWorst struct {
	WorstError
	Severity string
	Notes    []string // per predicted label: its top contributions
}

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }

func indexHTML(r *Report) ([]byte, error) {
	pg := htmlPage{Confusion: r.Confusion}
	macroCI := ""
	if r.PerLabelF1CI != nil {
		macroCI = fmtCI(r.MacroF1CI)
	}
	pg.Summary = []htmlRow{
		{"items", fmt.Sprint(r.N), ""},
		{"abstained", fmt.Sprint(r.Abstained), ""},
		{"micro F1", f3(r.MicroF1), ""},
		{"macro F1", f3(r.MacroF1), macroCI},
	}
	if r.FAvg != nil {
		ci := ""
		if r.FAvgCI != nil {
			ci = fmtCI(*r.FAvgCI)
		}
		pg.Summary = append(pg.Summary, htmlRow{"F_avg", f3(*r.FAvg), ci})
	}
	pg.Summary = append(pg.Summary,
		htmlRow{"exact match", f3(r.ExactMatch), ""},
		htmlRow{"hamming loss", f3(r.HammingLoss), ""},
		htmlRow{"accuracy (top-1)", f3(r.Accuracy), ""},
	)
	if len(r.Calibration) > 0 {
		pg.Summary = append(pg.Summary, htmlRow{"ECE", f3(r.ECE), ""})
	} else {
		pg.Summary = append(pg.Summary, htmlRow{"ECE", "n/a (no scores)", ""})
	}
	for _, l := range r.Labels {
		m := r.PerLabel[l]
		ci := ""
		if c, ok := r.PerLabelF1CI[l]; ok {
			ci = fmtCI(c)
		}
		pg.PerLabel = append(pg.PerLabel, htmlLabel{
			Label: l, Precision: f3(m.Precision), Recall: f3(m.Recall), F1: f3(m.F1), CI: ci,
			Support: m.Support, Predicted: m.Predicted, TP: m.TP,
		})
	}
	for _, t := range slices.Sorted(maps.Keys(r.FAvgByTarget)) {
		pg.Targets = append(pg.Targets, htmlRow{Name: t, Value: f3(r.FAvgByTarget[t])})
	}
	if l := r.Latency; l != nil {
		pg.Latency = []htmlRow{
			{"calls", fmt.Sprint(l.Calls), ""},
			{"p50 ms", f3(ms(l.P50)), ""},
			{"p90 ms", f3(ms(l.P90)), ""},
			{"p99 ms", f3(ms(l.P99)), ""},
			{"mean ms", f3(ms(l.Mean)), ""},
			{"items/s", fmt.Sprintf("%.1f", l.Throughput), ""},
		}
	}
	if run := r.Run; run != nil {
		pg.Run = []htmlRow{
			{Name: "model", Value: run.Model + " " + run.ModelVersion},
			{Name: "data", Value: run.Data},
			{Name: "data SHA-256", Value: run.DataSHA256},
			{Name: "items", Value: fmt.Sprint(r.N)},
			{Name: "command", Value: run.Command},
			{Name: "date", Value: run.Date},
		}
	}
	for _, w := range r.WorstErrors {
		hw := htmlWorst{WorstError: w, Severity: f3(w.Severity)}
		for _, ex := range w.Explanations {
			parts := make([]string, len(ex.Contributions))
			for i, c := range ex.Contributions {
				parts[i] = fmt.Sprintf("%s %+.2f", c.Feature, c.Weight)
			}
			hw.Notes = append(hw.Notes, ex.Label+": "+strings.Join(parts, "; "))
		}
		pg.Worst = append(pg.Worst, hw)
	}
	pg.Images = []htmlRow{
		{Name: f1File, Value: "Per-label F1 with 95% bootstrap intervals"},
		{Name: confusionFile, Value: "Confusion matrix: gold top label (rows) against predicted top label (columns)"},
		{Name: reliabilityFile, Value: "Reliability diagram: observed frequency against mean confidence"},
	}
	tmpl, err := template.New(indexFile).Parse(indexTemplate)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, pg); err != nil {
		return nil, fmt.Errorf("execute template: %w", err)
	}
	return buf.Bytes(), nil
}

const indexTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stance evaluation report</title>
<style>
body { font-family: sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f0; }
table.run td { text-align: left; overflow-wrap: anywhere; }
table.confusion th.col { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; padding: 0.6em 0.25em; }
table.errors th, table.errors td { text-align: left; vertical-align: top; }
table.errors td.text { max-width: 30em; }
table.errors ul { margin: 0; padding-left: 1.2em; font-size: 0.9em; }
.scroll { overflow-x: auto; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 0 1 560px; max-width: 100%; }
figure img { width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; }
</style>
</head>
<body>
<h1>Stance evaluation report</h1>
{{if .Run}}<table class="run">
{{range .Run}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}<h2>Summary</h2>
<table>
<tr><th>metric</th><th>value</th><th>95% CI</th></tr>
{{range .Summary}}<tr><td>{{.Name}}</td><td>{{.Value}}</td><td>{{.CI}}</td></tr>
{{end}}</table>
<h2>Per label</h2>
<div class="scroll"><table>
<tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>F1 95% CI</th><th>support</th><th>predicted</th><th>TP</th></tr>
{{range .PerLabel}}<tr><td>{{.Label}}</td><td>{{.Precision}}</td><td>{{.Recall}}</td><td>{{.F1}}</td><td>{{.CI}}</td><td>{{.Support}}</td><td>{{.Predicted}}</td><td>{{.TP}}</td></tr>
{{end}}</table></div>
{{if .Targets}}<h2>F_avg by target</h2>
<table>
<tr><th>target</th><th>F_avg</th></tr>
{{range .Targets}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{if .Latency}}<h2>Latency</h2>
<table>
{{range .Latency}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{if .Confusion.Labels}}<h2>Confusion matrix</h2>
<div class="scroll"><table class="confusion">
<tr><th>gold \ pred</th>{{range .Confusion.Labels}}<th class="col">{{.}}</th>{{end}}</tr>
{{range $i, $row := .Confusion.Counts}}<tr><td>{{index $.Confusion.Labels $i}}</td>{{range $row}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></div>
{{end}}<h2>Plots</h2>
<div class="plots">
{{range .Images}}<figure><img src="{{.Name}}" alt="{{.Value}}"><figcaption>{{.Value}}</figcaption></figure>
{{end}}</div>
{{if .Worst}}<h2>Worst errors</h2>
<p>The most confidently wrong items: severity is the highest probability of a wrongly predicted label, or one minus the lowest probability of a missed gold label. Under each predicted label, the features that pushed it most.</p>
<div class="scroll"><table class="errors">
<tr><th>source</th><th>text</th><th>gold</th><th>predicted</th><th>severity</th></tr>
{{range .Worst}}<tr><td>{{.Source}}</td><td class="text">{{.Text}}{{if .Target}} <em>(target: {{.Target}})</em>{{end}}{{if .Notes}}<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}</td><td>{{range $i, $l := .Gold}}{{if $i}}, {{end}}{{$l}}{{end}}</td><td>{{range $i, $l := .Pred}}{{if $i}}, {{end}}{{$l}}{{end}}</td><td>{{.Severity}}</td></tr>
{{end}}</table></div>
{{end}}<p>Full figures: <a href="report.json">report.json</a></p>
</body>
</html>
`
