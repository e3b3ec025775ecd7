// Package replicatest runs a receiver the way it runs in production and
// counts how often each event was processed: several replicas of
// webhook.NewHandler, each on its own loopback server with its own client of a
// shared deduplication store, behind a dispatcher that sends every delivery to
// a random replica, and a sender that delivers again, as SMTP2GO does, after
// any answer that is not 2xx and after a timeout.
//
// Faults: repeats of events (some at the same moment on different replicas),
// callbacks that fail, callbacks slower than the sender's timeout that then
// fail, and one replica killed mid-run: its callbacks hang (some after their
// side effects, some before) and its server is closed under them.
//
// The webhook package's tests run it with a shared MemoryDeduplicator,
// the store modules' tests with Redis and PostgreSQL, and internal/loadtest
// at full size.
package replicatest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

// Config sizes a run and says which faults it injects.
type Config struct {
	Replicas    int     // handlers, each on its own server with its own store client
	Events      int     // distinct events
	RepeatRate  float64 // extra deliveries of an event, as a share of Events; half start with the first, on another replica
	FailRate    float64 // share of events whose first callback fails
	SlowRate    float64 // share of events whose first callback outlasts SenderTimeout, then fails
	Kill        bool    // kill one replica mid-run
	Senders     int     // deliveries in flight at once
	MaxAttempts int     // a delivery is given up (and its event may be lost) after this many attempts

	SenderTimeout time.Duration // how long the sender waits for an answer (SMTP2GO: 10 s)
	RetryWait     time.Duration // the first wait before a redelivery; it doubles up to 16 times this
	Lease         time.Duration // the handlers' lease (webhook.WithLease)

	// NewStore returns the store replica i uses, as its own client of the
	// shared store, and a function that closes that client. It is called
	// once per replica.
	NewStore func(replica int) (webhook.Deduplicator, func())
	// MidRun, if not nil, starts in a goroutine of its own when half of the
	// deliveries have started, while the others go on, and the run waits
	// for it to return: the store tests cut their connections there for a
	// moment.
	MidRun func(ctx context.Context)
}

// Result is what a run measured.
type Result struct {
	Config     Config
	Deliveries int         // deliveries started: Events plus the repeats
	Requests   int         // every POST, redeliveries included
	Statuses   map[int]int // answers by status; 0 counts requests without an answer (timeout, refused)
	GaveUp     int         // deliveries given up after MaxAttempts

	Lost            int // events whose side effects never took place
	Once            int // events processed exactly once
	TwiceAfterDeath int // events processed again after a killed holder had done their side effects
	// TwiceAfterLostCompletion counts events processed again after a
	// holder whose Complete failed (the store away) or came after its lease
	// had ended: the handler answered 200 without Done recorded in time.
	TwiceAfterLostCompletion int
	Twice                    int // events processed more than once for any other reason: a bug
	Hung                     int // callbacks that hung in the killed replica

	Elapsed time.Duration
	P50     time.Duration // handler latency (ServeHTTP) over every request answered
	P99     time.Duration
}

const (
	user, pass = "smtp2go", "replicatest-password"
)

// Run performs one run. It returns an error only when the run could not be
// made (a listener, a cancelled ctx); what the run found is in the Result,
// and Result.Check says whether it held.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Replicas < 1 || cfg.Events < 1 || cfg.Senders < 1 || cfg.NewStore == nil {
		return nil, errors.New("replicatest: Replicas, Events, Senders and NewStore are required")
	}
	if cfg.Kill && cfg.Replicas < 2 {
		return nil, errors.New("replicatest: killing a replica needs two or more")
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 1000
	}
	if cfg.Lease <= 0 {
		cfg.Lease = webhook.DefaultLease
	}
	r := &run{
		cfg:            cfg,
		effects:        make([]atomic.Int32, cfg.Events),
		attempts:       make([]atomic.Int32, cfg.Events),
		zombie:         make([]atomic.Bool, cfg.Events),
		lostCompletion: make([]atomic.Bool, cfg.Events),
		release:        make(chan struct{}),
		statuses:       map[int]int{},
	}
	r.failing = pick(cfg.Events, cfg.FailRate, 1)
	r.slow = pick(cfg.Events, cfg.SlowRate, 2)
	if cfg.Kill {
		r.victim = cfg.Replicas - 1
	} else {
		r.victim = -1
	}
	if err := r.start(); err != nil {
		r.stop()
		return nil, err
	}
	start := time.Now()
	r.send(ctx)
	elapsed := time.Since(start)
	r.stop()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("replicatest: run stopped: %w", err)
	}
	return r.result(elapsed), nil
}

