package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// podsConfig sizes the many-pods scenario: in each round, Pods processes
// (each with its own client and transport, as separate pods have) start
// Ensure for the same webhook at once, as replicas of a deploy do.
type podsConfig struct {
	Pods       int     // processes per round
	Rounds     int     // rounds, each starting from no webhook for the URL (or Stale of them)
	FaultRate  float64 // share of requests answered with a fault
	Stale      int     // identical webhooks left before each round, as by a pod that died between add and cleanup
	Limit      int     // the plan's webhook limit (0: the fake's default, 10)
	Deliberate bool    // keep a pair at another URL, differing in usernames, that must never be touched
	Seed       uint64  // seeds the faults
}

// podsResult is what the many-pods scenario measured.
type podsResult struct {
	cfg          podsConfig
	manyRounds   int            // rounds that ended with more than one webhook for the URL
	wrongRounds  int            // rounds that ended with none, or one not as desired
	splitRounds  int            // rounds in which successful pods returned different webhooks
	dupErrs      int            // calls that returned ErrDuplicateURL
	errs         map[string]int // failed calls by error type
	calls        int
	removed      int // duplicates the calls reported as removed
	touched      int // rounds in which the deliberate pair changed
	requests     int // requests the pods sent
	faulted      int // of those, answered with a fault
	maxPerRound  int // most webhooks for the URL seen at once in a round's end state
	elapsed      time.Duration
	roundFailure string // the first round that failed a check, described
}

// podsRequest is what every pod ensures.
var podsRequest = smtp2go.AddWebhookRequest{
	URL:          "https://hooks.example.com/pods",
	Events:       []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce, smtp2go.EventSpam},
	Headers:      []string{"X-Customer-Id"},
	OutputFormat: smtp2go.OutputJSON,
}

// runPods plays cfg.Rounds rounds of cfg.Pods processes running Ensure at
// once against one fake SMTP2GO, and checks the account after each round.
func runPods(ctx context.Context, cfg podsConfig) (*podsResult, error) {
	var opts []smtp2gotest.Option
	if cfg.Limit != 0 {
		opts = append(opts, smtp2gotest.WithWebhookLimit(cfg.Limit))
	}
	srv := smtp2gotest.NewServer(nil, opts...)
	defer srv.Close()
	admin := srv.Client(smtp2go.WithRetryMax(10)) // sets up and clears the account between rounds
	res := &podsResult{cfg: cfg, errs: map[string]int{}}

	var pair []smtp2go.Webhook
	if cfg.Deliberate {
		for _, user := range []string{"shop", "billing"} {
			w := podsRequest
			w.URL, w.Usernames = "https://hooks.example.com/pods-pair", []string{user}
			added, err := admin.Webhooks.Add(ctx, &w)
			if err != nil {
				return nil, fmt.Errorf("setting up the deliberate pair: %w", err)
			}
			pair = append(pair, added.Webhook)
		}
	}

	var sent atomic.Int64
	start := time.Now()
	for round := range cfg.Rounds {
		srv.ClearFaults()
		for range cfg.Stale {
			if _, err := admin.Webhooks.Add(ctx, &podsRequest); err != nil {
				return nil, fmt.Errorf("round %d: leaving stale duplicates: %w", round, err)
			}
		}
		got, err := podsRound(ctx, srv, cfg, round, &sent)
		if err != nil {
			return nil, err
		}
		srv.ClearFaults()
		res.note(round, got, srv.Webhooks(), pair)
		for _, w := range srv.Webhooks() {
			if w.URL == podsRequest.URL {
				if _, err := admin.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: w.ID}); err != nil {
					return nil, fmt.Errorf("round %d: clearing: %w", round, err)
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pods scenario stopped: %w", err)
		}
	}
	res.elapsed = time.Since(start)
	res.requests = int(sent.Load())
	for _, r := range srv.Requests() {
		if r.Fault != nil { // only pods' requests: faults are cleared before the admin's
			res.faulted++
		}
	}
	return res, nil
}

// podOutcome is what one pod's Ensure returned.
type podOutcome struct {
	res *smtp2go.EnsureWebhookResponse
	err error
}

// podsRound starts cfg.Pods processes at once, each with a client and a
// transport of its own, and waits for them.
func podsRound(ctx context.Context, srv *smtp2gotest.Server, cfg podsConfig, round int, sent *atomic.Int64) ([]podOutcome, error) {
	out := make([]podOutcome, cfg.Pods)
	clients := make([]*smtp2go.Client, cfg.Pods)
	transports := make([]*http.Transport, cfg.Pods)
	for i := range clients {
		transports[i] = &http.Transport{MaxIdleConnsPerHost: 4}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(round*1000+i)))
		c, err := smtp2go.NewClient(srv.APIKey,
			smtp2go.WithBaseURL(srv.URL),
			smtp2go.WithHTTPClient(&http.Client{Transport: &faulting{next: transports[i], srv: srv, rate: cfg.FaultRate, rng: rng, sent: sent}}),
			smtp2go.WithRetryWait(time.Millisecond, 5*time.Millisecond),
			smtp2go.WithTimeout(10*time.Second))
		if err != nil {
			return nil, err
		}
		clients[i] = c
	}
	defer func() {
		for _, tr := range transports {
			tr.CloseIdleConnections()
		}
	}()
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i, c := range clients {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate // every pod starts at once
			req := podsRequest
			out[i].res, out[i].err = c.Webhooks.Ensure(ctx, &req)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	return out, nil
}

