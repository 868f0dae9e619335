package e2e_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/stanceproject/stance/client"
)

// classifyLogLine marks a Classify call in the debug log of stanced.
const classifyLogLine = "method=/stance.v1.StanceService/Classify code="

// TestFailover balances a client over three stanced processes with a
// manual resolver, the client's default service config (round robin,
// health checking, retries of UNAVAILABLE) and 4 workers of Classify
// calls; one process is killed with SIGKILL under load and later restarted
// on its port. No call may fail, and the restarted process must get
// traffic again.
func TestFailover(t *testing.T) {
	t.Parallel()
	a, _ := testModels(t)
	dir := saveModel(t, a)
	var addrs []string
	var procs []*proc
	for range 3 {
		addr := freeAddr(t)
		addrs = append(addrs, addr)
		procs = append(procs, startStanced(t, addr, "--model", dir, "--log-level", "debug"))
	}
	for _, p := range procs {
		waitServing(t, p)
	}

	r := manual.NewBuilderWithScheme("e2e-failover")
	var state resolver.State
	for _, addr := range addrs {
		state.Addresses = append(state.Addresses, resolver.Address{Addr: addr})
	}
	r.InitialState(state)
	c := newClient(t, r.Scheme()+":///stanced", client.WithDialOptions(grpc.WithResolvers(r)))

	load := &soakLoad{seen: map[string]int64{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { load.work(c, w, false, []string{version(a)}, stop) })
	}
	var stopOnce sync.Once
	stopLoad := func() { stopOnce.Do(func() { close(stop); wg.Wait() }) }
	defer stopLoad()
	counts := func() string {
		var s []string
		for i, p := range procs {
			s = append(s, fmt.Sprintf("%s: %d", addrs[i], p.log.Count(classifyLogLine)))
		}
		return fmt.Sprint(s)
	}

	time.Sleep(2 * time.Second)
	t.Logf("after 2s, Classify calls per backend %s", counts())
	for i, p := range procs {
		if p.log.Count(classifyLogLine) == 0 {
			t.Errorf("backend %s got no Classify calls in 2s; want round robin over all three", addrs[i])
		}
	}

	victim := procs[1]
	victim.kill()
	<-victim.done
	killed, callsAtKill := time.Now(), load.calls.Load()
	t.Logf("killed %s with SIGKILL (%v)", victim.addr, victim.err)
	time.Sleep(4 * time.Second)
	t.Logf("4s after the kill: %d calls since, %d failed; per backend %s", load.calls.Load()-callsAtKill, load.failed.Load(), counts())

	procs[1] = startStanced(t, addrs[1], "--model", dir, "--log-level", "debug")
	waitServing(t, procs[1])
	restarted := time.Now()
	for procs[1].log.Count(classifyLogLine) == 0 {
		if time.Since(restarted) > 20*time.Second {
			t.Fatalf("restarted backend %s got no Classify call in 20s after SERVING; per backend %s", addrs[1], counts())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("restarted backend got traffic %s after SERVING (%s after the kill)",
		time.Since(restarted).Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	stopLoad()

	t.Logf("%d calls in all, %d failed; Classify calls per backend since (re)start %s", load.calls.Load(), load.failed.Load(), counts())
	if n := load.failed.Load(); n > 0 {
		t.Errorf("%d of %d calls failed; first: %q", n, load.calls.Load(), load.errs)
	}
}
