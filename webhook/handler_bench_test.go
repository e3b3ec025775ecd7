package webhook

import (
	"context"
	"crypto/subtle"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/relaykit/smtp2go/internal/deliverbench"
)

// benchDeliver serves b.N deliveries to h in this goroutine, each a new event
// with basic credentials, to a bare recorder: the handler's own cost,
// without a network. Beside the time, it reports the CPU time of the
// process per delivery (the collector's included), which other load on the
// machine touches less.
func benchDeliver(b *testing.B, h http.Handler) {
	b.ReportAllocs()
	var n int64
	cpu := processCPUTime()
	for b.Loop() {
		n++
		r, err := http.NewRequest(http.MethodPost, "/smtp2go", strings.NewReader(deliverbench.Body(n)))
		if err != nil {
			b.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(deliverbench.User, deliverbench.Pass)
		w := &benchRecorder{header: http.Header{}}
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("delivery %d: status %d", n, w.status)
		}
	}
	b.ReportMetric(float64(processCPUTime()-cpu)/float64(n), "cpu-ns/op")
}

// benchRecorder is the least a ResponseWriter can be, so that the benchmarks
// measure the handlers rather than the recorder.
type benchRecorder struct {
	header http.Header
	status int
}

func (w *benchRecorder) Header() http.Header { return w.header }
func (w *benchRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *benchRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// BenchmarkHandler is the handler as deployed: basic auth, the default
// MemoryDeduplicator, a fresh event each time, so that every delivery claims,
// calls back and completes.
func BenchmarkHandler(b *testing.B) {
	benchDeliver(b, NewHandler(func(context.Context, *Event) error { return nil },
		WithBasicAuth(deliverbench.User, deliverbench.Pass)))
}

// BenchmarkHandlerObserved is BenchmarkHandler with an observer that does
// nothing: the price of the hook itself.
func BenchmarkHandlerObserved(b *testing.B) {
	benchDeliver(b, NewHandler(func(context.Context, *Event) error { return nil },
		WithBasicAuth(deliverbench.User, deliverbench.Pass),
		WithObserver(func(context.Context, Delivery) {})))
}

// BenchmarkHandlerBare is the least a receiver does: check the same basic
// credentials, read the body and parse it with url.ParseQuery.
func BenchmarkHandlerBare(b *testing.B) {
	user, pass := []byte(deliverbench.User), []byte(deliverbench.Pass)
	benchDeliver(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), user)&subtle.ConstantTimeCompare([]byte(p), pass) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if _, err := url.ParseQuery(string(body)); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
}

// benchSenders is how many deliveries the loopback benchmarks keep in flight.
const benchSenders = 16

// BenchmarkHandlerLoopback is BenchmarkHandler served over loopback HTTP to
// several senders at once, as SMTP2GO loads a receiver.
func BenchmarkHandlerLoopback(b *testing.B) {
	h := NewHandler(func(context.Context, *Event) error { return nil }, WithBasicAuth(deliverbench.User, deliverbench.Pass))
	deliverbench.Run(b, h, benchSenders)
}

// BenchmarkHandlerLoopbackBaseline is a bare handler that reads the body and
// answers 200, driven the same way.
func BenchmarkHandlerLoopbackBaseline(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(200)
	})
	deliverbench.Run(b, h, benchSenders)
}
