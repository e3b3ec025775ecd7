package redisdedup

import (
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

func TestOptionDefaults(t *testing.T) {
	t.Parallel()
	s := New(nil, WithPrefix(""), WithTTL(0), WithTTL(-time.Second))
	if s.prefix != DefaultPrefix || s.ttl != webhook.DefaultDedupTTL {
		t.Errorf("prefix, ttl = %q, %v; want the defaults", s.prefix, s.ttl)
	}
	s = New(nil, WithPrefix("p:"), WithTTL(time.Minute))
	if s.prefix != "p:" || s.ttl != time.Minute {
		t.Errorf("prefix, ttl = %q, %v", s.prefix, s.ttl)
	}
}

func TestMilliseconds(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int64{
		0: 1, time.Nanosecond: 1, time.Millisecond: 1, time.Millisecond + 1: 2, 1500 * time.Millisecond: 1500, webhook.DefaultLease: 60000,
	} {
		if got := milliseconds(d); got != want {
			t.Errorf("milliseconds(%v) = %d, want %d", d, got, want)
		}
	}
}
