// Package apiconv turns the domain's results into stance.v1 messages, so
// that the server and the CLI's JSON output speak the API's one schema.
package apiconv

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
)

// Result is r as the API's ClassifyResult.
func Result(r stance.Result) *stancev1.ClassifyResult {
	out := &stancev1.ClassifyResult{
		Labels:              r.Labels,
		TopLabel:            r.Top,
		Abstained:           r.Abstained,
		UnsupportedLanguage: r.Unsupported,
		Language:            r.Language,
		LanguageConfidence:  r.LanguageConfidence,
		ModelVersion:        r.ModelVersion,
	}
	if len(r.Scores) > 0 {
		out.Scores = make([]*stancev1.LabelScore, len(r.Scores))
		for i, s := range r.Scores {
			out.Scores[i] = &stancev1.LabelScore{Label: s.Label, Score: s.Score}
			if s.Label == r.Top {
				out.TopScore = s.Score
			}
		}
	}
	for _, e := range r.Explanations {
		pe := &stancev1.LabelExplanation{Label: e.Label, Bias: e.Bias}
		for _, c := range e.Contributions {
			pe.Contributions = append(pe.Contributions, &stancev1.FeatureContribution{Feature: c.Feature, Weight: c.Weight})
		}
		out.Explanations = append(out.Explanations, pe)
	}
	return out
}

// Info is info as the API's ModelInfo.
func Info(info stance.ModelInfo) *stancev1.ModelInfo {
	out := &stancev1.ModelInfo{
		Name:           info.Name,
		Version:        info.Version,
		ExclusiveLabel: info.ExclusiveLabel,
		MultiLabel:     info.MultiLabel,
		AcceptsTargets: len(info.Targets) > 0,
		Targets:        info.Targets,
		Languages:      info.Languages,
		Created:        info.Created,
	}
	for _, l := range info.Labels {
		out.Labels = append(out.Labels, &stancev1.LabelInfo{Name: l.Name, Description: l.Description, Threshold: l.Threshold})
	}
	if len(info.Metrics) > 0 {
		out.Metrics = map[string]*stancev1.MetricSet{}
		for set, vals := range info.Metrics {
			out.Metrics[set] = &stancev1.MetricSet{Values: vals}
		}
	}
	return out
}

// Document is doc, the classification of text, as the API's
// ClassifyDocumentResponse with offsets in unit, which must not be
// UNSPECIFIED.
func Document(doc stance.Document, text string, unit stancev1.EncodingType) *stancev1.ClassifyDocumentResponse {
	out := &stancev1.ClassifyDocumentResponse{
		EncodingType: unit,
		ModelVersion: doc.ModelVersion,
		Summary: &stancev1.DocumentSummary{
			SentenceCount:    int64(len(doc.Sentences)),
			AbstainedCount:   int64(doc.Abstained),
			UnsupportedCount: int64(doc.Unsupported),
		},
	}
	conv := offsetConverter{text: text, unit: unit}
	for _, sent := range doc.Sentences {
		out.Sentences = append(out.Sentences, &stancev1.DocumentSentence{
			Text:        sent.Text,
			BeginOffset: conv.convert(sent.Start),
			EndOffset:   conv.convert(sent.End),
			Result:      Result(sent.Result),
		})
	}
	for _, l := range doc.Labels {
		out.Summary.Labels = append(out.Summary.Labels, &stancev1.LabelSummary{Label: l.Label, SentenceCount: int64(l.Sentences), Share: l.Share})
	}
	return out
}

// offsetConverter turns increasing UTF-8 byte offsets of text into another
// unit in one pass.
type offsetConverter struct {
	text     string
	unit     stancev1.EncodingType
	bytePos  int
	unitsPos int64
}

func (c *offsetConverter) convert(byteOff int) int64 {
	if c.unit == stancev1.EncodingType_ENCODING_TYPE_UTF8 {
		return int64(byteOff)
	}
	for c.bytePos < byteOff {
		r, size := utf8.DecodeRuneInString(c.text[c.bytePos:])
		c.bytePos += size
		if c.unit == stancev1.EncodingType_ENCODING_TYPE_UTF16 {
			c.unitsPos += int64(utf16.RuneLen(r))
		} else {
			c.unitsPos++
		}
	}
	return c.unitsPos
}
