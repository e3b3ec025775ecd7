// Package storetest is what the tests of the deduplication stores beside
// package webhook share: the servers they run against, a proxy that cuts a
// store off or stalls it, a count of round trips, and the scenarios that
// check a store beyond the contract (an unreachable or stalled server, an
// outage under the real handler, replicas under faults, a benchmark beside
// MemoryDeduplicator). The contract itself is the public package
// webhook/deduptest.
package storetest

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relaykit/smtp2go/internal/deliverbench"
	"github.com/relaykit/smtp2go/webhook"
)

// URL returns the server address in the environment variable env, or skips
// t with a message that says how to run the test. CI sets every such
// variable and fails if a store test skips.
func URL(t testing.TB, env, example string) string {
	t.Helper()
	u := os.Getenv(env)
	if u == "" {
		t.Skipf("%s is not set: run with %s=%s (a server that tests may write to)", env, env, example)
	}
	return u
}

// RandomName returns prefix followed by random lower-case letters and
// digits, for a key prefix or table name of one test's own.
func RandomName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:12])
}

// ClosedAddr returns a loopback address where nothing listens: a store
// client pointed at it finds its server down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// WriteCounter dials TCP connections that count their writes. For a client
// that waits for each answer before it sends again on a connection, as
// go-redis and pgx do outside pipelines and batches, each write is one round
// trip to the server, whatever the client does above the socket (retries,
// health checks, preparing statements, loading scripts).
type WriteCounter struct{ n atomic.Int64 }

// Dial is a DialContext, in the shape both go-redis (Options.Dialer) and pgx
// (ConnConfig.DialFunc) take.
func (c *WriteCounter) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return countingConn{conn, &c.n}, nil
}

// Count returns the writes made so far.
func (c *WriteCounter) Count() int64 { return c.n.Load() }

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(b)
}

// Senders is how many deliveries the benchmarks send at once.
const Senders = 16

// BenchmarkHandler measures webhook.NewHandler with store as
// internal/deliverbench drives it (basic auth, a fresh event per delivery,
// Senders at once over loopback), so that every delivery claims and
// completes. With roundTrips, it reports the store's round trips per
// delivery as "roundtrips/op". Give it a fresh store on every call: the
// event IDs start again at each b.N.
func BenchmarkHandler(b *testing.B, store webhook.Deduplicator, roundTrips func() int64) {
	h := webhook.NewHandler(func(context.Context, *webhook.Event) error { return nil },
		webhook.WithBasicAuth(deliverbench.User, deliverbench.Pass), webhook.WithDeduplicator(store))
	var before int64
	if roundTrips != nil {
		before = roundTrips()
	}
	deliverbench.Run(b, h, Senders)
	b.StopTimer()
	if roundTrips != nil {
		b.ReportMetric(float64(roundTrips()-before)/float64(b.N), "roundtrips/op")
	}
}

// Post delivers a form body to url as SMTP2GO does, with the basic
// credentials of internal/deliverbench, and returns the status, or 0 if no
// answer came.
func Post(client *http.Client, url, body string) int {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(deliverbench.User, deliverbench.Pass)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
