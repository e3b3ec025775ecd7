package redisdedup_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaykit/smtp2go/internal/deliverbench"
	"github.com/relaykit/smtp2go/internal/storetest"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/deduptest"
	"github.com/relaykit/smtp2go/webhook/redisdedup"
)

// nodeTimeout is the cluster's cluster-node-timeout: how long a master may
// be silent before the others count it failed and its replica takes over.
// Production clusters use 15 seconds; a short one keeps the test quick.
const nodeTimeout = 2 * time.Second

// redisNode is one redis-server process of a test's cluster.
type redisNode struct {
	addr   string
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited
	rdb    *redis.Client // to this node alone, for the cluster's own view
}

// kill ends the process with SIGKILL, as a crash or the OOM killer does, and
// waits until it has exited.
func (n *redisNode) kill(t testing.TB) {
	t.Helper()
	select {
	case <-n.exited:
		return
	default:
	}
	if err := n.cmd.Process.Kill(); err != nil {
		t.Errorf("killing redis-server %d: %v", n.cmd.Process.Pid, err)
	}
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("redis-server %d still runs 10 s after SIGKILL", n.cmd.Process.Pid)
	}
}

// startCluster runs a Redis Cluster of three masters with one replica each
// from redis-server on free loopback ports, without persistence, in a
// directory of t's own, and waits until it serves every slot and every
// replica has synchronised. Every process it started is killed, by PID, when
// t ends. It skips t if redis-server or redis-cli is missing, which CI
// counts as a failure.
func startCluster(t *testing.T) []*redisNode {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed: install Redis to run the cluster tests")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed: install Redis to run the cluster tests")
	}
	dir := t.TempDir()
	nodes := make([]*redisNode, 6)
	taken := map[int]bool{}
	freshPort := func() int { // a free port, none twice
		for {
			if p := freePort(t); !taken[p] {
				taken[p] = true
				return p
			}
		}
	}
	for i := range nodes {
		port, busPort := freshPort(), freshPort()
		n := &redisNode{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), exited: make(chan struct{})}
		p := strconv.Itoa(port)
		n.cmd = exec.Command(server,
			"--bind", "127.0.0.1", "--port", p, "--cluster-port", strconv.Itoa(busPort),
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes-"+p+".conf"),
			"--cluster-node-timeout", strconv.Itoa(int(nodeTimeout/time.Millisecond)),
			"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, p+".log"))
		if err := n.cmd.Start(); err != nil {
			t.Fatalf("starting redis-server: %v", err)
		}
		go func() {
			_ = n.cmd.Wait()
			close(n.exited)
		}()
		n.rdb = redis.NewClient(&redis.Options{Addr: n.addr, ContextTimeoutEnabled: true, MaxRetries: -1})
		t.Cleanup(func() {
			n.rdb.Close()
			n.kill(t)
		})
		nodes[i] = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range nodes {
				if log, err := os.ReadFile(filepath.Join(dir, strings.TrimPrefix(n.addr, "127.0.0.1:")+".log")); err == nil {
					t.Logf("log of %s:\n%s", n.addr, lastLines(string(log), 15))
				}
			}
		}
	})
	for _, n := range nodes {
		waitFor(t, 10*time.Second, "redis-server on "+n.addr+" to answer", func() bool {
			return n.rdb.Ping(t.Context()).Err() == nil
		})
	}
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.addr)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, append(args, "--cluster-replicas", "1", "--cluster-yes")...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	waitFor(t, 30*time.Second, "the cluster to serve every slot, its replicas synchronised", func() bool {
		for _, n := range nodes {
			info := clusterInfo(t.Context(), n.rdb)
			if info["cluster_state"] != "ok" || info["cluster_known_nodes"] != "6" || info["cluster_slots_ok"] != "16384" {
				return false
			}
			repl, err := n.rdb.Info(t.Context(), "replication").Result()
			if err != nil || strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
				return false
			}
		}
		return true
	})
	return nodes
}

