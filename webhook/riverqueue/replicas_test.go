package riverqueue_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/relaykit/smtp2go/internal/deliverbench"
	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

// sideEffects counts, per event, how often a worker did its work, and
// reports when every event has been worked at least once.
type sideEffects struct {
	counts []atomic.Int32
	seen   atomic.Int32
	all    chan struct{}
}

func newSideEffects(events int) *sideEffects {
	return &sideEffects{counts: make([]atomic.Int32, events), all: make(chan struct{})}
}

// fn is the workers' EventFunc: it counts the event by its ID, a number.
func (s *sideEffects) fn(_ context.Context, ev *webhook.Event) error {
	i, err := strconv.ParseInt(ev.ID, 16, 64)
	if err != nil || i < 1 || int(i) > len(s.counts) {
		return fmt.Errorf("not an event of this test: %q", ev.ID)
	}
	if s.counts[i-1].Add(1) == 1 && int(s.seen.Add(1)) == len(s.counts) {
		close(s.all)
	}
	return nil
}

// wait waits for every event to have been worked.
func (s *sideEffects) wait(t *testing.T, bound time.Duration) {
	t.Helper()
	select {
	case <-s.all:
	case <-time.After(bound):
		t.Fatalf("after %s, %d of %d events worked", bound, s.seen.Load(), len(s.counts))
	}
}

// check fails t for every event not worked exactly once.
func (s *sideEffects) check(t *testing.T) {
	t.Helper()
	lost, twice := 0, 0
	for i := range s.counts {
		switch n := s.counts[i].Load(); {
		case n == 0:
			lost++
		case n > 1:
			twice++
		}
	}
	t.Logf("side effects of %d events: %d lost, %d more than once", len(s.counts), lost, twice)
	if lost > 0 || twice > 0 {
		t.Errorf("%d events lost and %d worked more than once, want none", lost, twice)
	}
}

// checkJobs stops the working clients, which records the outcome of the
// jobs they worked, and fails t unless the schema holds exactly one
// completed job per event, each with its own key.
func checkJobs(t *testing.T, d *db, events int, working ...*river.Client[pgx.Tx]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range working {
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("stopping a working client: %v", err)
		}
	}
	jobs := d.jobs()
	keys := map[string]int{}
	states := map[rivertype.JobState]int{}
	for _, job := range jobs {
		keys[argsOf(t, job).Key]++
		states[job.State]++
	}
	t.Logf("%d jobs for %d events: %v", len(jobs), events, states)
	if len(jobs) != events || len(keys) != events || states[rivertype.JobStateCompleted] != events {
		t.Errorf("%d jobs with %d distinct keys, states %v; want %d completed jobs, one per event", len(jobs), len(keys), states, events)
	}
}

// newReceiver is a handler with Enqueue on its own River client of pool,
// which also works the jobs when work is not nil.
func newReceiver(d *db, pool *pgxpool.Pool, work webhook.EventFunc) (http.Handler, *river.Client[pgx.Tx]) {
	var fn func(context.Context, *river.Job[riverqueue.EventArgs]) error
	if work != nil {
		fn = riverqueue.NewWorker(work).Work
	}
	client := d.client(pool, fn, nil)
	return webhook.NewHandler(riverqueue.Enqueue(client),
		webhook.WithBasicAuth(deliverbench.User, deliverbench.Pass), webhook.WithoutDeduplication()), client
}

// sender delivers events as SMTP2GO does: a POST per delivery, again after
// any answer but 2xx and after a timeout, with growing waits between.
type sender struct {
	urls     []string
	client   *http.Client
	mu       sync.Mutex
	answers  []answer
	onAnswer func(answer) // if not nil, called with mu held
}

type answer struct {
	start, end time.Time
	status     int // 0: no answer
}

func newSender(urls []string, timeout time.Duration) *sender {
	return &sender{urls: urls, client: &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// deliver posts event n, first to replica first (or a random one if it is
// negative), until a replica answers 2xx; it reports false if it gave up.
func (s *sender) deliver(ctx context.Context, n, first int) bool {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(first+2)))
	body := deliverbench.Body(int64(n))
	for attempt := range 200 {
		replica := first
		if attempt > 0 || replica < 0 {
			replica = rng.IntN(len(s.urls))
		}
		a := answer{start: time.Now()}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.urls[replica], strings.NewReader(body))
		if err != nil {
			return false
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(deliverbench.User, deliverbench.Pass)
		if resp, err := s.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			a.status = resp.StatusCode
		}
		a.end = time.Now()
		s.mu.Lock()
		s.answers = append(s.answers, a)
		if s.onAnswer != nil {
			s.onAnswer(a)
		}
		s.mu.Unlock()
		if a.status >= 200 && a.status < 300 {
			return true
		}
		wait := 5 * time.Millisecond << min(attempt, 4) // SMTP2GO's schedule, compressed
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return false
		}
	}
	return false
}

