package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/stanceproject/stance"
)

// hostileScale sizes the attacks of TestHostile: CI runs them scaled down
// (hundreds of sockets and streams); STANCE_HOSTILE=full runs them at the
// size of the probe that found them (make hostile).
type hostileScale struct {
	name                        string
	headerStreams, headerBytes  int
	idleConns, streamsPerConn   int
	idleSockets                 int
	documents, batches, batchN  int
	uniqueWords                 int
	wantRSS                     int64 // bytes
	wantHealth, wantCPUAfterEnd time.Duration
}

func scale() hostileScale {
	if os.Getenv("STANCE_HOSTILE") == "full" {
		return hostileScale{name: "full",
			headerStreams: 100, headerBytes: 8 << 20,
			idleConns: 50, streamsPerConn: 1000,
			idleSockets: 10_300,
			documents:   6, batches: 4, batchN: 1000,
			uniqueWords: 20_000,
			wantRSS:     300 << 20, wantHealth: time.Second, wantCPUAfterEnd: time.Second}
	}
	s := hostileScale{name: "ci",
		headerStreams: 20, headerBytes: 1 << 20,
		idleConns: 5, streamsPerConn: 200,
		idleSockets: 400,
		documents:   2, batches: 2, batchN: 200,
		uniqueWords: 1000,
		// Generous margins: the machine is shared and CI may be slow.
		wantRSS: 300 << 20, wantHealth: 3 * time.Second, wantCPUAfterEnd: 2 * time.Second}
	if raceEnabled { // the race detector multiplies memory and time
		s.wantRSS, s.wantHealth, s.wantCPUAfterEnd = 2<<30, 10*time.Second, 10*time.Second
	}
	return s
}

// procStat reads a process's resident memory, its peak, and its CPU time.
func procStat(t *testing.T, pid int) (rss, peak int64, cpu time.Duration) {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read process status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				rss = kb << 10
			} else {
				peak = kb << 10
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("read process stat: %v", err)
	}
	// Fields after the command name, which ends with ')': utime and stime
	// are the 12th and 13th, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return rss, peak, time.Duration(u+s) * 10 * time.Millisecond
}

// freshHealth asks for readiness on a new connection and returns how long
// the answer took.
func freshHealth(t *testing.T, addr string, limit time.Duration) (time.Duration, error) {
	t.Helper()
	conn := dial(t, addr, grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: limit + 10*time.Second}))
	defer conn.Close()
	start := time.Now()
	st, err := readiness(conn, limit+10*time.Second)
	if err == nil && st != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("readiness %s", st)
	}
	return time.Since(start), err
}

// rawConn is an HTTP/2 connection driven frame by frame, to send what no
// well-behaved gRPC client would.
type rawConn struct {
	c      net.Conn
	fr     *http2.Framer
	buf    bytes.Buffer
	enc    *hpack.Encoder
	stream uint32
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	r := &rawConn{c: c, fr: http2.NewFramer(c, c), stream: 1}
	r.enc = hpack.NewEncoder(&r.buf)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		c.Close()
		return nil, err
	}
	if err := r.fr.WriteSettings(); err != nil {
		c.Close()
		return nil, err
	}
	go io.Copy(io.Discard, c) //nolint:errcheck // the server's answers are not read
	return r, nil
}

// open starts a call to method with junk bytes of extra metadata and never
// sends its message.
func (r *rawConn) open(method string, junk int) error {
	r.buf.Reset()
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", method}, {":authority", "stance"}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		r.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if junk > 0 {
		r.enc.WriteField(hpack.HeaderField{Name: "x-junk", Value: strings.Repeat("j", junk), Sensitive: true})
	}
	block := r.buf.Bytes()
	const frame = 16 << 10
	first := block[:min(frame, len(block))]
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: r.stream, BlockFragment: first, EndHeaders: len(block) <= frame}); err != nil {
		return err
	}
	for rest := block[len(first):]; len(rest) > 0; {
		n := min(frame, len(rest))
		if err := r.fr.WriteContinuation(r.stream, n == len(rest), rest[:n]); err != nil {
			return err
		}
		rest = rest[n:]
	}
	r.stream += 2
	return nil
}

