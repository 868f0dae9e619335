// Package usage prints the flags of the commands as their documentation
// spells them.
package usage

import (
	"flag"
	"io"
	"strings"
)

// Flags writes the flags of fs as [flag.FlagSet.PrintDefaults] does, but
// spelled with two dashes, as the README and the messages write them (the
// flag package accepts both).
func Flags(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	out := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	for line := range strings.Lines(b.String()) {
		if rest, ok := strings.CutPrefix(line, "  -"); ok {
			line = "  --" + rest
		}
		io.WriteString(w, line)
	}
}