// clusterClient is a client of the cluster built as the README shows, with
// go-redis's defaults for everything else (ClusterStateReloadInterval
// included), closed when t ends.
func clusterClient(t testing.TB, nodes []*redisNode) *redis.ClusterClient {
	t.Helper()
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.addr
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestCluster runs the contract against a Redis Cluster, then kills a master
// while the real handler takes deliveries, from senders that deliver every
// event again until it is answered 200, as SMTP2GO does. Every event must
// be processed once, and 500s must stop within 3 seconds of the moment the
// cluster itself has failed over (its replica promoted, and every surviving
// node serving every slot again), with a client that has go-redis's default
// ClusterStateReloadInterval of 60 seconds. With SMTP2GO_FULL_TESTS=1 it
// kills the three original masters in turn. It runs with the other store
// tests (SMTP2GO_TEST_REDIS_URL set) or with SMTP2GO_FULL_TESTS=1, as CI
// does, not in a plain go test: six servers and a failover take seconds.
func TestCluster(t *testing.T) {
	if os.Getenv("SMTP2GO_TEST_REDIS_URL") == "" && os.Getenv("SMTP2GO_FULL_TESTS") != "1" {
		t.Skip("set SMTP2GO_TEST_REDIS_URL (with the store tests) or SMTP2GO_FULL_TESTS=1 to run the Redis Cluster test")
	}
	nodes := startCluster(t)
	rdb := clusterClient(t, nodes)
	t.Run("contract", func(t *testing.T) {
		deduptest.Run(t, func(t *testing.T, ttl time.Duration) webhook.Deduplicator {
			// The cluster is thrown away with its keys when the test ends.
			return redisdedup.New(rdb, redisdedup.WithPrefix(storetest.RandomName("smtp2go-test:")+":"), redisdedup.WithTTL(ttl))
		})
	})
	victims := masters(t, nodes)
	if os.Getenv("SMTP2GO_FULL_TESTS") != "1" {
		victims = victims[:1]
	}
	for i, victim := range victims {
		t.Run(fmt.Sprintf("failover-%d", i+1), func(t *testing.T) {
			failover(t, nodes, rdb, victim)
		})
	}
}

// masters returns the cluster's masters, each with its replica, as the
// first node sees them.
func masters(t *testing.T, nodes []*redisNode) [][2]*redisNode {
	t.Helper()
	view, err := nodes[0].rdb.ClusterNodes(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[string]*redisNode{}
	for _, n := range nodes {
		byAddr[n.addr] = n
	}
	byID := map[string]*redisNode{}
	replicaOf := map[string]*redisNode{} // by the master's ID
	for _, e := range parseClusterNodes(view) {
		byID[e.id] = byAddr[e.addr]
		if e.master != "-" {
			replicaOf[e.master] = byAddr[e.addr]
		}
	}
	var out [][2]*redisNode
	for _, e := range parseClusterNodes(view) {
		if e.master == "-" && replicaOf[e.id] != nil && byID[e.id] != nil {
			out = append(out, [2]*redisNode{byID[e.id], replicaOf[e.id]})
		}
	}
	if len(out) != 3 {
		t.Fatalf("want three masters with a replica each, the cluster says:\n%s", view)
	}
	return out
}

// failover kills victim[0], a master whose replica is victim[1], under a
// load of deliveries through the handler, and checks what TestCluster says.
func failover(t *testing.T, nodes []*redisNode, rdb *redis.ClusterClient, victim [2]*redisNode) {
	dead, heir := victim[0], victim[1]
	var (
		processed sync.Map // event ID: *atomic.Int32
		events    atomic.Int64
	)
	store := redisdedup.New(rdb, redisdedup.WithPrefix(storetest.RandomName("smtp2go-test:")+":"))
	// A short lease: a claim whose answer was lost as its master died is
	// taken over soon after.
	h := webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
		n, _ := processed.LoadOrStore(ev.ID, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		return nil
	}, webhook.WithBasicAuth(deliverbench.User, deliverbench.Pass), webhook.WithDeduplicator(store), webhook.WithLease(time.Second))
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()

	type answer struct {
		start, end time.Time
		status     int
	}
	var (
		mu        sync.Mutex
		answers   []answer
		acked     atomic.Int64
		stop      atomic.Bool  // no new events
		lateAfter atomic.Int64 // Unix nanoseconds; answers to deliveries started later are counted in late
		late      atomic.Int64
		deadline  atomic.Int64 // Unix nanoseconds; senders give up then
	)
	lateAfter.Store(time.Now().Add(time.Hour).UnixNano())
	deadline.Store(time.Now().Add(2 * time.Minute).UnixNano())
	const senders = 8
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				id := strconv.FormatInt(events.Add(1), 10)
				for time.Now().UnixNano() < deadline.Load() {
					start := time.Now()
					status := storetest.Post(client, srv.URL, "event=delivered&id="+id)
					mu.Lock()
					answers = append(answers, answer{start, time.Now(), status})
					mu.Unlock()
					if start.UnixNano() > lateAfter.Load() {
						late.Add(1)
					}
					if status == http.StatusOK {
						acked.Add(1)
						break
					}
					time.Sleep(5 * time.Millisecond) // SMTP2GO's backoff, shortened
				}
			}
		}()
	}
	defer func() { // also when t fails early
		stop.Store(true)
		deadline.Store(time.Now().UnixNano())
		wg.Wait()
	}()

	waitFor(t, 30*time.Second, "200 events acknowledged before the kill", func() bool { return acked.Load() >= 200 })
	killedAt := time.Now()
	dead.kill(t)
	var survivors []*redisNode
	for _, n := range nodes {
		select {
		case <-n.exited:
		default:
			survivors = append(survivors, n)
		}
	}
	failedOverAt := waitFor(t, 30*time.Second, "the cluster to fail over", func() bool {
		role, err := heir.rdb.Do(t.Context(), "ROLE").Slice()
		if err != nil || len(role) == 0 || role[0] != "master" {
			return false
		}
		for _, n := range survivors {
			if clusterInfo(t.Context(), n.rdb)["cluster_state"] != "ok" {
				return false
			}
			view, err := n.rdb.ClusterNodes(t.Context()).Result()
			if err != nil {
				return false
			}
			for _, e := range parseClusterNodes(view) {
				if e.addr == heir.addr && !strings.Contains(e.flags, "master") {
					return false
				}
			}
		}
		return true
	})
	window := failedOverAt.Add(3 * time.Second)
	lateAfter.Store(window.UnixNano())
	waitFor(t, 30*time.Second, "200 deliveries answered after the cluster's failover and 3 s", func() bool { return late.Load() >= 200 })
	stop.Store(true)
	deadline.Store(time.Now().Add(15 * time.Second).UnixNano())
	wg.Wait()

	var last5xx time.Time
	statuses := map[int]int{}
	for _, a := range answers {
		statuses[a.status]++
		if a.status >= 500 && a.end.After(last5xx) {
			last5xx = a.end
		}
	}
	since := func(t time.Time) string {
		if t.IsZero() {
			return "none"
		}
		return t.Sub(killedAt).Round(time.Millisecond).String()
	}
	t.Logf("%d events, %d deliveries %v; master %s killed; the cluster failed over after %s; the last 5xx answer came %s after the kill",
		events.Load(), len(answers), statuses, dead.addr, since(failedOverAt), since(last5xx))
	if last5xx.After(window) {
		t.Errorf("5xx answers went on %v after the cluster had failed over, want at most 3 s",
			last5xx.Sub(failedOverAt).Round(time.Millisecond))
	}
	if statuses[http.StatusInternalServerError] == 0 {
		t.Error("no delivery was answered 500: the kill was not exercised")
	}
	for i := range events.Load() {
		id := strconv.FormatInt(i+1, 10)
		n, ok := processed.Load(id)
		if !ok {
			t.Errorf("event %s never processed", id)
		} else if c := n.(*atomic.Int32).Load(); c != 1 {
			t.Errorf("event %s processed %d times, want once", id, c)
		}
	}
}

// clusterEntry is one line of CLUSTER NODES.
type clusterEntry struct{ id, addr, flags, master string }

func parseClusterNodes(view string) []clusterEntry {
	var out []clusterEntry
	for _, line := range strings.Split(strings.TrimSpace(view), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		out = append(out, clusterEntry{id: f[0], addr: addr, flags: f[2], master: f[3]})
	}
	return out
}

// clusterInfo is a node's CLUSTER INFO, by field; empty if it did not
// answer.
func clusterInfo(ctx context.Context, rdb *redis.Client) map[string]string {
	info := map[string]string{}
	s, err := rdb.ClusterInfo(ctx).Result()
	if err != nil {
		return info
	}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			info[k] = v
		}
	}
	return info
}

// waitFor polls cond until it holds and returns when it first did, or fails
// t, saying what it waited for, once timeout has passed.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		<-tick.C
	}
}

// freePort returns a loopback port where nothing listens just now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