// Check reports what the run found that must not happen: an event lost, or
// processed twice other than after a killed holder's side effects.
func (res *Result) Check() error {
	var errs []error
	if res.Lost > 0 {
		errs = append(errs, fmt.Errorf("%d events lost", res.Lost))
	}
	if res.Twice > 0 {
		errs = append(errs, fmt.Errorf("%d events processed more than once by live holders", res.Twice))
	}
	if res.GaveUp > 0 {
		errs = append(errs, fmt.Errorf("%d deliveries given up", res.GaveUp))
	}
	for status, n := range res.Statuses {
		switch status {
		case 0, http.StatusOK, http.StatusConflict, http.StatusInternalServerError:
		default:
			errs = append(errs, fmt.Errorf("%d answers with status %d", n, status))
		}
	}
	return errors.Join(errs...)
}

// Print writes the figures in the form BENCHMARKS.md quotes.
func (res *Result) Print(w io.Writer, store string) {
	c := res.Config
	fmt.Fprintf(w, "replicas (%s): %d replicas, %d events, %d deliveries (%d repeats), %d senders; %.0f%% failing, %.0f%% slower than the sender's %s then failing, killed replica: %t\n",
		store, c.Replicas, c.Events, res.Deliveries, res.Deliveries-c.Events, c.Senders,
		100*c.FailRate, 100*c.SlowRate, c.SenderTimeout, c.Kill)
	fmt.Fprintf(w, "  requests %d in %s (%.0f deliveries/s); answers %v\n",
		res.Requests, res.Elapsed.Round(time.Millisecond), float64(res.Deliveries)/res.Elapsed.Seconds(), res.Statuses)
	fmt.Fprintf(w, "  events lost %d, once %d, twice after a killed holder's side effects %d, twice after a completion lost or late %d, twice otherwise %d; callbacks hung in the killed replica %d\n",
		res.Lost, res.Once, res.TwiceAfterDeath, res.TwiceAfterLostCompletion, res.Twice, res.Hung)
	fmt.Fprintf(w, "  handler latency p50 %s, p99 %s\n", res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond))
}

// pick returns the events, a share rate of them, that a fault applies to;
// salt keeps different faults on different events.
func pick(events int, rate float64, salt uint64) []bool {
	out := make([]bool, events)
	rng := rand.New(rand.NewPCG(salt, 0x5eed))
	n := int(rate * float64(events))
	for _, i := range rng.Perm(events)[:n] {
		out[i] = true
	}
	return out
}

type run struct {
	cfg                    Config
	failing, slow          []bool
	effects                []atomic.Int32 // side effects done, per event
	attempts               []atomic.Int32 // callbacks started, per event
	zombie                 []atomic.Bool  // a killed holder did this event's side effects
	lostCompletion         []atomic.Bool  // a holder's Complete failed or came after its lease
	victim                 int            // the replica killed, or -1
	dying                  atomic.Bool    // the victim's callbacks hang from now on
	hung                   atomic.Int32
	killOnce               sync.Once
	release                chan struct{} // closed at the end: hung callbacks return
	urls                   []string
	servers                []*http.Server
	closers                []func()
	transport              *http.Transport
	mu                     sync.Mutex
	statuses               map[int]int
	requests, gaveUp, sent int
	latencies              []time.Duration
}

// hangAfter is how many callbacks hang in the victim before its server is
// closed under them.
const hangAfter = 6

func (r *run) start() error {
	for i := range r.cfg.Replicas {
		store, closeStore := r.cfg.NewStore(i)
		r.closers = append(r.closers, sync.OnceFunc(closeStore))
		h := webhook.NewHandler(r.callback(i),
			webhook.WithBasicAuth(user, pass),
			webhook.WithDeduplicator(&audited{Deduplicator: store, run: r}),
			webhook.WithLease(r.cfg.Lease))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: r.timed(h), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		r.servers = append(r.servers, srv)
		r.urls = append(r.urls, "http://"+ln.Addr().String()+"/smtp2go")
	}
	r.transport = &http.Transport{MaxIdleConnsPerHost: r.cfg.Senders}
	return nil
}

