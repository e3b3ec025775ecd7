// Package deliverbench drives a webhook receiver the way SMTP2GO loads it,
// for benchmarks: form deliveries with basic auth, each a fresh event, POSTed
// over loopback HTTP by several senders at once. Every handler benchmark and
// its baseline run through it, so that their ratio compares the handlers
// alone.
package deliverbench

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// User and Pass are the basic credentials every delivery carries.
const (
	User = "smtp2go"
	Pass = "deliverbench-password"
)

// Run serves h on a loopback server and has senders goroutines POST b.N
// deliveries to it in all, each a new event, failing b on any answer but
// 200.
func Run(b *testing.B, h http.Handler, senders int) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	transport := &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport}
	var seq atomic.Int64
	b.ReportAllocs()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((senders + procs - 1) / procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(Body(seq.Add(1))))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(User, Pass)
			res, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

// Body is a form delivery of a delivered event with ID n, shaped like a live
// capture of one SMTP2GO sent.
func Body(n int64) string {
	return fmt.Sprintf("Message-Id=%%3CE1abc-0001%%40message-id.example%%3E&Subject=Order+4711+shipped&auth=api-EXAMPLE"+
		"&email_id=1abc-0001&event=delivered&from=shop%%40example.com&from_address=shop%%40example.com&from_name="+
		"&host=mx.example.org+%%5B192.0.2.7%%5D&id=%032x&context=Unavailable&message=250+2.0.0+Ok%%3A+queued"+
		"&message-id=%%3CE1abc-0001%%40message-id.example%%3E&rcpt=jane%%40example.org&sender=shop%%40example.com"+
		"&sendtime=2026-03-24T08%%3A23%%3A19.052765%%2B00%%3A00&subject=Order+4711+shipped&time=2026-03-24T08%%3A23%%3A19Z", n)
}
