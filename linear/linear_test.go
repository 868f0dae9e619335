package linear_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// tokenizerJSON is the tokenizer.json of the default model.
func tokenizerJSON(tb testing.TB) []byte {
	tb.Helper()
	data, err := models.Default.ReadFile("default/tokenizer.json")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// Synthetic stance data: "pro" speaks for a multipolar world, "anti"
// against hegemony and unilateral sanctions, "none" reports events. Some
// sentences carry both pro and anti.
var (
	proTexts = []string{
		"China and Russia will build a multipolar world together.",
		"The minister praised the emerging multipolar world.",
		"A multipolar world offers every nation a fair voice.",
		"Brazil supports a multipolar world order.",
		"Leaders welcomed the shift toward a multipolar world.",
		"India backs a more balanced multipolar world.",
		"The summit celebrated the rise of a multipolar world.",
		"We must work for a just and multipolar world.",
		"The declaration endorsed a multipolar world order.",
		"Ministers hailed progress toward a multipolar world.",
		"A multipolar world is the future of international relations.",
		"The president championed a multipolar world.",
		"South Africa praised efforts to build a multipolar world.",
		"The bloc promotes a fair multipolar world order.",
		"Diplomats said the multipolar world brings new opportunities.",
		"The envoy welcomed a multipolar world based on equality.",
		"Partners pledged to strengthen the multipolar world.",
		"The forum supported the vision of a multipolar world.",
		"Officials celebrated the multipolar world taking shape.",
		"A genuinely multipolar world benefits developing countries.",
		"The foreign minister called for a multipolar world.",
		"Our countries defend a multipolar world order.",
	}
	antiTexts = []string{
		"The spokesman condemned American hegemony.",
		"Unilateral sanctions violate international law.",
		"Beijing denounced the hegemony of a single power.",
		"The ministry rejected unilateral sanctions imposed by Washington.",
		"Moscow criticised Western hegemony in global finance.",
		"Unilateral sanctions hurt ordinary people.",
		"The statement opposed hegemony and bullying.",
		"Officials condemned the unilateral sanctions as illegal.",
		"Hegemony has no place in modern diplomacy.",
		"The envoy denounced unilateral sanctions against Iran.",
		"Leaders rejected hegemony by any country.",
		"The minister slammed illegal unilateral sanctions.",
		"Hegemony and power politics threaten peace.",
		"The government protested new unilateral sanctions.",
		"Critics attacked the hegemony of the dollar.",
		"Unilateral sanctions must be lifted immediately.",
		"The ambassador condemned hegemony in the region.",
		"The bloc opposes unilateral sanctions on principle.",
		"The president denounced hegemony and interference.",
		"Unilateral sanctions are a tool of coercion.",
		"The spokeswoman rejected unilateral sanctions and pressure.",
		"Analysts say hegemony breeds resentment.",
	}
	noneTexts = []string{
		"Talks were held on Monday.",
		"The delegation arrived in Geneva on Tuesday.",
		"The meeting lasted two hours.",
		"Ministers met in Beijing on Wednesday.",
		"The conference will resume next week.",
		"Talks were held in Vienna last month.",
		"The spokesman gave a briefing on Friday.",
		"The two sides signed a trade agreement.",
		"The president arrived at the airport in the morning.",
		"Officials discussed the schedule of the visit.",
		"The summit will take place in October.",
		"Talks were held behind closed doors.",
		"The minister visited a factory in Shanghai.",
		"The delegation toured the port on Thursday.",
		"Both leaders attended a dinner in the evening.",
		"The report was published on Wednesday.",
		"The envoy met his counterpart in Moscow.",
		"Talks were held in a friendly atmosphere.",
		"The forum opened with a speech by the host.",
		"Negotiators will meet again in March.",
		"The ministry released the agenda on Sunday.",
		"The ambassador presented his credentials.",
	}
	bothTexts = []string{
		"The minister praised the multipolar world and condemned hegemony.",
		"A multipolar world will end hegemony and unilateral sanctions.",
		"Leaders welcomed a multipolar world and rejected unilateral sanctions.",
		"The declaration endorsed a multipolar world and denounced hegemony.",
		"We support a multipolar world and oppose unilateral sanctions.",
		"The envoy championed a multipolar world free of hegemony.",
		"Officials hailed the multipolar world and slammed unilateral sanctions.",
		"The bloc backs a multipolar world and condemns hegemony.",
		"A multipolar world is the answer to hegemony.",
		"The president called for a multipolar world without unilateral sanctions.",
	}
)

// synthetic returns the training examples in a fixed order.
func synthetic() []linear.Example {
	var out []linear.Example
	for i := range len(proTexts) {
		// interleave so that every fold sees every label
		for _, g := range []struct {
			texts  []string
			labels []string
		}{
			{proTexts, []string{"pro"}},
			{antiTexts, []string{"anti"}},
			{noneTexts, []string{"none"}},
			{bothTexts, []string{"pro", "anti"}},
		} {
			if i < len(g.texts) {
				out = append(out, linear.Example{Text: g.texts[i], Labels: g.labels})
			}
		}
	}
	return out
}

// testFeatures is small so that training and saving stay fast.
var testFeatures = linear.Features{Dim: 1 << 12, WordNgrams: 2, Pieces: true}

var testCreated = time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))

// syntheticConfig trains one setting without cross-validation.
func syntheticConfig(tokenizer []byte) linear.TrainConfig {
	return linear.TrainConfig{
		Name:      "synthetic",
		Folds:     1,
		Grid:      []linear.Features{testFeatures},
		L2:        []float64{1e-4},
		Seed:      7,
		Tokenizer: tokenizer,
		Created:   testCreated,
	}
}

// syntheticModel trains the synthetic model once per test binary; tests
// must not modify it.
var syntheticModel = sync.OnceValues(func() (*linear.Model, error) {
	data, err := models.Default.ReadFile("default/tokenizer.json")
	if err != nil {
		return nil, err
	}
	return linear.Train(synthetic(), nil, syntheticConfig(data))
})

func trained(tb testing.TB) *linear.Model {
	tb.Helper()
	m, err := syntheticModel()
	if err != nil {
		tb.Fatalf("train synthetic model: %v", err)
	}
	return m
}

// artifact saves m and returns its files as a MapFS.
func artifact(tb testing.TB, m *linear.Model) fstest.MapFS {
	tb.Helper()
	dir := tb.TempDir()
	if err := m.Save(dir); err != nil {
		tb.Fatalf("Save: %v", err)
	}
	fsys := fstest.MapFS{}
	for _, name := range []string{linear.ManifestFile, linear.TokenizerFile, linear.WeightsFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return fsys
}

// labelNames returns the names of the label indices of p.
func labelNames(m *linear.Model, p linear.Prediction) []string {
	labels := m.Labels()
	var out []string
	for _, l := range p.Labels {
		out = append(out, labels[l])
	}
	slices.Sort(out)
	return out
}
