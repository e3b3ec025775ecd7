package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/internal/storetest"
)

// fullTestsEnv names the environment variable that runs the load tests at
// full size, as CI does. Unset, they run smaller: the same checks, in about a
// second.
const fullTestsEnv = "SMTP2GO_FULL_TESTS"

// size returns full when SMTP2GO_FULL_TESTS is 1, and small otherwise.
func size[T any](t *testing.T, small, full T) T {
	t.Helper()
	if os.Getenv(fullTestsEnv) == "1" {
		return full
	}
	t.Logf("small run; %s=1 runs it at full size", fullTestsEnv)
	return small
}

// TestScenarios runs both scenarios at a tenth of their size (with
// SMTP2GO_FULL_TESTS=1; a hundredth without), so that go test checks what
// the full runs in BENCHMARKS.md measure: nothing lost, nothing processed
// twice, no duplicate webhook, every error typed.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("load scenarios skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rc := receiverConfig{Deliveries: size(t, 200, 2000), RepeatRate: 0.10, Replicas: 3, Senders: 20, FailRate: 0.05, SlowRate: 0.02,
		Kill: true, SenderTimeout: 100 * time.Millisecond, Lease: 500 * time.Millisecond, Store: storeConfig{Kind: "memory"}}
	cc := clientConfig{Calls: size(t, 20, 100), Workers: 10, Webhooks: 8, FaultRate: 0.10}
	if err := run(ctx, io.Discard, "receiver", rc, cc, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, io.Discard, "client", rc, cc, nil); err != nil {
		t.Fatal(err)
	}
}

// TestManyPods is the many-pods proof: 2, 5 and 20 processes, each with a
// client and a transport of its own, run Ensure for the same webhook at once,
// 100 rounds per configuration with SMTP2GO_FULL_TESTS=1 (10 without), with and without 10% of
// requests faulted, from an empty account and from one with two stale
// identical duplicates, beside a deliberate pair at another URL that
// differs in usernames; and 5 processes on a free plan. Every round must end
// with exactly the one webhook desired, every successful process must have
// returned it, no call may return ErrDuplicateURL, and the pair must be
// untouched. Other failed calls are allowed (a fault can outlast every
// retry) but must be typed.
func TestManyPods(t *testing.T) {
	if testing.Short() {
		t.Skip("load scenarios skipped in -short mode")
	}
	t.Parallel()
	for _, cfg := range podsMatrix([]int{2, 5, 20}, size(t, 10, 100), 0.10, 2) {
		t.Run(fmt.Sprintf("pods=%d/faults=%.0f%%/stale=%d/limit=%d", cfg.Pods, 100*cfg.FaultRate, cfg.Stale, cfg.Limit), func(t *testing.T) {
			t.Parallel()
			res, err := runPods(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := res.check(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestReceiverOnRealStores runs the receiver scenario, small (1000
// deliveries with SMTP2GO_FULL_TESTS=1, 200 without), with the replicas
// sharing Redis, then PostgreSQL, as -store does.
func TestReceiverOnRealStores(t *testing.T) {
	for _, sc := range []struct{ kind, env, example string }{
		{"redis", "SMTP2GO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"},
		{"postgres", "SMTP2GO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	} {
		t.Run(sc.kind, func(t *testing.T) {
			url := storetest.URL(t, sc.env, sc.example)
			rc := receiverConfig{Deliveries: size(t, 200, 1000), RepeatRate: 0.10, Replicas: 3, Senders: 20, FailRate: 0.05, SlowRate: 0.02,
				Kill: true, SenderTimeout: 500 * time.Millisecond, Lease: 2 * time.Second,
				Store: storeConfig{Kind: sc.kind, RedisURL: url, PostgresURL: url}}
			var out strings.Builder
			err := run(t.Context(), &out, "receiver", rc, clientConfig{}, nil)
			t.Log(strings.TrimSpace(out.String()))
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestUnknownStore(t *testing.T) {
	if err := run(t.Context(), io.Discard, "receiver", receiverConfig{Store: storeConfig{Kind: "mongo"}}, clientConfig{}, nil); err == nil {
		t.Error("an unknown store: no error")
	}
}
