package dataset

import (
	"bytes"
	"strings"
	"testing"
)

// checkExamples asserts what every caller relies on: text and labels are
// never empty.
func checkExamples(t *testing.T, exs []Example) {
	t.Helper()
	for _, ex := range exs {
		if strings.TrimSpace(ex.Text) == "" || len(ex.Labels) == 0 {
			t.Fatalf("example %+v has empty text or no labels", ex)
		}
		for _, l := range ex.Labels {
			if l == "" {
				t.Fatalf("example %+v has an empty label", ex)
			}
		}
	}
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"text": "a", "labels": ["none"]}` + "\n"))
	f.Add([]byte("\xef\xbb\xbf{\"text\": \"b\", \"labels\": [\"x\", \"x\"], \"id\": 3}\r\n\n{}"))
	f.Add([]byte(`{"text": "", "labels": []}` + "\n" + `[1, 2]` + "\n" + `{"text": "c", "labels": ["none", "y"]}`))
	f.Add([]byte("{\"text\": \"\xff\", \"labels\": [\"none\"]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, skip := range []bool{false, true} {
			exs, _, _ := Read(bytes.NewReader(data), "fuzz.jsonl", Options{SkipBad: skip})
			checkExamples(t, exs)
		}
	})
}

func FuzzReadSemEval(f *testing.F) {
	f.Add([]byte("ID\tTarget\tTweet\tStance\n1\tAtheism\tgod\tAGAINST\n"))
	f.Add([]byte("\xef\xbb\xbfid\ttweet\tstance\r\n1\t\x93hi\x94\tfavor\r\n2\t\tNONE\r\n3\tx\n"))
	f.Add([]byte("Tweet\tStance\n\t\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, skip := range []bool{false, true} {
			exs, _, _ := Read(bytes.NewReader(data), "fuzz.tsv", Options{SkipBad: skip})
			checkExamples(t, exs)
		}
	})
}
