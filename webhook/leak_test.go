package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/relaykit/smtp2go/internal/testwait"
	"go.uber.org/goleak"
)

// TestHandlerLeavesNoGoroutines drives the handler through success,
// duplicates waiting while the first is in its callback, failures and panics,
// then closes the server and checks that nothing is left running.
func TestHandlerLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	release, entered := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	h := NewHandler(func(_ context.Context, ev *Event) error {
		switch calls.Add(1) {
		case 1:
			close(entered)
			<-release // hold the first delivery while its duplicates wait
		case 2:
			return errors.New("fails once")
		case 3:
			panic("callback panic")
		}
		return nil
	}, WithBearerToken("tok")).(*handler)
	waiting := make(chan struct{}, 3)
	h.onWait = func() { waiting <- struct{}{} }
	srv := httptest.NewServer(h)
	defer srv.Close()
	free := sync.OnceFunc(func() { close(release) })
	defer free() // before srv.Close, which waits for the held delivery, if the test fails early
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport}
	post := func(id string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("event=delivered&id="+id))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := hc.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	statuses := make(chan int, 4)
	go func() { statuses <- post("held") }()
	testwait.Receive(t, entered, "the first delivery's callback")
	for range 3 {
		go func() { statuses <- post("held") }()
	}
	for range 3 {
		testwait.Receive(t, waiting, "a duplicate to wait for the first")
	}
	free()
	for range 4 {
		if s := testwait.Receive(t, statuses, "an answer"); s != http.StatusOK {
			t.Errorf("held delivery or duplicate answered %d", s)
		}
	}
	if s := post("fails"); s != http.StatusInternalServerError {
		t.Errorf("failing callback answered %d", s)
	}
	if s := post("panics"); s != http.StatusInternalServerError {
		t.Errorf("panicking callback answered %d", s)
	}
	if s := post("fails"); s != http.StatusOK {
		t.Errorf("redelivery answered %d", s)
	}
}
