package main

import (
	"context"
	"io"
	"testing"
	"time"
)

// TestScenariosSmall runs both scenarios at a tenth of their size, so that go
// test checks what the full runs in BENCHMARKS.md measure: nothing lost,
// nothing processed twice, no duplicate webhook, every error typed.
func TestScenariosSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("load scenarios skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rc := receiverConfig{Deliveries: 2000, RepeatRate: 0.10, Replicas: 3, Senders: 20, FailRate: 0.05, SlowRate: 0.02,
		Kill: true, SenderTimeout: 100 * time.Millisecond, Lease: 500 * time.Millisecond}
	cc := clientConfig{Calls: 100, Workers: 10, Webhooks: 8, FaultRate: 0.10}
	if err := run(ctx, io.Discard, "all", rc, cc); err != nil {
		t.Fatal(err)
	}
}
