package smtp2go

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestEnsureTakesTurnsPerURL: two Ensures of one client for one URL never
// both add. The first add is held until the second Ensure waits for the
// first; without the per-URL lock the second lists, finds nothing and adds
// too, and the held add gives up waiting and fails the test.
func TestEnsureTakesTurnsPerURL(t *testing.T) {
	t.Parallel()
	waited := make(chan struct{})
	var (
		mu    sync.Mutex
		added bool
		adds  atomic.Int32
	)
	answer := func(r *http.Request, body string) *http.Response {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}
	}
	const hook = `{"id":7,"url":"https://example.com/h","events":["delivered"],"output_format":"json"}`
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/webhook/view"):
			mu.Lock()
			defer mu.Unlock()
			if added {
				return answer(r, `{"request_id":"v","data":[`+hook+`]}`), nil
			}
			return answer(r, `{"request_id":"v","data":[]}`), nil
		case strings.HasSuffix(r.URL.Path, "/webhook/add"):
			if adds.Add(1) == 1 {
				select {
				case <-waited:
				case <-time.After(10 * time.Second):
					t.Error("the second Ensure never waited for the first: both listed before the add")
				}
			}
			mu.Lock()
			added = true
			mu.Unlock()
			return answer(r, `{"request_id":"a","data":`+hook+`}`), nil
		}
		return answer(r, `{"request_id":"x","data":{}}`), nil
	})
	c, err := NewClient("api-0123456789ABCDEF0123456789ABCDEF", WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		t.Fatal(err)
	}
	c.Webhooks.onEnsureWait = func() { close(waited) }
	req := &AddWebhookRequest{URL: "https://example.com/h", Events: []EventType{EventDelivered}, OutputFormat: OutputJSON}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Webhooks.Ensure(context.Background(), req); err != nil {
				t.Errorf("Ensure: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := adds.Load(); n != 1 {
		t.Errorf("%d adds for one URL from one client, want 1", n)
	}
}
