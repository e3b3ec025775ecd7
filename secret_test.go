package smtp2go_test

import (
	"context"
	"testing"

	"github.com/relaykit/smtp2go"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"https://example.com/hook", "https://example.com/hook"},
		{"https://user:pw-secret@example.com/h", "https://user:[redacted]@example.com/h"},
		{"https://tok123456@example.com/h", "https://[redacted]@example.com/h"},        // a user name alone is a token
		{"https://:pw-secret@example.com/h", "https://:[redacted]@example.com/h"},      // a password alone
		{"https://example.com/h?key=q-secret", "https://example.com/h?key=[redacted]"}, // a value
		{"https://example.com/h?s3cretvalue", "https://example.com/h?[redacted]"},      // a key alone is a token
		{"https://example.com/h?b=2&s3cret&a=", "https://example.com/h?b=[redacted]&[redacted]&a=[redacted]"},
		{"://no scheme", "[unparsable URL]"},
		// Without a scheme: url.Parse refuses the first, and reads the
		// others' "user" or "h" as a scheme, leaving the password in plain view.
		{"127.0.0.1:8025", "127.0.0.1:8025"},
		{"user:pw-secret@127.0.0.1:8025/v3/", "user:[redacted]@127.0.0.1:8025/v3/"},
		{"user:pw-secret@host:notaport", "user:[redacted]@host:notaport"},
		{"h:8025?key=q-secret", "h:8025?key=[redacted]"},
	} {
		if got := smtp2go.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestErrorsHoldNoURLTokenWithoutItsName(t *testing.T) {
	t.Parallel()
	// Secrets a URL carries with no name beside them: a user name without
	// a password, a query key without a value. SMTP2GO echoes the URL.
	const user, key = "tok-user-7777", "s3cret-key-8888"
	for _, hookURL := range []string{"https://" + user + "@example.com/h", "https://example.com/h?" + key} {
		api := newMockAPI(t)
		api.on("webhook/add", raw(400, "application/json", `{"data":{"error":"invalid url `+hookURL+`","error_code":"E_ApiResponseCodes.INVALID_IN_PAYLOAD"}}`, nil))
		_, err := api.client().Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: hookURL})
		if err == nil {
			t.Fatal("want an error")
		}
		noSecrets(t, "error", err.Error(), user, key)
	}
}
