package server

import (
	"github.com/stanceproject/stance"
	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
)

func fromProtoRequest(r *stancev1.ClassifyRequest) stance.Request {
	return stance.Request{Text: r.GetText(), Target: r.GetTarget(), Explain: r.GetExplain()}
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
