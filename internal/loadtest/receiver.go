package main

import (
	"context"
	"io"
	"time"

	"github.com/relaykit/smtp2go/internal/replicatest"
	"github.com/relaykit/smtp2go/webhook"
)

// receiverConfig sizes the receiver scenario: replicas of the handler behind a
// random dispatcher, sharing one deduplication store, under faults.
type receiverConfig struct {
	Deliveries    int     // deliveries started, repeats included
	RepeatRate    float64 // share of deliveries that repeat an event
	Replicas      int
	Senders       int
	FailRate      float64
	SlowRate      float64
	Kill          bool
	SenderTimeout time.Duration
	Lease         time.Duration
	Store         storeConfig // the store the replicas share
}

// replicas turns the scenario's sizes into a run of the shared harness.
func (c receiverConfig) replicas(newStore func(int) (webhook.Deduplicator, func())) replicatest.Config {
	events := int(float64(c.Deliveries) * (1 - c.RepeatRate))
	return replicatest.Config{
		Replicas: c.Replicas, Events: events, RepeatRate: c.RepeatRate / (1 - c.RepeatRate),
		FailRate: c.FailRate, SlowRate: c.SlowRate, Kill: c.Kill, Senders: c.Senders,
		SenderTimeout: c.SenderTimeout, RetryWait: c.SenderTimeout / 10, Lease: c.Lease,
		NewStore: newStore,
	}
}

// runReceiver runs the scenario with the replicas sharing the store
// cfg.Store says (a MemoryDeduplicator standing for a store they share, Redis or
// PostgreSQL), prints the figures and checks that nothing was lost or
// processed twice.
func runReceiver(ctx context.Context, w io.Writer, cfg receiverConfig) error {
	store, err := openStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer store.cleanup()
	res, err := replicatest.Run(ctx, cfg.replicas(store.newStore))
	if err != nil {
		return err
	}
	res.Print(w, store.name)
	return res.Check()
}
