package signals

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func kill(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

func waitClosed[T any](t *testing.T, what string, c <-chan T) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s not closed 5s after the signal", what)
	}
}

// TestStop sends SIGTERM twice: the first ends the context, the second
// (stdin is no terminal here) cuts the drain delay.
func TestStop(t *testing.T) {
	ctx, hurry, stop := Stop()
	defer stop()
	kill(t, syscall.SIGTERM)
	waitClosed(t, "context", ctx.Done())
	select {
	case <-hurry:
		t.Fatal("one SIGTERM closed hurry; want the drain delay kept")
	case <-time.After(50 * time.Millisecond):
	}
	kill(t, syscall.SIGTERM)
	waitClosed(t, "hurry", hurry)
}

func TestHangup(t *testing.T) {
	hup, stop := Hangup()
	defer stop()
	ctx, cancel := context.WithCancel(t.Context())
	calls := make(chan string, 4)
	done := make(chan struct{})
	go func() {
		Each(ctx, hup, func() { calls <- "credentials" }, func() { calls <- "models" })
		close(done)
	}()
	kill(t, syscall.SIGHUP)
	for _, want := range []string{"credentials", "models"} {
		select {
		case got := <-calls:
			if got != want {
				t.Errorf("called %s, want %s (in order)", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s reload 5s after SIGHUP", want)
		}
	}
	cancel()
	waitClosed(t, "Each", done)
}