func (r *run) stop() {
	close(r.release)
	for _, srv := range r.servers {
		_ = srv.Close()
	}
	for _, c := range r.closers {
		c()
	}
	if r.transport != nil {
		r.transport.CloseIdleConnections()
	}
}

// callback is replica i's EventFunc. Its side effect is counting the event.
func (r *run) callback(replica int) webhook.EventFunc {
	return func(ctx context.Context, ev *webhook.Event) error {
		idx := eventIndex(ev)
		if idx < 0 {
			return errors.New("not an event of this run")
		}
		first := r.attempts[idx].Add(1) == 1
		if replica == r.victim && r.dying.Load() {
			// A killed process: some die after their side effects, some
			// before; none answers, completes or releases.
			if idx%2 == 0 {
				r.effects[idx].Add(1)
				r.zombie[idx].Store(true)
			}
			if r.hung.Add(1) == hangAfter {
				go r.kill()
			}
			<-r.release
			return errors.New("the process was killed")
		}
		switch {
		case first && r.slow[idx]:
			time.Sleep(r.cfg.SenderTimeout * 3 / 2) // slow work that then fails
			return errors.New("slow and failed")
		case first && r.failing[idx]:
			return errors.New("failed")
		}
		r.effects[idx].Add(1)
		return nil
	}
}

// kill closes the victim's server, its connections with it, while its
// callbacks hang, and closes its store client.
func (r *run) kill() {
	r.killOnce.Do(func() {
		_ = r.servers[r.victim].Close()
		r.closers[r.victim]()
	})
}

func (r *run) timed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, req)
		d := time.Since(start)
		r.mu.Lock()
		r.latencies = append(r.latencies, d)
		r.mu.Unlock()
	})
}

// delivery is one chain of attempts to deliver an event, as SMTP2GO makes
// for each webhook event, and for an event it sends again.
type delivery struct {
	event int
	first int // the replica of the first attempt, or -1 for a random one
}

// send makes every delivery, Senders at a time, and returns when all ended.
func (r *run) send(ctx context.Context) {
	plan := r.plan()
	hc := &http.Client{Transport: r.transport, Timeout: r.cfg.SenderTimeout}
	sem := make(chan struct{}, r.cfg.Senders)
	var wg sync.WaitGroup
	for n, group := range plan {
		if n == len(plan)*2/5 && r.victim >= 0 {
			r.dying.Store(true)
		}
		if n == len(plan)/2 && r.cfg.MidRun != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.cfg.MidRun(ctx)
			}()
		}
		if n == len(plan)*3/5 && r.victim >= 0 {
			go r.kill() // if too few callbacks reached the victim to kill it already
		}
		for _, d := range group {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				r.deliver(ctx, hc, d)
			}()
		}
	}
	wg.Wait()
}

// plan lists the deliveries in order, in groups that start at once: every
// event once, some with a concurrent repeat on another replica, and later
// repeats of earlier events.
func (r *run) plan() [][]delivery {
	rng := rand.New(rand.NewPCG(3, 0x5eed))
	repeats := int(r.cfg.RepeatRate * float64(r.cfg.Events))
	concurrent := make([]bool, r.cfg.Events)
	for _, i := range rng.Perm(r.cfg.Events)[:repeats/2] {
		concurrent[i] = true
	}
	var plan [][]delivery
	for i := range r.cfg.Events {
		g := []delivery{{event: i, first: rng.IntN(r.cfg.Replicas)}}
		if concurrent[i] && r.cfg.Replicas > 1 {
			g = append(g, delivery{event: i, first: (g[0].first + 1 + rng.IntN(r.cfg.Replicas-1)) % r.cfg.Replicas})
		}
		plan = append(plan, g)
		// A later repeat of an event sent already, spread evenly.
		if late := repeats - repeats/2; (i+1)*late/r.cfg.Events != i*late/r.cfg.Events {
			plan = append(plan, []delivery{{event: rng.IntN(i + 1), first: -1}})
		}
	}
	return plan
}

