package smtp2gotest_test

import (
	"errors"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/internal/testwait"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

func TestFaultAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       smtp2gotest.Fault
		status      int
		contentType string
		body        string // exact body; "" means SMTP2GO's error shape, checked below
		code        string
		retryAfter  string
	}{
		{"503", smtp2gotest.Fault{Status: 503}, 503, "application/json", "", "E_ApiResponseCodes.API_EXCEPTION", ""},
		{"429 with Retry-After", smtp2gotest.Fault{Status: 429, RetryAfter: "2"}, 429, "application/json", "", "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED", "2"},
		{"unnamed status", smtp2gotest.Fault{Status: 599}, 599, "application/json", "", "E_ApiResponseCodes.API_EXCEPTION", ""},
		{"error shape with content type", smtp2gotest.Fault{Status: 500, ContentType: "text/plain"}, 500, "text/plain", "", "E_ApiResponseCodes.API_EXCEPTION", ""},
		{"HTML from a proxy", smtp2gotest.Fault{Status: 502, Body: "<html>502 Bad Gateway</html>"}, 502, "text/html; charset=utf-8", "<html>502 Bad Gateway</html>", "", ""},
		{"body with content type", smtp2gotest.Fault{Status: 500, Body: "oops", ContentType: "text/x-oops"}, 500, "text/x-oops", "oops", "", ""},
		{"malformed JSON with 200", smtp2gotest.Fault{Body: `{"request_id":"x","data":[`, ContentType: "application/json"}, 200, "application/json", `{"request_id":"x","data":[`, "", ""},
		{"empty body", smtp2gotest.Fault{Status: 503, EmptyBody: true}, 503, "", "", "", ""},
		{"empty 200 JSON", smtp2gotest.Fault{EmptyBody: true, ContentType: "application/json"}, 200, "application/json", "", "", ""},
		{"Retry-After on a real answer", smtp2gotest.Fault{RetryAfter: "1"}, 200, "application/json", "", "", "1"},
		{"short delay, then the real answer", smtp2gotest.Fault{Delay: time.Millisecond}, 200, "application/json", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t)
			srv.Fail("webhook/view", tt.fault)
			r := post(t, srv, "webhook/view", `{}`)
			wantStatus(t, r, tt.status)
			if got := r.Header.Get("Content-Type"); got != tt.contentType && !(tt.contentType == "" && strings.HasPrefix(got, "text/plain")) {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := r.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			switch {
			case tt.fault.EmptyBody:
				if len(r.Raw) != 0 {
					t.Errorf("body = %q, want none", r.Raw)
				}
			case tt.body != "":
				if string(r.Raw) != tt.body {
					t.Errorf("body = %q, want %q", r.Raw, tt.body)
				}
			case tt.code != "":
				if e := r.errorData(t); e.Code != tt.code || !uuidV4.MatchString(r.RequestID) {
					t.Errorf("error body %s, want code %s", r.Raw, tt.code)
				}
			default:
				if string(r.Data) != `[]` {
					t.Errorf("real answer: %s", r.Raw)
				}
			}
			// The fault was used up: the next request is answered normally.
			wantStatus(t, post(t, srv, "webhook/view", `{}`), 200)
			if reqs := srv.Requests(); reqs[0].Fault == nil || reqs[0].Status != tt.status || reqs[1].Fault != nil {
				t.Errorf("recorded %+v", reqs)
			}
		})
	}
}

