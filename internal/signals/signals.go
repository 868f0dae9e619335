// Package signals turns a server's signals into its life: the first
// SIGTERM or SIGINT starts the drain, a second cuts its delay, and SIGHUP
// reloads.
package signals

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// Stop returns a context that ends on the first SIGTERM or SIGINT,
// and a channel closed when the drain delay is to be skipped: on a second
// signal, or at once for SIGINT when stdin is a terminal (a person pressed
// Ctrl-C; no balancer is waiting to see the readiness flip).
func Stop() (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	hurry := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		if sig == os.Interrupt && term.IsTerminal(int(os.Stdin.Fd())) {
			close(hurry)
			cancel()
			return
		}
		cancel()
		<-sigs
		close(hurry)
	}()
	return ctx, hurry, func() { signal.Stop(sigs); cancel() }
}

// Hangup catches SIGHUP from now on, whose default would end the process,
// and returns the signals and a function that stops catching them.
func Hangup() (<-chan os.Signal, func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup, func() { signal.Stop(hup) }
}

// Each calls fns in order on each value of c until ctx ends.
func Each(ctx context.Context, c <-chan os.Signal, fns ...func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c:
			for _, f := range fns {
				f()
			}
		}
	}
}
