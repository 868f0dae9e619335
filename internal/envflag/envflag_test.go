package envflag

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSet(t *testing.T) {
	t.Setenv("T_STR", "from-env")
	t.Setenv("T_INT", "12")
	t.Setenv("T_BAD_DUR", "soon")
	t.Setenv("T_EMPTY", "")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	e := Set{FS: fs}
	var str, empty string
	var n, m int
	var d time.Duration
	var b bool
	e.String(&str, "str", "T_STR", "def", "a string")
	e.String(&empty, "empty", "T_EMPTY", "def", "unset when empty")
	e.Int(&n, "n", "T_INT", 1, "a number")
	e.Int(&m, "m", "T_UNSET", 7, "a number")
	e.Duration(&d, "d", "T_BAD_DUR", time.Second, "a duration")
	e.Bool(&b, "b", "T_UNSET", true, "a boolean")
	if err := fs.Parse([]string{"-m", "8"}); err != nil {
		t.Fatal(err)
	}
	if str != "from-env" || empty != "def" || n != 12 || m != 8 || !b {
		t.Errorf("values %q %q %d %d %v; want the environment's, the default for an empty variable, and the flag's", str, empty, n, m, b)
	}
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), `T_BAD_DUR="soon": not a duration`) {
		t.Errorf("Err = %v, want the bad duration named", err)
	}
	if u := fs.Lookup("str").Usage; u != "a string (env T_STR)" {
		t.Errorf("usage %q, want the variable named", u)
	}
}

func TestStrings(t *testing.T) {
	t.Setenv("T_MODEL", "/env/dir")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "[/env/dir]"},
		{[]string{"-model", "a=/x", "-model", "/y"}, "[a=/x /y]"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var got []string
		e := Set{FS: fs}
		e.Strings(&got, "model", "T_MODEL", "models")
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != tt.want {
			t.Errorf("%q: %v, want %s (flags replace the variable)", tt.args, got, tt.want)
		}
	}
}
