package usage

import (
	"flag"
	"strings"
	"testing"
)

func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("addr", "localhost:50051", "listen on `HOST:PORT`")
	fs.Bool("v", false, "verbose: -v is fine too")
	var b strings.Builder
	Flags(&b, fs)
	want := "  --addr HOST:PORT\n    \tlisten on HOST:PORT (default \"localhost:50051\")\n  --v\tverbose: -v is fine too\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}
