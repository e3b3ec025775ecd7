package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// receiverConfig sizes the receiver scenario.
type receiverConfig struct {
	Deliveries    int     // deliveries sent, not counting redeliveries
	Senders       int     // concurrent senders
	DuplicateRate float64 // share of deliveries that repeat an earlier event
	FailRate      float64 // share of deliveries whose event fails on its first processing
}

// receiverResult is what the receiver scenario measured.
type receiverResult struct {
	cfg          receiverConfig
	distinct     int
	sent         int            // every POST, redeliveries included
	statuses     map[int]int    // answers by status
	processed    map[string]int // callback successes per event id
	failedOnce   int            // events whose first processing was made to fail
	intended5xx  int            // 500s the failing callback caused
	handlerTimes []time.Duration
	peakHeap     uint64
	elapsed      time.Duration
}

// runReceiver sends deliveries from many senders into NewWebhookHandler (basic
// auth, default deduplicator): some repeat earlier events, some fail once and
// are redelivered as SMTP2GO would.
func runReceiver(ctx context.Context, cfg receiverConfig) (*receiverResult, error) {
	const user, pass = "smtp2go", "load-test-password"
	res := &receiverResult{cfg: cfg, statuses: map[int]int{}, processed: map[string]int{}}
	repeats := int(math.Round(float64(cfg.Deliveries) * cfg.DuplicateRate))
	distinct := cfg.Deliveries - repeats
	res.distinct = distinct
	// Every failEvery-th distinct event fails once: FailRate of all deliveries.
	failEvery := 0
	if failing := int(math.Round(float64(cfg.Deliveries) * cfg.FailRate)); failing > 0 {
		failEvery = distinct / failing
	}

	var mu sync.Mutex
	var attempts sync.Map // event id -> *atomic.Int32: processing attempts
	callback := func(_ context.Context, ev *webhook.Event) error {
		n, _ := attempts.LoadOrStore(ev.ID, new(atomic.Int32))
		first := n.(*atomic.Int32).Add(1) == 1
		if first && failEvery > 0 && eventIndex(ev)%failEvery == 0 {
			return errors.New("simulated failure on first processing")
		}
		mu.Lock()
		res.processed[ev.ID]++
		mu.Unlock()
		return nil
	}
	handler := webhook.NewHandler(callback, webhook.WithBasicAuth(user, pass))
	var timesMu sync.Mutex
	timed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		handler.ServeHTTP(w, r)
		d := time.Since(start)
		timesMu.Lock()
		res.handlerTimes = append(res.handlerTimes, d)
		timesMu.Unlock()
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: timed, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/webhook"

	// Peak heap, sampled while the load runs.
	stopSampling := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stopSampling:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()

	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Senders}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	// The deliveries: every distinct event once, then repeats of earlier ones,
	// interleaved.
	jobs := make(chan int, cfg.Senders)
	go func() {
		defer close(jobs)
		for i := 0; i < cfg.Deliveries; i++ {
			idx := i
			if i >= distinct {
				idx = (i * 7919) % distinct // a repeat of an earlier event
			}
			select {
			case jobs <- idx:
			case <-ctx.Done():
				return
			}
		}
	}()
	type outcome struct {
		statuses []int
	}
	outcomes := make(chan outcome, cfg.Senders)
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range jobs {
				outcomes <- outcome{statuses: deliverWithRedelivery(ctx, hc, url, idx, user, pass)}
			}
		}()
	}
	go func() { wg.Wait(); close(outcomes) }()
	for o := range outcomes {
		for _, s := range o.statuses {
			res.sent++
			res.statuses[s]++
		}
	}
	res.elapsed = time.Since(start)
	close(stopSampling)
	res.peakHeap = <-sampled
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("receiver scenario stopped: %w", err)
	}
	if failEvery > 0 {
		res.failedOnce = (distinct + failEvery - 1) / failEvery
	}
	res.intended5xx = res.failedOnce
	return res, nil
}

// eventIndex recovers the index the scenario gave an event (its email ID).
func eventIndex(ev *webhook.Event) int {
	var i int
	_, _ = fmt.Sscanf(ev.EmailID, "load-%d", &i)
	return i
}

// deliverWithRedelivery posts event idx, and posts it again, as SMTP2GO
// would, while the answer is not 2xx (at most 5 times). It returns every
// status answered (0 for a transport failure).
func deliverWithRedelivery(ctx context.Context, hc *http.Client, url string, idx int, user, pass string) []int {
	ev := smtp2gotest.SampleEvent(smtp2go.EventDelivered)
	ev.ID = fmt.Sprintf("%032x", idx+1)
	ev.EmailID = fmt.Sprintf("load-%d", idx)
	var statuses []int
	for range 5 {
		d, _ := smtp2gotest.Deliver(ctx, url, ev, smtp2gotest.WithBasicAuth(user, pass), smtp2gotest.WithHTTPClient(hc))
		statuses = append(statuses, d.Status)
		if d.OK() || ctx.Err() != nil {
			break
		}
	}
	return statuses
}

func (r *receiverResult) check() error {
	var errs []error
	if len(r.processed) != r.distinct {
		errs = append(errs, fmt.Errorf("%d distinct events processed, want %d", len(r.processed), r.distinct))
	}
	for id, n := range r.processed {
		if n != 1 {
			errs = append(errs, fmt.Errorf("event %s processed %d times", id, n))
			break
		}
	}
	for status, n := range r.statuses {
		switch {
		case status == http.StatusOK:
		case status == http.StatusInternalServerError && n == r.intended5xx:
		default:
			errs = append(errs, fmt.Errorf("%d answers with status %d (intended 500s: %d)", n, status, r.intended5xx))
		}
	}
	return errors.Join(errs...)
}

func (r *receiverResult) print(w io.Writer) {
	slices.Sort(r.handlerTimes)
	pct := func(p float64) time.Duration {
		if len(r.handlerTimes) == 0 {
			return 0
		}
		return r.handlerTimes[min(len(r.handlerTimes)-1, int(p*float64(len(r.handlerTimes))))]
	}
	fmt.Fprintf(w, "receiver: %d deliveries (%d distinct events, %d repeats) from %d senders, %d failing once\n",
		r.cfg.Deliveries, r.distinct, r.cfg.Deliveries-r.distinct, r.cfg.Senders, r.failedOnce)
	fmt.Fprintf(w, "  requests %d in %s (%.0f/s); answers %v\n", r.sent, r.elapsed.Round(time.Millisecond), float64(r.sent)/r.elapsed.Seconds(), r.statuses)
	once := 0
	for _, n := range r.processed {
		if n == 1 {
			once++
		}
	}
	fmt.Fprintf(w, "  processed exactly once: %d of %d distinct events\n", once, r.distinct)
	fmt.Fprintf(w, "  handler latency p50 %s, p99 %s, max %s; peak heap %.1f MiB\n",
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond), float64(r.peakHeap)/(1<<20))
}