func (s *sender) statuses() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for _, a := range s.answers {
		out[a.status]++
	}
	return out
}

// TestReplicas: three replicas, each a handler with its own River client and
// pool, behind a dispatcher that sends each delivery to a random one; 20%
// of the events delivered again, half of them at the same moment on another
// replica. Every event becomes one job, and is worked once.
func TestReplicas(t *testing.T) {
	events := 2000
	if os.Getenv("SMTP2GO_FULL_TESTS") == "1" {
		events = 20000
	}
	const replicas, senders = 3, 30
	d := newDB(t)
	effects := newSideEffects(events)
	var (
		urls    []string
		clients []*river.Client[pgx.Tx]
	)
	for range replicas {
		h, client := newReceiver(d, d.pool(8, ""), effects.fn)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
		clients = append(clients, client)
	}
	s := newSender(urls, 5*time.Second)

	// The plan: each event once, to a random replica; a tenth of them at
	// the same time to another replica as well; another tenth again later.
	type delivery struct{ event, replica int }
	rng := rand.New(rand.NewPCG(18, 0x5eed))
	var plan [][]delivery
	for i := 1; i <= events; i++ {
		r := rng.IntN(replicas)
		group := []delivery{{i, r}}
		if i%10 == 3 {
			group = append(group, delivery{i, (r + 1 + rng.IntN(replicas-1)) % replicas})
		}
		plan = append(plan, group)
		if i%10 == 7 {
			plan = append(plan, []delivery{{1 + rng.IntN(i), -1}})
		}
	}

	start := time.Now()
	sem := make(chan struct{}, senders)
	var wg sync.WaitGroup
	var gaveUp, deliveries atomic.Int32
	for _, group := range plan {
		for _, dl := range group {
			sem <- struct{}{}
			deliveries.Add(1)
			wg.Go(func() {
				defer func() { <-sem }()
				if !s.deliver(t.Context(), dl.event, dl.replica) {
					gaveUp.Add(1)
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	effects.wait(t, 2*time.Minute)
	t.Logf("%d events, %d deliveries, %d replicas, %d senders: answers %v in %s (%.0f deliveries/s)",
		events, deliveries.Load(), replicas, senders, s.statuses(), elapsed.Round(time.Millisecond),
		float64(deliveries.Load())/elapsed.Seconds())
	if n := gaveUp.Load(); n > 0 {
		t.Errorf("%d deliveries given up", n)
	}
	checkJobs(t, d, events, clients...)
	effects.check(t)
}

// TestOutage: the database is cut off from the handler for a moment mid-run.
// Every delivery made entirely within the cut is answered 5xx, and in the end
// every event has become one job, worked once.
func TestOutage(t *testing.T) {
	const (
		events  = 300
		senders = 8
		// The cut lasts until this many deliveries made entirely within
		// it have been answered.
		outageAnswers = 40
	)
	d := newDB(t)
	proxy := d.proxy()
	effects := newSideEffects(events)
	working := d.client(d.admin, riverqueue.NewWorker(effects.fn).Work, nil) // not through the proxy
	h, _ := newReceiver(d, d.pool(8, proxy.Addr()), nil)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := newSender([]string{srv.URL}, 5*time.Second)

	var (
		cutAt, restoredAt time.Time
		acknowledged      int
		within            int
	)
	// The hook runs under s.mu, once per answer.
	s.onAnswer = func(a answer) {
		switch {
		case cutAt.IsZero():
			if a.status == http.StatusOK {
				if acknowledged++; acknowledged == events/3 {
					proxy.Cut()
					cutAt = time.Now()
				}
			}
		case restoredAt.IsZero() && a.start.After(cutAt):
			if within++; within == outageAnswers {
				proxy.Restore()
				restoredAt = time.Now()
			}
		}
	}
	queue := make(chan int, events)
	for i := 1; i <= events; i++ {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for i := range queue {
				if !s.deliver(t.Context(), i, 0) {
					t.Errorf("event %d: delivery given up", i)
				}
			}
		})
	}
	wg.Wait()
	if restoredAt.IsZero() {
		t.Fatal("the database was never restored: too few deliveries during the cut")
	}
	statuses := map[int]int{}
	for _, a := range s.answers {
		if a.start.After(cutAt) && a.end.Before(restoredAt) {
			statuses[a.status]++
			if a.status < 500 {
				t.Errorf("a delivery made while the database was cut off was answered %d, want 5xx", a.status)
			}
		}
	}
	t.Logf("%d deliveries of %d events; database cut off for %v, during which the answers were %v",
		len(s.answers), events, restoredAt.Sub(cutAt).Round(time.Millisecond), statuses)
	effects.wait(t, time.Minute)
	checkJobs(t, d, events, working)
	effects.check(t)
}
