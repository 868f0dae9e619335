// Package wirecompat holds the test that keeps the API's wire and JSON
// encodings stable across changes to the proto's syntax.
package wirecompat

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	stancev1 "github.com/stanceproject/stance/gen/stance/v1"
)

func result() *stancev1.ClassifyResult {
	return &stancev1.ClassifyResult{
		Scores:              []*stancev1.LabelScore{{Label: "pro", Score: 0.75}, {Label: "none", Score: 0.125}},
		Labels:              []string{"pro"},
		TopLabel:            "pro",
		TopScore:            0.75,
		Abstained:           true,
		UnsupportedLanguage: true,
		Language:            "en",
		LanguageConfidence:  0.5,
		ModelVersion:        "v7",
		Explanations: []*stancev1.LabelExplanation{{
			Label: "pro", Bias: -1.5,
			Contributions: []*stancev1.FeatureContribution{{Feature: "multipolar world", Weight: 2.25}, {Feature: "char:é", Weight: -0.5}},
		}},
	}
}

// messages are the fixtures: every message of the API with every field set
// to a value other than its default, named by their testdata files.
func messages() map[string]proto.Message {
	req := &stancev1.ClassifyRequest{Text: "Ça va: the bloc ☃ grows.", Target: "bloc", Explain: true}
	item := &stancev1.BatchItem{Index: 3, Status: &stancev1.ItemStatus{Code: 3, Message: "text is empty"}, Result: result()}
	return map[string]proto.Message{
		"classify_request":         req,
		"classify_response":        &stancev1.ClassifyResponse{Result: result()},
		"classify_batch_request":   &stancev1.ClassifyBatchRequest{Requests: []*stancev1.ClassifyRequest{req, {Text: "second"}}},
		"classify_batch_response":  &stancev1.ClassifyBatchResponse{Items: []*stancev1.BatchItem{item, {Index: 4}}},
		"classify_stream_request":  &stancev1.ClassifyStreamRequest{Request: req},
		"classify_stream_response": &stancev1.ClassifyStreamResponse{Item: item},
		"classify_document_request": &stancev1.ClassifyDocumentRequest{
			Text: "One. Two.", Target: "bloc", Explain: true, EncodingType: stancev1.EncodingType_ENCODING_TYPE_UTF16,
		},
		"classify_document_response": &stancev1.ClassifyDocumentResponse{
			Sentences: []*stancev1.DocumentSentence{{Text: "One.", BeginOffset: 1, EndOffset: 5, Result: result()}},
			Summary: &stancev1.DocumentSummary{
				SentenceCount: 2, AbstainedCount: 1, UnsupportedCount: 1,
				Labels: []*stancev1.LabelSummary{{Label: "pro", SentenceCount: 1, Share: 0.5}},
			},
			EncodingType: stancev1.EncodingType_ENCODING_TYPE_UTF32,
			ModelVersion: "v7",
		},
		"get_model_info_request": &stancev1.GetModelInfoRequest{},
		"get_model_info_response": &stancev1.GetModelInfoResponse{
			Model: &stancev1.ModelInfo{
				Name: "news", Version: "v7", ExclusiveLabel: "none", MultiLabel: true, AcceptsTargets: true,
				Labels:    []*stancev1.LabelInfo{{Name: "pro", Description: "for it", Threshold: 0.4}},
				Targets:   []string{"bloc"},
				Languages: []string{"en"},
				Metrics:   map[string]*stancev1.MetricSet{"dev": {Values: map[string]float64{"macro_f1": 0.8}}},
				Created:   "2024-05-01T00:00:00Z",
			},
			Limits: &stancev1.Limits{MaxTextBytes: 4096, MaxBatchSize: 256, MaxDocumentBytes: 1 << 20, MaxDocumentSentences: 2000},
		},
	}
}

// TestDecodeSavedMessages decodes messages that the generated code of the
// proto's earlier edition-2023 form encoded, in binary and in protojson,
// and checks that today's code reads the same values and writes the same
// bytes: clients built from either proto interoperate.
func TestDecodeSavedMessages(t *testing.T) {
	for name, want := range messages() {
		t.Run(name, func(t *testing.T) {
			bin, err := os.ReadFile(filepath.Join("testdata", name+".binpb"))
			if err != nil {
				t.Fatal(err)
			}
			got := want.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(bin, got); err != nil {
				t.Fatalf("decoding the saved binary: %v", err)
			}
			if !proto.Equal(got, want) {
				t.Errorf("saved binary decodes to %v, want %v", got, want)
			}
			again, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(bin) {
				t.Errorf("encoding changed:\n got %x\nwant %x", again, bin)
			}

			js, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			got = want.ProtoReflect().New().Interface()
			if err := protojson.Unmarshal(js, got); err != nil {
				t.Fatalf("decoding the saved JSON: %v", err)
			}
			if !proto.Equal(got, want) {
				t.Errorf("saved JSON decodes to %v, want %v", got, want)
			}
		})
	}
}
