// Package envflag declares flags whose defaults come from environment
// variables: the variable sets the default, the flag overrides it.
package envflag

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Get returns the environment variable key, or def when unset or empty.
func Get(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// Set declares flags with environment twins on a flag set and gathers
// the errors of variables that do not parse.
type Set struct {
	FS   *flag.FlagSet
	errs []error
}

// Err joins the errors of the variables that did not parse.
func (s *Set) Err() error { return errors.Join(s.errs...) }

// String declares a string flag.
func (s *Set) String(p *string, name, env, def, usage string) {
	s.FS.StringVar(p, name, Get(env, def), usage+" (env "+env+")")
}

// Int declares an integer flag.
func (s *Set) Int(p *int, name, env string, def int, usage string) {
	s.FS.IntVar(p, name, parse(s, env, def, strconv.Atoi, "an integer"), usage+" (env "+env+")")
}

// Duration declares a duration flag.
func (s *Set) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	s.FS.DurationVar(p, name, parse(s, env, def, time.ParseDuration, "a duration"), usage+" (env "+env+")")
}

// Bool declares a boolean flag.
func (s *Set) Bool(p *bool, name, env string, def bool, usage string) {
	s.FS.BoolVar(p, name, parse(s, env, def, strconv.ParseBool, "a boolean"), usage+" (env "+env+")")
}

func parse[T any](s *Set, env string, def T, conv func(string) (T, error), what string) T {
	v, ok := os.LookupEnv(env)
	if !ok || v == "" {
		return def
	}
	x, err := conv(v)
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s=%q: not %s", env, v, what))
	}
	return x
}

// Strings declares a repeatable flag gathering its values in order; the
// variable gives one value, which the flag's first use replaces.
func (s *Set) Strings(p *[]string, name, env, usage string) {
	*p = nil
	if v := Get(env, ""); v != "" {
		*p = []string{v}
	}
	s.FS.Var(&stringsFlag{p: p, fromEnv: *p != nil}, name, usage+" (env "+env+")")
}

type stringsFlag struct {
	p       *[]string
	fromEnv bool
}

func (s *stringsFlag) String() string {
	if s.p == nil {
		return ""
	}
	return fmt.Sprint(*s.p)
}

func (s *stringsFlag) Set(v string) error {
	if s.fromEnv {
		*s.p, s.fromEnv = nil, false
	}
	*s.p = append(*s.p, v)
	return nil
}
