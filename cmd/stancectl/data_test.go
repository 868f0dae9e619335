package main

import (
	"strings"
	"testing"
)

const labelsJSON = `[
  {"name": "pro_multipolarity", "description": "Welcomes a multipolar world."},
  {"name": "anti_unilateralism", "description": "Criticises unilateralism and hegemony."},
  {"name": "none", "description": "None of the others."}
]`

// A sentence long enough that changing one word keeps the word-set overlap
// over the default threshold of 0.8.
const longSentence = "The foreign ministers of the five countries said in a joint statement that they welcome the emergence of a multipolar world."

func TestDataCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	labels := writeFile(t, dir, "labels.json", []byte(labelsJSON))

	t.Run("clean", func(t *testing.T) {
		clean := writeFile(t, dir, "clean.jsonl", []byte(
			`{"text": "`+longSentence+`", "labels": ["pro_multipolarity"]}`+"\n"+
				`{"text": "The minister condemned unilateral sanctions and hegemony.", "labels": ["anti_unilateralism"]}`+"\n"+
				`{"text": "The talks will begin on Tuesday.", "labels": ["none"]}`+"\n"))
		stdout, stderr, err := cli(t, "", "data", "check", "--labels", labels, clean)
		if err != nil {
			t.Fatalf("data check of a clean file: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		}
		if stdout != "" {
			t.Errorf("stdout = %q, want no problems", stdout)
		}
		if want := clean + ": 3 examples"; !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q, want it to contain %q", stderr, want)
		}
	})

	t.Run("problems", func(t *testing.T) {
		bad := writeFile(t, dir, "bad.jsonl", []byte(strings.Join([]string{
			`{"text": "` + longSentence + `", "labels": ["pro_multipolarity"]}`,
			`{"text": "The talks will begin on Tuesday.", "labels": ["none"]`,
			`{"text": "The minister praised the bananas.", "labels": ["pro_bananas"]}`,
			`{"text": "The minister condemned unilateral sanctions.", "labels": ["none", "anti_unilateralism"]}`,
			`{"text": "  ` + strings.ToUpper(longSentence) + `  ", "labels": ["pro_multipolarity"]}`,
			`{"text": "` + strings.Replace(longSentence, "welcome", "applaud", 1) + `", "labels": ["pro_multipolarity"]}`,
			`{"text": "The trade fair will open next week.", "labels": ["none"]}`,
		}, "\n")+"\n"))
		stdout, stderr, err := cli(t, "", "data", "check", "--labels", labels, bad)
		wantExit(t, err, 1)
		lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
		want := []string{
			bad + ":2: invalid JSON",
			bad + `:3: unknown label "pro_bananas"`,
			bad + `:4: label "none" combined with "anti_unilateralism"`,
			bad + ":5: duplicate of " + bad + ":1",
			bad + ":6: near-duplicate of " + bad + ":1 (overlap ",
		}
		if len(lines) != len(want) {
			t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), stdout)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("problem %d = %q, want it to start with %q", i+1, lines[i], w)
			}
		}
		if !strings.Contains(stderr, "5 problem(s)") {
			t.Errorf("stderr = %q, want the count of problems", stderr)
		}
	})

	t.Run("leakage", func(t *testing.T) {
		train := writeFile(t, dir, "train.jsonl", []byte(
			`{"text": "The talks will begin on Tuesday.", "labels": ["none"]}`+"\n"+
				`{"text": "`+longSentence+`", "labels": ["pro_multipolarity"]}`+"\n"))
		dev := writeFile(t, dir, "dev.jsonl", []byte(
			`{"text": "The minister condemned unilateral sanctions and hegemony.", "labels": ["anti_unilateralism"]}`+"\n"+
				`{"text": "`+longSentence+`", "labels": ["none"]}`+"\n"))
		stdout, _, err := cli(t, "", "data", "check", "--labels", labels, train, dev)
		wantExit(t, err, 1)
		want := dev + ":2: leakage: duplicate of " + train + ":2 with different labels\n"
		if stdout != want {
			t.Errorf("stdout = %q, want %q", stdout, want)
		}
	})

	t.Run("usage", func(t *testing.T) {
		if _, _, err := cli(t, "", "data", "check", "--labels", labels); err == nil {
			t.Error("data check with no files returned nil")
		}
		if _, _, err := cli(t, "", "data", "lint"); err == nil {
			t.Error("data lint returned nil")
		}
	})
}
