package server_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
	"github.com/stanceproject/stance/linear"
)

// The target model's text and the served names of the two test models.
const (
	blocText    = "The government said that it strongly supports the bloc and wants it to grow."
	plainName   = "synthetic"
	targetsName = "synthetic-targets"
	frenchText  = "Le gouvernement a annoncé mardi que les négociations avec les pays voisins reprendraient au printemps."
)

// TestSeveralModels serves the plain model as the default and the
// target-conditioned one beside it: every RPC answers with the model it
// names, and an unknown name is NOT_FOUND listing the served names.
func TestSeveralModels(t *testing.T) {
	t.Parallel()
	plain, targets := plainModel(t), targetModel(t)
	env := newEnv(t, plain, envOptions{beside: []*linear.Model{targets}})
	version := map[string]string{"": plain.ManifestRef().Version, plainName: plain.ManifestRef().Version, targetsName: targets.ManifestRef().Version}

	t.Run("Classify", func(t *testing.T) {
		for _, name := range []string{"", plainName} {
			resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText, Model: name})
			if err != nil {
				t.Fatalf("Classify(model %q): %v", name, err)
			}
			checkResult(t, plain, resp.GetResult())
		}
		resp, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: blocText, Target: "NATO", Model: targetsName})
		if err != nil {
			t.Fatalf("Classify(model %q): %v", targetsName, err)
		}
		if got := resp.GetResult(); got.GetModelVersion() != version[targetsName] || got.GetTopLabel() != "favor" {
			t.Errorf("target model answered version %s, top %s; want %s, favor", got.GetModelVersion(), got.GetTopLabel(), version[targetsName])
		}
		_, err = env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText, Model: "nope"})
		wantStatus(t, err, codes.NotFound, `model "nope" is not served`, plainName+", "+targetsName)
	})

	t.Run("ClassifyBatch", func(t *testing.T) {
		resp, err := env.stub.ClassifyBatch(rpcContext(t), &stancev1.ClassifyBatchRequest{Requests: []*stancev1.ClassifyRequest{
			{Text: multipolarText},
			{Text: blocText, Target: "BRICS", Model: targetsName},
			{Text: multipolarText, Model: "nope"},
			{Text: neutralText, Model: plainName},
		}})
		if err != nil {
			t.Fatalf("ClassifyBatch: %v", err)
		}
		items := resp.GetItems()
		for i, name := range []string{"", targetsName, "", plainName} {
			if i == 2 {
				if c := codes.Code(items[i].GetStatus().GetCode()); c != codes.NotFound {
					t.Errorf("item 2 (unknown model): code %s, want NotFound", c)
				}
				continue
			}
			if got := items[i].GetResult().GetModelVersion(); got != version[name] {
				t.Errorf("item %d (model %q): version %s, want %s", i, name, got, version[name])
			}
		}
	})

	t.Run("ClassifyStream", func(t *testing.T) {
		stream, err := env.stub.ClassifyStream(rpcContext(t))
		if err != nil {
			t.Fatal(err)
		}
		reqs := []*stancev1.ClassifyRequest{{Text: blocText, Target: "NATO", Model: targetsName}, {Text: multipolarText}, {Text: multipolarText, Model: "nope"}}
		for _, r := range reqs {
			if err := stream.Send(&stancev1.ClassifyStreamRequest{Request: r}); err != nil {
				t.Fatal(err)
			}
		}
		stream.CloseSend()
		var got []string
		for {
			resp, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, resp.GetItem().GetResult().GetModelVersion()+codes.Code(resp.GetItem().GetStatus().GetCode()).String())
		}
		want := []string{version[targetsName] + "OK", version[""] + "OK", "NotFound"}
		if !slices.Equal(got, want) {
			t.Errorf("stream answered %q, want %q", got, want)
		}
	})

	t.Run("ClassifyDocument", func(t *testing.T) {
		resp, err := env.stub.ClassifyDocument(rpcContext(t), &stancev1.ClassifyDocumentRequest{Text: blocText + " " + blocText, Target: "NATO", Model: targetsName})
		if err != nil {
			t.Fatalf("ClassifyDocument: %v", err)
		}
		if resp.GetModelVersion() != version[targetsName] || len(resp.GetSentences()) != 2 {
			t.Errorf("document: version %s, %d sentences; want %s, 2", resp.GetModelVersion(), len(resp.GetSentences()), version[targetsName])
		}
		_, err = env.stub.ClassifyDocument(rpcContext(t), &stancev1.ClassifyDocumentRequest{Text: blocText, Model: "nope"})
		wantStatus(t, err, codes.NotFound, "nope", targetsName)
	})

	t.Run("GetModelInfo", func(t *testing.T) {
		for _, name := range []string{"", plainName, targetsName} {
			resp, err := env.stub.GetModelInfo(rpcContext(t), &stancev1.GetModelInfoRequest{Model: name})
			if err != nil {
				t.Fatalf("GetModelInfo(%q): %v", name, err)
			}
			if resp.GetModel().GetVersion() != version[name] || resp.GetLimits().GetMaxTextBytes() != testLimits.MaxTextBytes {
				t.Errorf("GetModelInfo(%q) = version %s, limits %v; want %s and the test limits", name, resp.GetModel().GetVersion(), resp.GetLimits(), version[name])
			}
		}
		_, err := env.stub.GetModelInfo(rpcContext(t), &stancev1.GetModelInfoRequest{Model: "nope"})
		wantStatus(t, err, codes.NotFound, "nope", plainName)
	})

	t.Run("ListModels", func(t *testing.T) {
		resp, err := env.stub.ListModels(rpcContext(t), &stancev1.ListModelsRequest{})
		if err != nil {
			t.Fatalf("ListModels: %v", err)
		}
		var got []string
		for _, m := range resp.GetModels() {
			got = append(got, m.GetName())
			if m.GetInfo().GetVersion() != version[m.GetName()] || m.GetIsDefault() != (m.GetName() == plainName) {
				t.Errorf("model %s: version %s, default %v", m.GetName(), m.GetInfo().GetVersion(), m.GetIsDefault())
			}
		}
		if !slices.Equal(got, []string{plainName, targetsName}) {
			t.Errorf("ListModels names %q, want the default first: %q", got, []string{plainName, targetsName})
		}
	})
}

