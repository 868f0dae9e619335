// Package connlimit bounds the connections a listener holds open without
// letting sockets that never speak lock out the clients that do.
//
// A plain limiting listener (golang.org/x/net/netutil) stops accepting at
// its limit: a flood of idle sockets then fills it, and a health probe
// waits in the kernel's queue until a handshake timeout frees a slot. This
// listener keeps accepting: at its limit it closes the oldest connection
// that has not yet sent a full HTTP/2 client preface (24 bytes: every real
// gRPC client sends it first), and only when every held connection has
// spoken does it refuse the newcomer.
package connlimit

import (
	"container/list"
	"net"
	"sync"
	"sync/atomic"
)

// spoken is how many bytes a connection must send before it is no longer
// evicted: the length of the HTTP/2 client preface (a TLS ClientHello is
// longer).
const spoken = 24

// Listener is a net.Listener that holds at most a fixed number of
// connections. It is safe for concurrent use.
type Listener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open list.List // of *conn, in the order accepted

	evicted, refused atomic.Int64
}

// New wraps l to hold at most limit connections (at least 1).
func New(l net.Listener, limit int) *Listener {
	return &Listener{Listener: l, max: max(limit, 1)}
}

// Evicted is how many silent connections were closed to admit others.
func (l *Listener) Evicted() int64 { return l.evicted.Load() }

// Refused is how many connections were closed on arrival because every
// held connection had spoken.
func (l *Listener) Refused() int64 { return l.refused.Load() }

// Accept waits for the next connection it can admit.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c := &conn{Conn: nc, l: l}
		l.mu.Lock()
		var victim *conn
		if l.open.Len() >= l.max {
			for e := l.open.Front(); e != nil; e = e.Next() {
				if o := e.Value.(*conn); o.read.Load() < spoken {
					victim = o
					l.open.Remove(e)
					o.elem = nil
					break
				}
			}
			if victim == nil {
				l.mu.Unlock()
				l.refused.Add(1)
				nc.Close()
				continue
			}
		}
		c.elem = l.open.PushBack(c)
		l.mu.Unlock()
		if victim != nil {
			l.evicted.Add(1)
			victim.Conn.Close()
		}
		return c, nil
	}
}

// conn is a held connection that counts what it has read.
type conn struct {
	net.Conn
	l    *Listener
	elem *list.Element // nil once released; guarded by l.mu
	read atomic.Int64
}

func (c *conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.read.Load() < spoken {
		c.read.Add(int64(n))
	}
	return n, err
}

func (c *conn) Close() error {
	c.l.mu.Lock()
	if c.elem != nil {
		c.l.open.Remove(c.elem)
		c.elem = nil
	}
	c.l.mu.Unlock()
	return c.Conn.Close()
}
