package replicatest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

// short is the size of a run in go test: big enough that every fault
// happens, small enough to take a few seconds.
func short(newStore func(int) (webhook.Deduplicator, func())) Config {
	return Config{
		Replicas: 3, Events: 600, RepeatRate: 0.10, FailRate: 0.05, SlowRate: 0.02, Kill: true,
		Senders: 30, SenderTimeout: 100 * time.Millisecond, RetryWait: 10 * time.Millisecond,
		Lease: 500 * time.Millisecond, NewStore: newStore,
	}
}

// TestReplicasSharingAStore: three replicas sharing one store, with repeats,
// failures, slow failures and a replica killed mid-run, lose nothing and
// process nothing twice but what the killed replica had done before it died.
func TestReplicasSharingAStore(t *testing.T) {
	shared := webhook.NewMemoryDeduplicator(0, 0)
	res, err := Run(t.Context(), short(func(int) (webhook.Deduplicator, func()) { return shared, func() {} }))
	if err != nil {
		t.Fatal(err)
	}
	res.Print(testWriter{t}, "shared memory")
	if err := res.Check(); err != nil {
		t.Error(err)
	}
	// Every fault took place.
	if res.Hung == 0 || res.Statuses[409] == 0 || res.Statuses[500] == 0 || res.Statuses[0] == 0 {
		t.Errorf("faults not exercised: %d callbacks hung, answers %v", res.Hung, res.Statuses)
	}
}

// TestReplicasWithStoresOfTheirOwn shows that the run catches double
// processing: replicas that do not share a store process the concurrent
// repeats twice.
func TestReplicasWithStoresOfTheirOwn(t *testing.T) {
	cfg := short(func(int) (webhook.Deduplicator, func()) { return webhook.NewMemoryDeduplicator(0, 0), func() {} })
	cfg.Kill = false
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Twice == 0 || res.Check() == nil {
		t.Errorf("stores of their own: %d events processed twice, Check = %v; want some, and an error", res.Twice, res.Check())
	}
}

func TestRunRefusesAnIncompleteConfig(t *testing.T) {
	if _, err := Run(context.Background(), Config{}); err == nil {
		t.Error("empty config: no error")
	}
	cfg := short(func(int) (webhook.Deduplicator, func()) { return webhook.NewMemoryDeduplicator(0, 0), func() {} })
	cfg.Replicas = 1
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Error("killing the only replica: no error")
	}
}

// testWriter sends Print's lines to the test log (shown with -v).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
