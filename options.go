package smtp2go

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Option configures a [Client]. Options are applied in order by [NewClient]
// and [NewClientFromEnv]; an invalid value makes them return an error
// instead of panicking.
type Option func(*Client) error

// WithBaseURL points the client at another API base URL, such as a test
// server. It must be an absolute http or https URL without user info; a
// trailing "/" is added if missing, and a URL without a path gets "/v3/",
// where SMTP2GO's API lives ("http://127.0.0.1:8025" is
// "http://127.0.0.1:8025/v3/"; a path such as a proxy's is kept as given).
// It wins over [WithRegion], whichever comes first.
func WithBaseURL(u string) Option {
	return func(c *Client) error {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			return invalid("base URL", "must be an absolute http or https URL, got %q", RedactURL(u))
		}
		if parsed.User != nil {
			return invalid("base URL", "must not carry user info; the API key authenticates")
		}
		if parsed.RawQuery != "" || parsed.Fragment != "" {
			return invalid("base URL", "must not have a query or fragment")
		}
		switch {
		case parsed.Path == "" || parsed.Path == "/":
			parsed.Path = apiPath
		case !strings.HasSuffix(parsed.Path, "/"):
			parsed.Path += "/"
		}
		c.explicitBase = parsed
		return nil
	}
}

// WithRegion selects a regional API endpoint. The default is RegionGlobal,
// which SMTP2GO routes to the nearest region.
func WithRegion(r Region) Option {
	return func(c *Client) error {
		if r.baseURL() == "" {
			return invalid("region", "unknown region %q (want global, us, eu or au)", string(r))
		}
		c.region = r
		return nil
	}
}

// WithHTTPClient sends every attempt through hc's Transport (read at each
// request, so a transport swapped in later, as httpmock does, is used). hc
// itself is never replaced or modified; the SDK's retries and per-attempt
// timeout wrap it. If hc has a Timeout shorter than the SDK's, it applies.
// Its Jar and CheckRedirect are not used: the API sets no cookies, and the
// SDK follows no redirect, so that the API key goes nowhere else. A nil hc
// is an error wrapping [ErrInvalidRequest].
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return invalid("http client", "nil *http.Client")
		}
		c.userHTTP = hc
		return nil
	}
}

// WithRetryMax sets how many times a failed request is retried after the first
// attempt. 0 disables retries. The default is 3.
func WithRetryMax(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return invalid("retry max", "must not be negative, got %d", n)
		}
		c.retryMax = n
		return nil
	}
}

// WithRetryWait sets the shortest and longest wait between attempts. Waits grow
// exponentially from min (min, 2·min, 4·min…), each with up to as much again
// added at random, and never exceed max, not even when the server asks for
// more with Retry-After. A min of 0 retries at once, but for a Retry-After,
// which is then honoured up to max. Defaults: 500ms and 10s.
func WithRetryWait(min, max time.Duration) Option {
	return func(c *Client) error {
		if min < 0 || max < min {
			return invalid("retry wait", "want 0 <= min <= max, got min %s, max %s", min, max)
		}
		c.retryWaitMin, c.retryWaitMax = min, max
		return nil
	}
}

// WithTimeout bounds each attempt, from sending the request to reading the
// whole response. The default is 30s. The context given to each call bounds
// the call as a whole, retries and waits included.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return invalid("timeout", "must be positive, got %s", d)
		}
		c.timeout = d
		return nil
	}
}

// WithUserAgent appends ua to the SDK's own User-Agent, "smtp2go-go/<version>",
// so SMTP2GO's logs show which program made the request.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if strings.IndexFunc(ua, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return invalid("user agent", "must not contain control characters or line breaks")
		}
		if ua = strings.TrimSpace(ua); ua != "" {
			c.userAgent = fmt.Sprintf("%s %s", defaultUserAgent, ua)
		}
		return nil
	}
}

// WithLogger makes the client log each attempt (method, endpoint, status or
// error, duration): at debug level, or at warn level for a 429, a 5xx or no
// response. The API key and the request's secrets are never logged. By
// default the client logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		c.logger = l
		return nil
	}
}
