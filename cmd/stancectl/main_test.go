package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stanceproject/stance/internal/testmodel"
)

// cmdTimeout bounds every run of the command in the tests.
const cmdTimeout = 60 * time.Second

func TestMain(m *testing.M) {
	// The flags take defaults from these; the tests must not depend on the
	// caller's environment.
	for _, k := range []string{"STANCE_ADDR", "STANCE_MODEL", "STANCE_TOKEN", "SOURCE_DATE_EPOCH"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	removeFixture()
	os.Exit(code)
}

// cli runs the command in process with stdin and returns what it printed.
func cli(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cmdTimeout)
	defer cancel()
	var out, errOut bytes.Buffer
	err = run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustCLI runs the command and fails the test when it returns an error.
func mustCLI(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := cli(t, "", args...)
	if err != nil {
		t.Fatalf("stancectl %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr)
	}
	return stdout, stderr
}

// wantExit checks that err is the exit code the command chose after
// printing why.
func wantExit(t *testing.T, err error, code int) {
	t.Helper()
	var ec exitCode
	if !errors.As(err, &ec) || int(ec) != code {
		t.Fatalf("err = %v, want exitCode(%d)", err, code)
	}
}

// writeFile writes content to name in dir and returns the path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// jsonLines decodes every non-empty line of s as a JSON object.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if line == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d %q is not a JSON object: %v", i+1, line, err)
		}
		out = append(out, obj)
	}
	return out
}

// jsonObject decodes s, which must hold exactly one JSON value, as an object.
func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("output holds more than one JSON value:\n%s", s)
	}
	return obj
}

// wantKeys checks that obj has every key.
func wantKeys(t *testing.T, what string, obj map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s has no key %q: %v", what, k, obj)
		}
	}
}

// strings of a JSON array.
func jsonStrings(t *testing.T, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON array", v, v)
	}
	out := make([]string, len(arr))
	for i, x := range arr {
		s, ok := x.(string)
		if !ok {
			t.Fatalf("%v (%T) is not a JSON string", x, x)
		}
		out[i] = s
	}
	return out
}

// The synthetic corpus: templated sentences for three labels, one of them
// "none", that a model trained for a second learns perfectly.
var (
	trainSubjects = []string{"China", "Brazil", "India", "South Africa", "Indonesia", "Egypt", "Kenya", "Mexico",
		"Vietnam", "Argentina", "Nigeria", "Malaysia", "Ethiopia", "Turkey", "Iran", "Pakistan", "Algeria", "Cuba",
		"Bolivia", "Laos"}
	devSubjects = []string{"Ghana", "Peru", "Chile", "Senegal", "Nepal", "Angola", "Uruguay", "Mongolia"}
	synthLabels = []string{"pro_multipolarity", "anti_unilateralism", "none"}
)

// synthJSONL returns one JSONL line per subject and label, and extra lines
// appended as given.
func synthJSONL(subjects []string, extra ...string) []byte {
	var b bytes.Buffer
	for _, x := range testmodel.Sentences(subjects) {
		line, _ := json.Marshal(map[string]any{"text": x.Text, "labels": x.Labels})
		b.Write(line)
		b.WriteByte('\n')
	}
	for _, e := range extra {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// mislabelled are dev lines whose gold labels contradict the training data,
// so that no model trained on it scores a perfect dev macro-F1.
var mislabelled = []string{
	`{"text": "The delegation from Nauru arrived in the capital on Monday and the talks will begin on Tuesday.", "labels": ["pro_multipolarity"]}`,
	`{"text": "The trade fair in Tonga will open next week with more than two hundred exhibitors from the region.", "labels": ["anti_unilateralism"]}`,
}

// fixture is a trained model and the data it came from, shared by the
// tests that only read it.
type fixture struct {
	dir        string // holds the files below
	train, dev string // JSONL files
	model      string // model directory
}

var (
	fixtureMu  sync.Mutex
	fixtureVal *fixture
)

// trainedModel trains the synthetic model once per test binary, with the
// train command, into a directory removed when the tests end.
func trainedModel(t *testing.T) *fixture {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if fixtureVal != nil {
		return fixtureVal
	}
	dir, err := os.MkdirTemp("", "stancectl-test-")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, model: filepath.Join(dir, "model")}
	f.train = writeFile(t, dir, "train.jsonl", synthJSONL(trainSubjects))
	f.dev = writeFile(t, dir, "dev.jsonl", synthJSONL(devSubjects, mislabelled...))
	mustCLI(t, "train", "--train", f.train, "--dev", f.dev, "--out", f.model, "--cv", "1", "--quiet")
	fixtureVal = f
	return f
}

func removeFixture() {
	if fixtureVal != nil {
		os.RemoveAll(fixtureVal.dir)
	}
}
