package smtp2go

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	withRetryAfter := func(status int, v string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {v}}}
	}
	tests := []struct {
		name     string
		min, max time.Duration
		n        int
		resp     *http.Response
		lo, hi   time.Duration
	}{
		{"first wait", time.Second, 10 * time.Second, 0, nil, time.Second, 2 * time.Second},
		{"grows", time.Second, 10 * time.Second, 2, nil, 4 * time.Second, 8 * time.Second},
		{"capped", time.Second, 10 * time.Second, 40, nil, 10 * time.Second, 10 * time.Second},
		{"capped on the way", time.Second, 10 * time.Second, 3, nil, 8 * time.Second, 10 * time.Second},
		{"Retry-After honoured", time.Second, 10 * time.Second, 0, withRetryAfter(429, "3"), 3 * time.Second, 3 * time.Second},
		{"Retry-After on 503", time.Second, 10 * time.Second, 0, withRetryAfter(503, "4"), 4 * time.Second, 4 * time.Second},
		{"huge Retry-After capped", time.Second, 10 * time.Second, 0, withRetryAfter(429, "86400"), 10 * time.Second, 10 * time.Second},
		{"Retry-After ignored on 500", time.Second, 10 * time.Second, 0, withRetryAfter(500, "9"), time.Second, 2 * time.Second},
		{"negative Retry-After ignored", time.Second, 10 * time.Second, 0, withRetryAfter(429, "-5"), time.Second, 2 * time.Second},
		{"HTTP-date in the past", time.Second, 10 * time.Second, 0, withRetryAfter(429, "Mon, 02 Jan 2006 15:04:05 GMT"), time.Second, time.Second},
		// WithRetryWait(0, max) once waited max before every retry.
		{"min 0: at once", 0, time.Hour, 0, nil, 0, 0},
		{"min 0: at once, later too", 0, time.Hour, 5, nil, 0, 0},
		{"min 0: Retry-After honoured", 0, time.Hour, 2, withRetryAfter(503, "3"), 3 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 50 { // jitter: every draw within bounds
			d := backoff(tt.min, tt.max, tt.n, tt.resp)
			seen[d] = true
			if d < tt.lo || d > tt.hi {
				t.Errorf("%s: backoff = %s, want within [%s, %s]", tt.name, d, tt.lo, tt.hi)
				break
			}
		}
		if tt.lo != tt.hi && len(seen) < 2 {
			t.Errorf("%s: 50 draws gave one wait: no jitter", tt.name)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	for v, want := range map[string]time.Duration{"": -1, "0": 0, "7": 7 * time.Second, "-1": -1, "soon": -1, "999999999": 24 * time.Hour} {
		got, ok := retryAfter(http.Header{"Retry-After": {v}})
		if (want < 0 && ok) || (want >= 0 && (!ok || got != want)) {
			t.Errorf("retryAfter(%q) = %s, %t", v, got, ok)
		}
	}
	if got, ok := retryAfter(http.Header{"Retry-After": {future}}); !ok || got < 59*time.Minute || got > time.Hour {
		t.Errorf("retryAfter(date an hour ahead) = %s, %t", got, ok)
	}
}

func TestWaitFits(t *testing.T) {
	t.Parallel()
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"5"}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if waitFits(ctx, resp, time.Millisecond, time.Minute) {
		t.Error("a 5s Retry-After fits a 1s deadline")
	}
	if !waitFits(ctx, resp, time.Millisecond, 10*time.Millisecond) {
		t.Error("the Retry-After capped at 10ms does not fit a 1s deadline")
	}
	if !waitFits(context.Background(), resp, time.Millisecond, time.Minute) {
		t.Error("without a deadline every wait fits")
	}
}

func TestExcerptNeverKeepsPartOfASecret(t *testing.T) {
	t.Parallel()
	const secret = "api-0123456789ABCDEFabcdef0123456789"
	for cut := maxExcerpt - len(secret); cut <= maxExcerpt+2; cut++ {
		body := strings.Repeat("x", cut) + secret + " tail"
		got := excerpt([]byte(body), []string{secret})
		if strings.Contains(got, secret[:8]) {
			t.Fatalf("cut at %d: excerpt keeps part of the secret", cut)
		}
	}
	if got := excerpt([]byte("a\x00b\xff\n\n  c\u00e9"), nil); got != "ab cé" {
		t.Errorf("excerpt = %q", got)
	}
}

func TestLooksMasked(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"": false, "********": true, "tok****": true, "•••": true, "tok-123": false, "dXNlcjpwYXNz": false} {
		if got := looksMasked(v); got != want {
			t.Errorf("looksMasked(%q) = %t", v, got)
		}
	}
}

func TestTolerantWebhookDecoding(t *testing.T) {
	t.Parallel()
	var w Webhook
	err := json.Unmarshal([]byte(`{"id":4320.0,"url":"https://x.example","events":["open",null],"headers":"X-A, X-B,","usernames":null,"output_format":"JSON","auth_header_type":" Bearer "}`), &w)
	if err != nil {
		t.Fatal(err)
	}
	want := Webhook{ID: 4320, URL: "https://x.example", Events: []EventType{EventOpen}, Headers: []string{"X-A", "X-B"}, OutputFormat: OutputJSON, AuthHeaderType: AuthBearer}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("decoded %+v\nwant    %+v", w, want)
	}
	for _, bad := range []string{`{"id":1.5}`, `{"id":"x1"}`, `{"events":[1]}`, `{"events":{}}`} {
		if err := json.Unmarshal([]byte(bad), &w); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
	}
}

func TestFieldErrorsShapes(t *testing.T) {
	t.Parallel()
	// An unusable field_validation_errors does not lose the code and message.
	e := newAPIError("webhook/add", 400, []byte(`{"data":{"error":"denied","error_code":"`+CodePermissionDenied+`","field_validation_errors":"url"}}`), nil)
	if e.Code != CodePermissionDenied || e.Message != "denied" || len(e.FieldErrors) != 0 {
		t.Errorf("APIError = %+v", e)
	}
}
