// Package testmodel trains small stance models from templated sentences for
// the tests of the packages that serve models (server, client, stanced,
// e2e). A model trains in well under a second and classifies the texts
// below with confidence, so tests can assert labels without depending on
// the default model, which is retrained with the corpus.
package testmodel

import (
	"fmt"
	"time"

	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
)

// Texts the models classify with confidence: they reuse the vocabulary of
// the templates.
const (
	MultipolarText = "Ghana said that a multipolar world is taking shape and that the Global South deserves a greater voice in global governance."
	UnilateralText = "Ghana said that it opposes unilateral sanctions and the hegemony of a single power, which violate international law."
	NeutralText    = "The delegation from Ghana arrived in the capital on Monday and the talks will begin on Tuesday."
)

// Labels are the labels of Examples, with descriptions.
var Labels = []linear.LabelEntry{
	{Name: "anti_unilateralism", Description: "Criticises unilateral sanctions and hegemony."},
	{Name: "none", Description: "Expresses none of the other stances."},
	{Name: "pro_multipolarity", Description: "Welcomes a multipolar world order."},
}

// Examples returns 41 templated sentences for three labels, two of them
// carrying two labels, so that a model trained on them is multi-label with
// tuned thresholds.
func Examples() []linear.Example {
	out := Sentences([]string{"China", "Brazil", "India", "South Africa", "Indonesia", "Egypt", "Kenya", "Mexico", "Vietnam", "Argentina", "Nigeria", "Malaysia", "Ethiopia"})
	return append(out,
		linear.Example{Text: "Peru welcomed a multipolar world and said it opposes unilateral sanctions and hegemony.", Labels: []string{"pro_multipolarity", "anti_unilateralism"}},
		linear.Example{Text: "Chile said that the Global South should have a greater voice and condemned the hegemony of one country.", Labels: []string{"pro_multipolarity", "anti_unilateralism"}},
	)
}

// Sentences returns one single-label sentence per subject for each of
// pro_multipolarity, anti_unilateralism and none, in that order, from two
// templates per label that alternate by subject.
func Sentences(subjects []string) []linear.Example {
	templates := map[string][]string{
		"pro_multipolarity": {
			"%s said that a multipolar world is taking shape and that the Global South should have a greater voice in global governance.",
			"The rise of %s and the BRICS is a welcome step towards a multipolar world order and the democratisation of international relations.",
		},
		"anti_unilateralism": {
			"%s said that it opposes unilateral sanctions and the hegemony of one country, which are against international law.",
			"The minister from %s condemned unilateral sanctions, long-arm jurisdiction and the hegemonic bullying of a single power.",
		},
		"none": {
			"The delegation from %s arrived in the capital on Monday and the talks will begin on Tuesday.",
			"The trade fair in %s will open next week with more than two hundred exhibitors from the region.",
		},
	}
	var out []linear.Example
	for _, label := range []string{"pro_multipolarity", "anti_unilateralism", "none"} {
		for i, s := range subjects {
			out = append(out, linear.Example{Text: fmt.Sprintf(templates[label][i%2], s), Labels: []string{label}})
		}
	}
	return out
}

// TargetExamples returns sentences about the targets "NATO" and "BRICS"
// labelled favor or against, for a target-conditioned model.
func TargetExamples() []linear.Example {
	var out []linear.Example
	for _, target := range []string{"NATO", "BRICS"} {
		out = append(out,
			linear.Example{Text: "The government said that it strongly supports the bloc and wants it to grow.", Target: target, Labels: []string{"favor"}},
			linear.Example{Text: "The minister praised the bloc and its members for their cooperation.", Target: target, Labels: []string{"favor"}},
			linear.Example{Text: "The government said that it opposes the bloc and wants it to shrink.", Target: target, Labels: []string{"against"}},
			linear.Example{Text: "The minister condemned the bloc and its members for their pressure.", Target: target, Labels: []string{"against"}},
		)
	}
	return out
}

// Train trains a model named name on exs with the default model's
// tokenizer, small hashed features and no cross-validation. labels may be
// nil. The same arguments give the same model.
func Train(name string, exs []linear.Example, labels []linear.LabelEntry) (*linear.Model, error) {
	tok, err := models.DefaultTokenizer()
	if err != nil {
		return nil, err
	}
	return linear.Train(exs, nil, linear.TrainConfig{
		Name:      name,
		Labels:    labels,
		Folds:     1,
		Tokenizer: tok,
		Grid:      []linear.Features{{Dim: 1 << 14, WordNgrams: 2, Pieces: true}},
		Created:   time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	})
}
