package connlimit

import (
	"io"
	"net"
	"testing"
	"time"
)

// serve accepts on l and echoes what each connection sends.
func serve(t *testing.T, l net.Listener) {
	t.Helper()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
}

func listen(t *testing.T, max int) *Listener {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := New(inner, max)
	t.Cleanup(func() { l.Close() })
	serve(t, l)
	return l
}

// talks dials, sends a preface's worth of bytes and reads the echo.
func talks(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, spoken)
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	if _, err := io.ReadFull(c, msg); err != nil {
		t.Fatalf("no echo: %v", err)
	}
	return c
}

// closed reports whether the server closed c.
func closed(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.Read(make([]byte, 1))
	return err == io.EOF
}

func TestSilentSocketsDoNotLockOutClients(t *testing.T) {
	l := listen(t, 4)
	addr := l.Addr().String()
	var idle []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	start := time.Now()
	c := talks(t, addr) // would wait forever behind a plain limit of 4
	defer c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("a client behind 20 silent sockets waited %v", d)
	}
	if !closed(idle[0]) {
		t.Errorf("the oldest silent socket is still open")
	}
	if l.Evicted() < 16 {
		t.Errorf("evicted %d silent sockets, want at least 16", l.Evicted())
	}
}

func TestSpokenConnectionsAreKept(t *testing.T) {
	l := listen(t, 2)
	addr := l.Addr().String()
	a, b := talks(t, addr), talks(t, addr)
	defer a.Close()
	defer b.Close()
	// Both held connections have spoken: a third is refused, not queued,
	// and neither of the first two is touched.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !closed(c) {
		t.Errorf("a third connection past the limit was not refused")
	}
	for _, k := range []net.Conn{a, b} {
		msg := make([]byte, 3)
		k.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := k.Write(msg); err != nil {
			t.Fatalf("held connection: %v", err)
		}
		if _, err := io.ReadFull(k, msg); err != nil {
			t.Errorf("held connection lost: %v", err)
		}
	}
	if l.Refused() != 1 {
		t.Errorf("refused %d, want 1", l.Refused())
	}
	// A closed connection frees its slot.
	a.Close()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		n := l.open.Len()
		l.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d := talks(t, addr)
	d.Close()
}
