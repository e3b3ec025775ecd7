package pgdedup

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

// TestDocShowsCreateSQL: the SQL the package doc gives migration tools is
// the SQL CreateTable runs (whose names are quoted: the default's need not
// be).
func TestDocShowsCreateSQL(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var shown strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(New(nil).sql.create, `"`, ""), "\n") {
		shown.WriteString("//\t" + line + "\n")
	}
	if !strings.Contains(string(doc), shown.String()) {
		t.Errorf("doc.go does not show the SQL CreateTable runs:\n%s", shown.String())
	}
}

func TestOptionDefaults(t *testing.T) {
	t.Parallel()
	s := New(nil, WithTable(""), WithTTL(0), WithTTL(-time.Second))
	if s.name != DefaultTable || s.ttl != webhook.DefaultDedupTTL || s.err != nil {
		t.Errorf("name, ttl, err = %q, %v, %v; want the defaults", s.name, s.ttl, s.err)
	}
}

func TestMicroseconds(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int64{
		0: 1, time.Nanosecond: 1, time.Microsecond: 1, time.Microsecond + 1: 2, webhook.DefaultLease: 60_000_000,
	} {
		if got := microseconds(d); got != want {
			t.Errorf("microseconds(%v) = %d, want %d", d, got, want)
		}
	}
}
