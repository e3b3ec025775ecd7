package redisdedup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

// reloadCounter is a cluster client that counts the reloads asked of it.
type reloadCounter struct {
	*redis.ClusterClient
	n atomic.Int32
}

func (c *reloadCounter) ReloadState(context.Context) { c.n.Add(1) }

// TestFailReloadsClusterState: a cluster client is asked to reload the
// cluster's slots after a failure to reach Redis, and not after an answer
// of Redis, a caller that left, or a closed client; other clients are asked
// nothing.
func TestFailReloadsClusterState(t *testing.T) {
	t.Parallel()
	rdb := &reloadCounter{ClusterClient: redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})}
	defer rdb.Close()
	s := New(rdb)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, c := range []struct {
		err    error
		reload bool
	}{
		{refused, true},
		{fmt.Errorf("wrapped: %w", io.EOF), true},
		{context.DeadlineExceeded, true},
		{redis.Nil, false}, // an answer of Redis
		{context.Canceled, false},
		{redis.ErrClosed, false},
	} {
		before := rdb.n.Load()
		err := s.fail(context.Background(), "claim", c.err)
		if !errors.Is(err, c.err) || !strings.HasPrefix(err.Error(), "redisdedup: claim: ") {
			t.Errorf("fail(%v) = %v", c.err, err)
		}
		if got := rdb.n.Load() > before; got != c.reload {
			t.Errorf("after %v: reload asked %v, want %v", c.err, got, c.reload)
		}
	}
	one := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer one.Close()
	if err := New(one).fail(context.Background(), "complete", refused); !errors.Is(err, refused) {
		t.Errorf("fail on a single-server client = %v", err)
	}
}
