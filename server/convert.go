package server

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
)

func fromProtoRequest(r *stancev1.ClassifyRequest) stance.Request {
	return stance.Request{Text: r.GetText(), Target: r.GetTarget(), Explain: r.GetExplain()}
}

func toProtoResult(r stance.Result) *stancev1.ClassifyResult {
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

func toProtoInfo(info stance.ModelInfo) *stancev1.ModelInfo {
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
