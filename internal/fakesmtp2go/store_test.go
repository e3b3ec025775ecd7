package fakesmtp2go

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestSubscribers(t *testing.T) {
	t.Parallel()
	st := newStore()
	email := st.add("", Webhook{URL: "https://example.com/email", Events: []string{"delivered", "bounce"}})
	sms := st.add("", Webhook{URL: "https://example.com/sms", SMSEvents: []string{"delivered"}})
	sub := st.add("sub", Webhook{URL: "https://example.com/sub", Events: []string{"delivered"}})

	ids := func(hooks []Webhook) []int64 {
		out := []int64{}
		for _, w := range hooks {
			out = append(out, w.ID)
		}
		return out
	}
	tests := []struct {
		account string
		event   string
		want    []int64
	}{
		{"", "delivered", []int64{email.ID}},
		{"", "bounce", []int64{email.ID}},
		{"", "open", []int64{}},
		{"", "sms_delivered", []int64{sms.ID}},
		{"", "sms_failed", []int64{}},
		{"sub", "delivered", []int64{sub.ID}},
		{"other", "delivered", []int64{}},
	}
	for _, tt := range tests {
		if got := ids(st.subscribers(tt.account, tt.event)); !slices.Equal(got, tt.want) {
			t.Errorf("subscribers(%q, %q) = %v, want %v", tt.account, tt.event, got, tt.want)
		}
	}
	// The result is a copy.
	st.subscribers("", "delivered")[0].Events[0] = "changed"
	if got, _ := st.get("", email.ID); got.Events[0] != "delivered" {
		t.Error("subscribers shares lists with the store")
	}
}

func TestStoreReplaceMissing(t *testing.T) {
	t.Parallel()
	st := newStore()
	if st.replace("", Webhook{ID: 5}) {
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
	fk := New(DefaultConfig())
	fk.Close()
	if sleep(context.Background(), time.Hour, fk.closing) {
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
	fk := New(DefaultConfig())
	fk.Close()
	// A request that reaches the handler after Close is dropped, not served.
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
		if len(fk.Requests()) != 0 {
			t.Error("a request after Close was recorded")
		}
	}()
	fk.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/v3/webhook/view", nil))
}
