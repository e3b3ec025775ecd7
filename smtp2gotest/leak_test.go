package smtp2gotest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/testwait"
	"github.com/relaykit/smtp2go/smtp2gotest"
	"go.uber.org/goleak"
)

// TestMain fails the package's run if any test leaves a goroutine behind
// once every test and its cleanups have returned.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDeliveriesLeaveNoGoroutines runs redeliveries, a Close during a hanging
// delivery and Deliver, closes the fake (but not the receivers, which outlive
// it), and checks that the goroutines started meanwhile are gone. It is not
// parallel, so that no other test starts goroutines meanwhile.
func TestDeliveriesLeaveNoGoroutines(t *testing.T) {
	failing := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	hung, arrived := hanging(t)
	// The receivers outlive the fake: their goroutines are ignored.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := smtp2gotest.NewServer(nil)
	defer srv.Close()
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: failing.URL, Events: []smtp2go.EventType{smtp2go.EventOpen}})
	addWebhook(t, srv, smtp2go.AddWebhookRequest{URL: hung.URL, Events: []smtp2go.EventType{smtp2go.EventClick}})

	emit(t, srv, smtp2gotest.SampleEvent(smtp2go.EventOpen))
	if _, err := smtp2gotest.Deliver(context.Background(), failing.URL, smtp2gotest.SampleEvent(smtp2go.EventOpen)); err != nil {
		t.Error(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = srv.Emit(context.Background(), smtp2gotest.SampleEvent(smtp2go.EventClick))
	}()
	testwait.Receive(t, arrived, "the hanging delivery")
	srv.Close()
	testwait.Receive(t, done, "Emit to return after Close")
}
