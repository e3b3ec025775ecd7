package webhook

import (
	"fmt"
	"time"
	"context"
	"testing"

	"github.com/relaykit/smtp2go/internal/deliverbench"
)

func BenchmarkXNoDedup(b *testing.B) {
	benchDeliver(b, NewHandler(func(context.Context, *Event) error { return nil },
		WithBasicAuth(deliverbench.User, deliverbench.Pass), WithoutDeduplication()))
}
func BenchmarkXNoAuthNoDedup(b *testing.B) {
	benchDeliver(b, NewHandler(func(context.Context, *Event) error { return nil }, WithoutDeduplication()))
}
func BenchmarkXSmallStore(b *testing.B) {
	benchDeliver(b, NewHandler(func(context.Context, *Event) error { return nil },
		WithBasicAuth(deliverbench.User, deliverbench.Pass), WithDeduplicator(NewMemoryDeduplicator(0, 100))))
}

func BenchmarkXStoreOnly(b *testing.B) {
	d := NewMemoryDeduplicator(0, 0)
	ctx := context.Background()
	keys := make([]string, 200000)
	for i := range keys {
		keys[i] = fmt.Sprintf("%032x", i)
	}
	i := 0
	for b.Loop() {
		k := keys[i%len(keys)]
		i++
		d.Claim(ctx, k, "tok", time.Minute)
		d.Complete(ctx, k, "tok")
	}
}

func BenchmarkXDeadline(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		c, cancel := context.WithDeadline(ctx, time.Now().Add(time.Minute))
		_ = c.Err()
		cancel()
	}
}

func BenchmarkXLockToken(b *testing.B) {
	h := NewHandler(nil).(*handler)
	ctx := context.Background()
	for b.Loop() {
		t := h.tokens.next()
		h.locks.Acquire(ctx, t, nil)
		h.locks.Release(t)
	}
}