// uniqueWords returns n random words of size letters, separated by spaces,
// with a full stop every sentence words.
func uniqueWords(n, size, sentence int) string {
	var b strings.Builder
	for i := range n {
		for range size {
			b.WriteByte(byte('a' + rand.IntN(26)))
		}
		if sentence > 0 && i%sentence == sentence-1 {
			b.WriteByte('.')
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// TestHostile runs the attacks of a hostile client against a stanced with
// default flags, one after the other, and checks after each that the
// server's memory stays bounded and that a health check on a fresh
// connection still answers in time. STANCE_HOSTILE=full runs them at full
// size and logs the figures.
func TestHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the hostile-client test takes tens of seconds")
	}
	sc := scale()
	d := startStanced(t, freeAddr(t), "--log-level", "info")
	waitServing(t, d)
	pid := d.cmd.Process.Pid
	rss0, _, _ := procStat(t, pid)
	t.Logf("scale %s; idle RSS %d MB", sc.name, rss0>>20)

	check := func(attack string, wantHealth time.Duration) {
		t.Helper()
		took, err := freshHealth(t, d.addr, wantHealth)
		rss, peak, _ := procStat(t, pid)
		t.Logf("FIGURE %-28s RSS %4d MB, peak %4d MB, fresh health check %s (%v)", attack, rss>>20, peak>>20, took.Round(time.Millisecond), err)
		if err != nil {
			t.Errorf("%s: fresh health check failed: %v", attack, err)
		} else if took > wantHealth {
			t.Errorf("%s: fresh health check took %s, want at most %s", attack, took, wantHealth)
		}
		if peak > sc.wantRSS {
			t.Errorf("%s: peak RSS %d MB, want under %d MB", attack, peak>>20, sc.wantRSS>>20)
		}
	}

	t.Run("header flood", func(t *testing.T) {
		r, err := dialRaw(d.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer r.c.Close()
		for range sc.headerStreams {
			if err := r.open("/grpc.health.v1.Health/Watch", sc.headerBytes); err != nil {
				t.Logf("the server closed the connection: %v", err)
				break
			}
		}
		check(fmt.Sprintf("%d×%dMB headers", sc.headerStreams, sc.headerBytes>>20), sc.wantHealth)
	})

	t.Run("idle streams", func(t *testing.T) {
		var conns []*rawConn
		defer func() {
			for _, r := range conns {
				r.c.Close()
			}
		}()
		for range sc.idleConns {
			r, err := dialRaw(d.addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, r)
			for range sc.streamsPerConn {
				if err := r.open("/grpc.health.v1.Health/Watch", 0); err != nil {
					break
				}
			}
		}
		time.Sleep(time.Second) // let the server take them all in
		check(fmt.Sprintf("%d conns×%d idle streams", sc.idleConns, sc.streamsPerConn), sc.wantHealth)
	})

	t.Run("idle sockets", func(t *testing.T) {
		var socks []net.Conn
		defer func() {
			for _, c := range socks {
				c.Close()
			}
		}()
		for range sc.idleSockets {
			c, err := net.DialTimeout("tcp", d.addr, time.Second)
			if err != nil {
				break // the listen queue is full: that is the point
			}
			socks = append(socks, c)
		}
		t.Logf("%d idle sockets open", len(socks))
		// Past --max-connections (256) each new socket, the probe among
		// them, takes the slot of the oldest one that has sent nothing.
		check(fmt.Sprintf("%d idle sockets", len(socks)), sc.wantHealth)
	})

	c := newClient(t, d.addr)
	t.Run("work after deadline", func(t *testing.T) {
		doc := uniqueWords(9_000, 100, 20)
		_, _, cpu0 := procStat(t, pid)
		var wg sync.WaitGroup
		for range sc.documents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := withDeadline(time.Second, func(ctx context.Context) error {
					_, err := c.ClassifyDocument(ctx, stance.DocumentRequest{Text: doc})
					return err
				})
				if err != nil && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("ClassifyDocument: %v", err)
				}
			}()
		}
		for range sc.batches {
			reqs := make([]stance.Request, sc.batchN)
			for i := range reqs {
				reqs[i] = stance.Request{Text: uniqueWords(99, 100, 0)}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := withDeadline(time.Second, func(ctx context.Context) error {
					_, err := c.Classify(ctx, reqs)
					return err
				})
				if err != nil && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("ClassifyBatch: %v", err)
				}
			}()
		}
		wg.Wait()
		_, _, cpu1 := procStat(t, pid)
		time.Sleep(2 * time.Second)
		_, _, cpu2 := procStat(t, pid)
		after := cpu2 - cpu1
		t.Logf("FIGURE %d documents + %d batches, 1s deadline: server CPU %s during, %s in the 2s after", sc.documents, sc.batches, (cpu1 - cpu0).Round(10*time.Millisecond), after.Round(10*time.Millisecond))
		if after > sc.wantCPUAfterEnd {
			t.Errorf("the server spent %s of CPU in the 2s after every caller gave up, want at most %s", after, sc.wantCPUAfterEnd)
		}
		check("documents and batches", sc.wantHealth)
	})

	t.Run("unique words", func(t *testing.T) {
		var wg sync.WaitGroup
		next := make(chan int)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					if _, err := c.ClassifyOne(rpcContext(t), stance.Request{Text: uniqueWords(1, 9_999, 0)}); err != nil {
						t.Errorf("Classify: %v", err)
					}
				}
			}()
		}
		for i := range sc.uniqueWords {
			next <- i
		}
		close(next)
		wg.Wait()
		check(fmt.Sprintf("%d unique 10KB words", sc.uniqueWords), sc.wantHealth)
	})

	t.Run("target", func(t *testing.T) {
		_, err := c.ClassifyOne(rpcContext(t), stance.Request{Text: multipolarText, Target: strings.Repeat("t", 10<<20-1<<10)})
		if stance.Code(err) != stance.EInvalid || len(err.Error()) > 200 {
			t.Errorf("Classify with a 10 MB target = %.300v; want a short INVALID_ARGUMENT", err)
		}
	})

	if d.exited() {
		t.Fatalf("stanced exited during the attacks: %v", d.err)
	}
	d.signal(t, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Errorf("stanced did not exit after SIGTERM")
	}
}