// TestDriftMetrics checks the series an operator watches for drift: by
// model, the abstentions, the texts in a language the model does not read
// and the top scores of the others.
func TestDriftMetrics(t *testing.T) {
	t.Parallel()
	env := newEnv(t, plainModel(t), envOptions{beside: []*linear.Model{targetModel(t)}})
	for _, r := range []*stancev1.ClassifyRequest{
		{Text: multipolarText}, {Text: unilateralText}, {Text: frenchText},
		{Text: blocText, Target: "NATO", Model: targetsName},
	} {
		if _, err := env.stub.Classify(rpcContext(t), r); err != nil {
			t.Fatalf("Classify: %v", err)
		}
	}
	if got := counterValue(t, env.reg, "stance_unsupported_language_total", map[string]string{"model": plainName}); got != 1 {
		t.Errorf("stance_unsupported_language_total{model=%q} = %v, want 1 (the French text)", plainName, got)
	}
	if got := counterValue(t, env.reg, "stance_unsupported_language_total", map[string]string{"model": targetsName}); got != 0 {
		t.Errorf("stance_unsupported_language_total{model=%q} = %v, want 0", targetsName, got)
	}
	if got := counterValue(t, env.reg, "stance_abstained_total", map[string]string{"model": targetsName}); got != 0 {
		t.Errorf("stance_abstained_total{model=%q} = %v, want 0 for a confident answer", targetsName, got)
	}
	for name, want := range map[string]uint64{plainName: 2, targetsName: 1} {
		h := histogram(t, env, "stance_top_score", name)
		if h.GetSampleCount() != want || h.GetSampleSum() <= 0.5*float64(want) || h.GetSampleSum() > float64(want) {
			t.Errorf("stance_top_score{model=%q}: %d answers summing %v, want %d confident answers", name, h.GetSampleCount(), h.GetSampleSum(), want)
		}
	}
	if got := counterValue(t, env.reg, "stance_predictions_total", map[string]string{"model": targetsName, "label": "favor"}); got != 1 {
		t.Errorf(`stance_predictions_total{model=%q,label="favor"} = %v, want 1`, targetsName, got)
	}
	info := gaugeLabels(t, env, "stance_model_info")
	want := []string{plainName + " " + plainName + " " + plainModel(t).ManifestRef().Version, targetsName + " " + targetsName + " " + targetModel(t).ManifestRef().Version}
	if !slices.Equal(info, want) {
		t.Errorf("stance_model_info series %q, want %q", info, want)
	}
	if _, err := env.stub.Classify(rpcContext(t), &stancev1.ClassifyRequest{Text: multipolarText, Model: "nope"}); status.Code(err) != codes.NotFound {
		t.Fatalf("unknown model: %v, want NotFound", err)
	}
	for _, mf := range gather(t, env) {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "model" && l.GetValue() == "nope" {
					t.Errorf("%s has a series for the unknown model: unbounded label values", mf.GetName())
				}
			}
		}
	}
}

func gather(t *testing.T, env *testEnv) []*dto.MetricFamily {
	t.Helper()
	mfs, err := env.reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	return mfs
}

func histogram(t *testing.T, env *testEnv, name, model string) *dto.Histogram {
	t.Helper()
	for _, mf := range gather(t, env) {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "model" && l.GetValue() == model {
					return m.GetHistogram()
				}
			}
		}
	}
	t.Fatalf("no %s{model=%q}", name, model)
	return nil
}

// gaugeLabels lists the label values of a gauge's series, each joined by
// spaces in label-name order.
func gaugeLabels(t *testing.T, env *testEnv, name string) []string {
	t.Helper()
	var out []string
	for _, mf := range gather(t, env) {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var vals []string
			for _, l := range m.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			out = append(out, strings.Join(vals, " "))
		}
	}
	slices.Sort(out)
	return out
}
