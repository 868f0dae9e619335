//go:build race

package e2e_test

// raceEnabled is whether this test binary runs under the race detector;
// the stanced binary under test is then built with -race as well, so that
// a data race in the server fails the test that provoked it.
const raceEnabled = true
