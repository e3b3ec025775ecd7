package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// clientConfig sizes the client scenario.
type clientConfig struct {
	Calls     int     // Ensure calls in all
	Workers   int     // concurrent callers sharing one client
	Webhooks  int     // distinct webhooks they ensure (at most the plan's 10)
	FaultRate float64 // share of API requests answered with a fault
}

// clientResult is what the client scenario measured.
type clientResult struct {
	cfg              clientConfig
	actions          map[smtp2go.EnsureAction]int
	errs             map[string]int // failed calls by error type
	faults           int            // requests answered with a fault
	faultsByEndpoint map[string]int
	drifts           int // changes made behind Ensure's back
	maxCopies        int // most webhooks with one URL seen after any call
	requests         int // API requests the fake received
	final            []smtp2go.Webhook
	desired          []*smtp2go.AddWebhookRequest
	elapsed          time.Duration
}

// faultKinds are the failures the fake injects: overload, throttling, and
// connections dropped before and after the request was carried out.
var faultKinds = []smtp2gotest.Fault{
	{Status: 503},
	{Status: 503, AfterProcessing: true},
	{Status: 429, RetryAfter: "0"},
	{Status: 429},
	{DropBeforeProcessing: true},
	{DropAfterProcessing: true},
}

// runClient has many goroutines Ensure the same few webhooks through one
// client while the fake answers a share of requests with faults.
func runClient(ctx context.Context, cfg clientConfig) (*clientResult, error) {
	srv := smtp2gotest.NewServer(nil)
	defer srv.Close()
	client := srv.Client(smtp2go.WithRetryWait(time.Millisecond, 5*time.Millisecond), smtp2go.WithTimeout(2*time.Second))
	res := &clientResult{cfg: cfg, actions: map[smtp2go.EnsureAction]int{}, errs: map[string]int{}, faultsByEndpoint: map[string]int{}}
	for i := range cfg.Webhooks {
		res.desired = append(res.desired, &smtp2go.AddWebhookRequest{
			URL:          fmt.Sprintf("https://hooks.example.com/load/%d", i),
			Events:       []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce, smtp2go.EventSpam},
			Headers:      []string{"X-Customer-Id"},
			OutputFormat: []smtp2go.OutputFormat{smtp2go.OutputForm, smtp2go.OutputJSON}[i%2],
		})
	}

	// Half of them exist already, set up differently, so Ensure also updates.
	for i, want := range res.desired {
		if i%2 == 1 {
			stale := &smtp2go.AddWebhookRequest{URL: want.URL, Events: []smtp2go.EventType{smtp2go.EventOpen}}
			if _, err := client.Webhooks.Add(ctx, stale); err != nil {
				return nil, fmt.Errorf("setting up: %w", err)
			}
		}
	}

	// Faults are queued as the calls go, about 1.5 per 10 calls at the
	// default rate, since a call makes about 1.5 requests: most for the next
	// request of any kind, the rest for the next add or edit, which are rarer
	// than views but where a fault can do the most harm. The share of
	// requests faulted is measured and printed.
	rng := rand.New(rand.NewPCG(1, 2))
	var rngMu, resMu sync.Mutex
	maybeFault := func() {
		rngMu.Lock()
		defer rngMu.Unlock()
		if rng.Float64() >= 1.5*cfg.FaultRate {
			return
		}
		endpoint := "*"
		switch r := rng.Float64(); {
		case r < 0.2:
			endpoint = "webhook/add"
		case r < 0.4:
			endpoint = "webhook/edit"
		}
		srv.Fail(endpoint, faultKinds[rng.IntN(len(faultKinds))])
	}

	// Drift: every driftEvery-th call, someone else removes one of the
	// webhooks or sets it up differently, so Ensure must create and update
	// again and again while faults land on its adds and edits too.
	const driftEvery = 10
	drift := srv.Client(smtp2go.WithRetryMax(10))
	driftOnce := func(i int) {
		want := res.desired[(i/driftEvery)%len(res.desired)]
		list, err := drift.Webhooks.List(ctx, nil)
		if err != nil {
			return
		}
		for _, w := range list.Webhooks {
			if w.URL != want.URL {
				continue
			}
			if i%(2*driftEvery) == 0 {
				_, _ = drift.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: w.ID})
			} else {
				_, _ = drift.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{ID: w.ID, Events: []smtp2go.EventType{smtp2go.EventOpen}})
			}
		}
		resMu.Lock()
		res.drifts++
		resMu.Unlock()
	}

	calls := make(chan int)
	go func() {
		defer close(calls)
		for i := range cfg.Calls {
			select {
			case calls <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				if i%driftEvery == 0 {
					driftOnce(i)
				}
				maybeFault()
				want := res.desired[i%len(res.desired)]
				out, err := client.Webhooks.Ensure(ctx, want)
				dups := 0
				for _, w := range srv.Webhooks() {
					if w.URL == want.URL {
						dups++
					}
				}
				resMu.Lock()
				if err != nil {
					res.errs[errorKind(err)]++
				} else {
					res.actions[out.Action]++
				}
				res.maxCopies = max(res.maxCopies, dups)
				resMu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("client scenario stopped: %w", err)
	}
	// Converge: faults off, one last Ensure of each webhook, since drift may
	// have come after the last call for it. Then the state must be exact.
	srv.ClearFaults()
	for _, want := range res.desired {
		if _, err := client.Webhooks.Ensure(ctx, want); err != nil {
			return nil, fmt.Errorf("converging: %w", err)
		}
	}
	res.final = srv.Webhooks()
	for _, r := range srv.Requests() {
		res.requests++
		if r.Fault != nil {
			res.faults++
			res.faultsByEndpoint[r.Endpoint]++
		}
	}
	return res, nil
}

// errorKind names the type of a failed call's error; "untyped" is a bug.
func errorKind(err error) string {
	var apiErr *smtp2go.APIError
	var netErr *smtp2go.NetworkError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Sprintf("APIError %d", apiErr.StatusCode)
	case errors.As(err, &netErr):
		return "NetworkError"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "context"
	}
	return "untyped: " + err.Error()
}

