package webhook_test

import (
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/deduptest"
)

// TestMemoryDeduplicatorContract runs the contract every store keeps, on the
// real clock, against MemoryDeduplicator.
func TestMemoryDeduplicatorContract(t *testing.T) {
	t.Parallel()
	deduptest.Run(t, func(t *testing.T, ttl time.Duration) webhook.Deduplicator {
		return webhook.NewMemoryDeduplicator(ttl, 0)
	})
}