// deliver posts d's event until a replica answers 2xx, waiting longer
// between attempts, as SMTP2GO does (on a compressed schedule).
func (r *run) deliver(ctx context.Context, hc *http.Client, d delivery) {
	body := eventBody(d.event)
	rng := rand.New(rand.NewPCG(uint64(d.event), uint64(d.first+2)))
	r.mu.Lock()
	r.sent++
	r.mu.Unlock()
	for attempt := range r.cfg.MaxAttempts {
		replica := d.first
		if attempt > 0 || replica < 0 {
			replica = rng.IntN(r.cfg.Replicas)
		}
		status := r.post(ctx, hc, r.urls[replica], body)
		r.mu.Lock()
		r.requests++
		r.statuses[status]++
		r.mu.Unlock()
		if status >= 200 && status < 300 {
			return
		}
		wait := r.cfg.RetryWait << min(attempt, 4)
		select {
		case <-time.After(wait/2 + time.Duration(rng.Int64N(int64(wait/2)+1))):
		case <-ctx.Done():
			return
		}
	}
	r.mu.Lock()
	r.gaveUp++
	r.mu.Unlock()
}

func (r *run) post(ctx context.Context, hc *http.Client, target, body string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// eventBody is a form delivery of event i, shaped like SMTP2GO's.
func eventBody(i int) string {
	return url.Values{
		"event":    {"delivered"},
		"id":       {fmt.Sprintf("%032x", i+1)},
		"email_id": {fmt.Sprintf("replicatest-%d", i)},
		"rcpt":     {fmt.Sprintf("user%d@example.org", i)},
		"sender":   {"shop@example.com"},
		"time":     {"2026-03-24T08:23:19Z"},
		"sendtime": {"2026-03-24T08:23:19.052765+00:00"},
		"message":  {"250 2.0.0 Ok: queued"},
	}.Encode()
}

// audited is a replica's store, watched for completions that failed or came
// after the holder's lease: either lets a later delivery process the event
// again, as the contract allows.
type audited struct {
	webhook.Deduplicator
	run    *run
	claims sync.Map // key and token -> when the Claim began
}

func (a *audited) Claim(ctx context.Context, key, token string, lease time.Duration) (webhook.ClaimState, error) {
	start := time.Now()
	state, err := a.Deduplicator.Claim(ctx, key, token, lease)
	if err == nil && state == webhook.Claimed {
		a.claims.Store(key+" "+token, start)
	}
	return state, err
}

func (a *audited) Complete(ctx context.Context, key, token string) error {
	err := a.Deduplicator.Complete(ctx, key, token)
	// The store's lease began after start: a Complete later than start plus
	// the lease may, by a round trip, still be within it, and is counted
	// as late all the same.
	start, ok := a.claims.LoadAndDelete(key + " " + token)
	if err != nil || !ok || time.Since(start.(time.Time)) > a.run.cfg.Lease {
		if i, perr := strconv.ParseInt(key, 16, 64); perr == nil && i >= 1 && int(i) <= len(a.run.lostCompletion) {
			a.run.lostCompletion[i-1].Store(true)
		}
	}
	return err
}

func (a *audited) Release(ctx context.Context, key, token string) error {
	a.claims.Delete(key + " " + token)
	return a.Deduplicator.Release(ctx, key, token)
}

// eventIndex recovers the index the run gave an event, or -1.
func eventIndex(ev *webhook.Event) int {
	var i int
	if _, err := fmt.Sscanf(ev.EmailID, "replicatest-%d", &i); err != nil {
		return -1
	}
	return i
}

func (r *run) result(elapsed time.Duration) *Result {
	res := &Result{
		Config: r.cfg, Deliveries: r.sent, Requests: r.requests, Statuses: r.statuses,
		GaveUp: r.gaveUp, Hung: int(r.hung.Load()), Elapsed: elapsed,
	}
	for i := range r.effects {
		switch n := r.effects[i].Load(); {
		case n == 0:
			res.Lost++
		case n == 1:
			res.Once++
		case n == 2 && r.zombie[i].Load():
			res.TwiceAfterDeath++
		case n == 2 && r.lostCompletion[i].Load():
			res.TwiceAfterLostCompletion++
		default:
			res.Twice++
		}
	}
	// The killed replica's handlers, released by stop, may still be
	// recording their latency.
	r.mu.Lock()
	latencies := slices.Clone(r.latencies)
	r.mu.Unlock()
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		res.P50 = latencies[n/2]
		res.P99 = latencies[min(n-1, n*99/100)]
	}
	return res
}