func (r *clientResult) check() error {
	var errs []error
	byURL := map[string][]smtp2go.Webhook{}
	for _, w := range r.final {
		byURL[w.URL] = append(byURL[w.URL], w)
	}
	if r.maxCopies > 1 {
		errs = append(errs, fmt.Errorf("a URL had %d webhooks at once", r.maxCopies))
	}
	if len(r.final) != len(r.desired) {
		errs = append(errs, fmt.Errorf("%d webhooks at the end, want %d", len(r.final), len(r.desired)))
	}
	for _, want := range r.desired {
		have := byURL[want.URL]
		switch {
		case len(have) == 0:
			errs = append(errs, fmt.Errorf("%s is missing", want.URL))
		case len(have) > 1:
			errs = append(errs, fmt.Errorf("%s exists %d times", want.URL, len(have)))
		case !have[0].Matches(want):
			errs = append(errs, fmt.Errorf("%s is not as desired: %v", want.URL, have[0]))
		}
	}
	for kind, n := range r.errs {
		if len(kind) >= 7 && kind[:7] == "untyped" {
			errs = append(errs, fmt.Errorf("%d calls failed with an untyped error: %s", n, kind))
		}
	}
	return errors.Join(errs...)
}

func (r *clientResult) print(w io.Writer) {
	fmt.Fprintf(w, "client: %d Ensure calls of %d webhooks from %d goroutines sharing one client, faults aimed at %.0f%% of requests\n",
		r.cfg.Calls, r.cfg.Webhooks, r.cfg.Workers, 100*r.cfg.FaultRate)
	fmt.Fprintf(w, "  %d API requests in %s; %d faulted (%.1f%%): %v\n", r.requests, r.elapsed.Round(time.Millisecond),
		r.faults, 100*float64(r.faults)/float64(max(r.requests, 1)), r.faultsByEndpoint)
	fmt.Fprintf(w, "  outcomes: created %d, updated %d, unchanged %d", r.actions[smtp2go.EnsureCreated], r.actions[smtp2go.EnsureUpdated], r.actions[smtp2go.EnsureUnchanged])
	kinds := make([]string, 0, len(r.errs))
	for k := range r.errs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	failed := 0
	for _, k := range kinds {
		failed += r.errs[k]
	}
	fmt.Fprintf(w, "; failed %d", failed)
	for _, k := range kinds {
		fmt.Fprintf(w, " [%s: %d]", k, r.errs[k])
	}
	dups := 0
	seen := map[string]bool{}
	for _, wh := range r.final {
		if seen[wh.URL] {
			dups++
		}
		seen[wh.URL] = true
	}
	fmt.Fprintf(w, "\n  %d drifts behind Ensure's back; most webhooks with one URL after any call: %d\n", r.drifts, r.maxCopies)
	fmt.Fprintf(w, "  final state: %d webhooks, %d duplicates, every one as desired: %t\n", len(r.final), dups, r.check() == nil)
}
