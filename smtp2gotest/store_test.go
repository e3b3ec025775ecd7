package smtp2gotest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/relaykit/smtp2go"
)

func TestSubscribers(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	st := &srv.store
	email := st.add("", smtp2go.Webhook{URL: "https://example.com/email", Events: []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce}})
	sms := st.add("", smtp2go.Webhook{URL: "https://example.com/sms", SMSEvents: []smtp2go.SMSEventType{smtp2go.SMSDelivered}})
	sub := st.add("sub", smtp2go.Webhook{URL: "https://example.com/sub", Events: []smtp2go.EventType{smtp2go.EventDelivered}})

	ids := func(hooks []smtp2go.Webhook) []int64 {
		out := []int64{}
		for _, w := range hooks {
			out = append(out, w.ID)
		}
		return out
	}
	tests := []struct {
		account string
		event   smtp2go.EventType
		want    []int64
	}{
		{"", smtp2go.EventDelivered, []int64{email.ID}},
		{"", smtp2go.EventBounce, []int64{email.ID}},
		{"", smtp2go.EventOpen, []int64{}},
		{"", smtp2go.EventSMSDelivered, []int64{sms.ID}},
		{"", smtp2go.EventSMSFailed, []int64{}},
		{"sub", smtp2go.EventDelivered, []int64{sub.ID}},
		{"other", smtp2go.EventDelivered, []int64{}},
	}
	for _, tt := range tests {
		if got := ids(srv.subscribers(tt.account, tt.event)); !slices.Equal(got, tt.want) {
			t.Errorf("subscribers(%q, %s) = %v, want %v", tt.account, tt.event, got, tt.want)
		}
	}
	// The result is a copy.
	srv.subscribers("", smtp2go.EventDelivered)[0].Events[0] = "changed"
	if got, _ := st.get("", email.ID); got.Events[0] != smtp2go.EventDelivered {
		t.Error("subscribers shares lists with the store")
	}
}

func TestStoreReplaceMissing(t *testing.T) {
	t.Parallel()
	st := newStore()
	if st.replace("", smtp2go.Webhook{ID: 5}) {
		t.Error("replace of a missing webhook reported success")
	}
	if _, ok := st.remove("", 5); ok {
		t.Error("remove of a missing webhook reported success")
	}
}

func TestSleepEndsOnCloseOrContext(t *testing.T) {
	t.Parallel()
	// An hour-long sleep that did not end would hang the test: no clock is
	// needed to tell.
	srv := NewServer(nil)
	srv.Close()
	if sleep(context.Background(), time.Hour, srv.closing) {
		t.Error("a sleep on a closed server reported a full wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sleep(ctx, time.Hour, nil) {
		t.Error("a sleep with a done context reported a full wait")
	}
	if !sleep(context.Background(), time.Nanosecond, nil) {
		t.Error("a short sleep did not report a full wait")
	}
}

func TestDropWithoutHijacker(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	drop(httptest.NewRecorder())
}

func TestServeAfterClose(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	srv.Close()
	// A request that reaches the handler after Close is dropped, not served.
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
		if len(srv.Requests()) != 0 {
			t.Error("a request after Close was recorded")
		}
	}()
	srv.serveHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v3/webhook/view", nil))
}
