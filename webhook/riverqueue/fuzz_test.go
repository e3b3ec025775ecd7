package riverqueue_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/riverqueue"
)

// FuzzEventArgsJSON: every event the parser returns round-trips through the
// job's JSON exactly, and that JSON is one PostgreSQL's jsonb accepts (no
// string holding NUL; encoding/json writes valid UTF-8 only).
func FuzzEventArgsJSON(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/events/*")
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.HasSuffix(p, ".json"), body)
	}
	f.Add(false, []byte("event=open&id=0e&time=9999-12-31T23%3A59%3A59-05%3A00&subject=a%00%FF"))
	f.Fuzz(func(t *testing.T, isJSON bool, body []byte) {
		ct := "application/x-www-form-urlencoded"
		if isJSON {
			ct = "application/json"
		}
		ev, err := webhook.ParseBody(ct, body)
		if err != nil {
			return
		}
		raw, err := json.Marshal(riverqueue.EventArgs{Key: ev.DedupKey(), Event: *ev})
		if err != nil {
			t.Fatalf("encoding: %v", err)
		}
		var tree any
		if err := json.Unmarshal(raw, &tree); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if s, ok := stringWithNUL(tree); ok {
			t.Fatalf("the JSON holds a string with NUL, which jsonb refuses: %q", s)
		}
		var back riverqueue.EventArgs
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatalf("decoding: %v", err)
		}
		if !reflect.DeepEqual(back.Event, *ev) {
			t.Fatalf("round trip\n got %#v\nwant %#v", back.Event, *ev)
		}
	})
}

// stringWithNUL finds a key or string value in a decoded JSON tree that
// holds NUL.
func stringWithNUL(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, strings.ContainsRune(v, 0)
	case []any:
		for _, e := range v {
			if s, ok := stringWithNUL(e); ok {
				return s, true
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.ContainsRune(k, 0) {
				return k, true
			}
			if s, ok := stringWithNUL(e); ok {
				return s, true
			}
		}
	}
	return "", false
}
