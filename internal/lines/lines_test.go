package lines

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stanceproject/stance"
)

// upper "classifies" a text as its upper case, failing the texts "bad"
// and the whole call when a text is "down".
type upper struct{ calls []int }

func (u *upper) Classify(_ context.Context, reqs []stance.Request) ([]stance.Result, error) {
	u.calls = append(u.calls, len(reqs))
	out := make([]stance.Result, len(reqs))
	for i, r := range reqs {
		switch r.Text {
		case "down":
			return nil, errors.New("server gone")
		case "bad":
			out[i].Err = errors.New("bad text")
		default:
			out[i].Top = strings.ToUpper(r.Text) + "/" + r.Target
		}
	}
	return out, nil
}

func (u *upper) Info(context.Context) (stance.ModelInfo, error) { return stance.ModelInfo{}, nil }

func TestClassify(t *testing.T) {
	var in strings.Builder
	for i := range Chunk + 2 {
		fmt.Fprintf(&in, "t%d\n", i)
		if i == 1 {
			in.WriteString(" \t\nbad\n")
		}
	}
	u := &upper{}
	var got []string
	err := Classify(t.Context(), u, strings.NewReader(in.String()), "in.txt", stance.Request{Target: "x"}, time.Second,
		func(line int, text string, r stance.Result) error {
			got = append(got, fmt.Sprintf("%d:%s:%s:%v", line, text, r.Top, r.Err))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != Chunk+3 || got[0] != "1:t0:T0/x:<nil>" || got[2] != "4:bad::bad text" || got[3] != "5:t2:T2/x:<nil>" {
		t.Errorf("emitted %d lines starting %q, want every non-blank line numbered as in the file", len(got), got[:4])
	}
	if len(u.calls) != 2 || u.calls[0] != Chunk {
		t.Errorf("calls of %v texts, want a full chunk then the rest", u.calls)
	}
	err = Classify(t.Context(), &upper{}, strings.NewReader("a\n\ndown\n"), "in.txt", stance.Request{}, time.Second,
		func(int, string, stance.Result) error { return nil })
	if err == nil || err.Error() != "in.txt:1: server gone" {
		t.Errorf("failed call: %v, want it to name the chunk's first line", err)
	}
}
