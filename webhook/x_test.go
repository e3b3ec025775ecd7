package webhook

import (
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