func TestFaultQueue(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.Fail("webhook/view", smtp2gotest.Fault{Status: 503, Times: 2})
	srv.Fail("/v3/webhook/view", smtp2gotest.Fault{Status: 500})
	srv.Fail("webhook/add", smtp2gotest.Fault{Status: 502})
	srv.Fail("", smtp2gotest.Fault{Status: 504})
	srv.Fail("*", smtp2gotest.Fault{Status: 429})

	steps := []struct {
		endpoint string
		want     int
	}{
		{"webhook/view", 503}, // the oldest fault for view, twice
		{"webhook/view", 503},
		{"webhook/edit", 504},   // the first fault for any endpoint
		{"webhook/view", 500},   // the next one for view
		{"webhook/view", 429},   // any endpoint
		{"webhook/view", 200},   // nothing left for view
		{"webhook/add", 502},    // the add fault waited for an add
		{"webhook/remove", 400}, // a real answer (no id)
	}
	for i, s := range steps {
		if r := post(t, srv, s.endpoint, `{}`); r.Status != s.want {
			t.Fatalf("step %d: %s answered %d, want %d", i, s.endpoint, r.Status, s.want)
		}
	}
}

func TestClearFaults(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.Fail("", smtp2gotest.Fault{Status: 503, Times: 10})
	wantStatus(t, post(t, srv, "webhook/view", `{}`), 503)
	srv.ClearFaults()
	wantStatus(t, post(t, srv, "webhook/view", `{}`), 200)
}

func TestFaultBeforeAuthentication(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.Fail("webhook/view", smtp2gotest.Fault{Status: 502, Body: "<html>bad gateway</html>"})
	// A proxy answers before SMTP2GO sees the key.
	wantStatus(t, send(t, http.MethodPost, srv.URL+"webhook/view", `{}`, nil), 502)
}

func TestFaultAfterProcessing(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(t)
	srv.Fail("webhook/add", smtp2gotest.Fault{Status: 503, AfterProcessing: true})
	wantStatus(t, post(t, srv, "webhook/add", `{"url":"https://example.com/a"}`), 503)
	if got := srv.Webhooks(); len(got) != 1 || got[0].URL != "https://example.com/a" {
		t.Errorf("webhooks = %v, want the one created before the 503", got)
	}
}

func TestFaultDrops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   smtp2gotest.Fault
		created bool
	}{
		{"before processing", smtp2gotest.Fault{DropBeforeProcessing: true}, false},
		{"after processing", smtp2gotest.Fault{DropAfterProcessing: true}, true},
		{"after processing and a delay", smtp2gotest.Fault{DropAfterProcessing: true, Delay: time.Millisecond}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtp2gotest.NewServer(t)
			srv.Fail("webhook/add", tt.fault)
			resp, err := http.Post(srv.URL+"webhook/add", "application/json",
				strings.NewReader(`{"api_key":"`+srv.APIKey+`","url":"https://example.com/a"}`))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got an answer (%s), want the connection dropped", resp.Status)
			}
			if got := len(srv.Webhooks()); got != map[bool]int{true: 1}[tt.created] {
				t.Errorf("%d webhooks after the drop, created = %v", got, tt.created)
			}
			if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Status != 0 || reqs[0].Fault == nil {
				t.Errorf("recorded %+v, want one request with status 0", reqs)
			}
		})
	}
}

func TestFaultDelayPastClientTimeout(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(nil)
	// An hour-long delay: if the timeout or Close waited for it, the test
	// would hang.
	srv.Fail("webhook/view", smtp2gotest.Fault{Delay: time.Hour})
	client := &http.Client{Timeout: 50 * time.Millisecond}
	resp, err := client.Post(srv.URL+"webhook/view", "application/json", strings.NewReader(`{"api_key":"`+srv.APIKey+`"}`))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %s, want a timeout", resp.Status)
	}
	var netErr interface{ Timeout() bool }
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
	srv.Close()
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Status != 0 {
		t.Errorf("recorded %+v, want one abandoned request", reqs)
	}
}

func TestCloseEndsDelay(t *testing.T) {
	t.Parallel()
	srv := smtp2gotest.NewServer(nil)
	srv.Fail("", smtp2gotest.Fault{Delay: time.Hour}) // a Close that waited for it would not return in time
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"webhook/view", strings.NewReader(`{}`))
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	testwait.Receive(t, wrote, "the request to be sent")
	srv.Close()
	if err := testwait.Receive(t, done, "the request to end after Close"); err == nil {
		t.Error("the delayed request got an answer after Close")
	}
}