// faulting is a pod's transport: before a share of its requests it queues a
// fault (one of the client scenario's faultKinds) at the fake, which the next
// request to arrive, most often that one, takes.
type faulting struct {
	next http.RoundTripper
	srv  *smtp2gotest.Server
	rate float64
	sent *atomic.Int64 // requests of all pods
	mu   sync.Mutex
	rng  *rand.Rand
}

func (f *faulting) RoundTrip(r *http.Request) (*http.Response, error) {
	f.sent.Add(1)
	f.mu.Lock()
	if f.rate > 0 && f.rng.Float64() < f.rate {
		f.srv.Fail("*", faultKinds[f.rng.IntN(len(faultKinds))])
	}
	f.mu.Unlock()
	return f.next.RoundTrip(r)
}

// note checks one round's end state and the pods' answers.
func (r *podsResult) note(round int, got []podOutcome, final, pair []smtp2go.Webhook) {
	var mine []smtp2go.Webhook
	for _, w := range final {
		if w.URL == podsRequest.URL {
			mine = append(mine, w)
		}
	}
	r.maxPerRound = max(r.maxPerRound, len(mine))
	fail := func(format string, args ...any) {
		if r.roundFailure == "" {
			r.roundFailure = fmt.Sprintf("round %d: ", round) + fmt.Sprintf(format, args...)
		}
	}
	switch {
	case len(mine) > 1:
		r.manyRounds++
		fail("%d webhooks for the URL", len(mine))
	case len(mine) == 0 || !mine[0].Matches(&podsRequest):
		r.wrongRounds++
		fail("no webhook as desired: %v", mine)
	}
	returned := map[int64]bool{}
	for _, o := range got {
		r.calls++
		if errors.Is(o.err, smtp2go.ErrDuplicateURL) {
			r.dupErrs++
			fail("ErrDuplicateURL: %v", o.err)
			continue
		}
		if o.err != nil {
			kind := errorKind(o.err)
			r.errs[kind]++
			if strings.HasPrefix(kind, "untyped") {
				fail("%s", kind)
			}
			continue
		}
		r.removed += len(o.res.Removed)
		returned[o.res.Webhook.ID] = true
	}
	if len(returned) > 1 || (len(returned) == 1 && len(mine) == 1 && !returned[mine[0].ID]) {
		r.splitRounds++
		fail("pods returned webhooks %v, the account has %v", returned, mine)
	}
	for _, p := range pair {
		i := slices.IndexFunc(final, func(w smtp2go.Webhook) bool { return w.ID == p.ID })
		if i < 0 || !slices.Equal(final[i].Usernames, p.Usernames) || final[i].URL != p.URL {
			r.touched++
			fail("the deliberate pair was touched")
			break
		}
	}
}

func (r *podsResult) check() error {
	if r.roundFailure == "" {
		return nil
	}
	return fmt.Errorf("%d pods, faults %.0f%%, %d stale: %d rounds with several webhooks, %d without the one desired, %d split, %d ErrDuplicateURL, pair touched in %d; first: %s",
		r.cfg.Pods, 100*r.cfg.FaultRate, r.cfg.Stale, r.manyRounds, r.wrongRounds, r.splitRounds, r.dupErrs, r.touched, r.roundFailure)
}

// podsHeader and print write one line of the many-pods table.
func podsHeader(w io.Writer) {
	fmt.Fprintln(w, "pods: rounds of N processes (each its own client and transport) running Ensure at once for one URL")
	fmt.Fprintf(w, "  %4s %6s %5s %6s %6s | %8s %8s %8s %6s %8s %7s %7s %6s  %s\n",
		"pods", "faults", "stale", "limit", "rounds", ">1 hook", "dup err", "split", "pair", "removed", "reqs", "faulted", "time", "other errors")
}

func (r *podsResult) print(w io.Writer) {
	limit := "10"
	if r.cfg.Limit > 0 {
		limit = fmt.Sprint(r.cfg.Limit)
	}
	kinds := make([]string, 0, len(r.errs))
	for k, n := range r.errs {
		kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
	}
	slices.Sort(kinds)
	fmt.Fprintf(w, "  %4d %5.0f%% %5d %6s %6d | %8d %8d %8d %6d %8d %7d %6.1f%% %6s  %v\n",
		r.cfg.Pods, 100*r.cfg.FaultRate, r.cfg.Stale, limit, r.cfg.Rounds,
		r.manyRounds, r.dupErrs, r.splitRounds, r.touched, r.removed, r.requests,
		100*float64(r.faulted)/float64(max(r.requests, 1)), r.elapsed.Round(10*time.Millisecond), kinds)
}

// podsMatrix is the set of many-pods runs that BENCHMARKS.md reports and
// TestManyPods checks: 2, 5 and 20 pods, each without and with faults, from
// an empty account and from one with stale duplicates, beside a deliberate
// pair; and a free plan (one webhook allowed) raced by 5 pods.
func podsMatrix(pods []int, rounds int, faultRate float64, stale int) []podsConfig {
	var out []podsConfig
	for i, n := range pods {
		for j, v := range []struct {
			rate  float64
			stale int
		}{{0, 0}, {faultRate, 0}, {0, stale}, {faultRate, stale}} {
			out = append(out, podsConfig{Pods: n, Rounds: rounds, FaultRate: v.rate, Stale: v.stale, Deliberate: true, Seed: uint64(10*i + j + 1)})
		}
	}
	return append(out, podsConfig{Pods: 5, Rounds: rounds, FaultRate: faultRate, Limit: 1, Seed: 99})
}
