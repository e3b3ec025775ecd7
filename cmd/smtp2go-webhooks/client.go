package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/relaykit/smtp2go"
)

// Environment variables the CLI reads, as the SDK's NewClientFromEnv does.
const (
	envAPIKey  = smtp2go.APIKeyEnv  // SMTP2GO_API_KEY
	envRegion  = smtp2go.RegionEnv  // SMTP2GO_REGION
	envBaseURL = smtp2go.BaseURLEnv // SMTP2GO_BASE_URL
)

// defaultTimeout bounds a command's API calls, retries included, unless
// --timeout says otherwise: long enough for an apply of many webhooks and
// a few retries, short enough that an API that accepts connections and never
// answers is given up on in a minute, not after every attempt's own 30 s.
const defaultTimeout = time.Minute

// apiSettings are the flags, taken by every command, that say how to reach
// SMTP2GO's API.
type apiSettings struct {
	keyFile string
	region  string
	baseURL string
	timeout timeoutFlag
}

func (a *apiSettings) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.keyFile, "api-key-file", "", "read the API key from `FILE` instead of $"+envAPIKey)
	fs.StringVar(&a.region, "region", "", "API `REGION`: global, us, eu or au (default $"+envRegion+", else global; either flag replaces both variables)")
	fs.StringVar(&a.baseURL, "base-url", "", "API base `URL`, with or without /v3/, such as the fake's (default $"+envBaseURL+"; wins over --region)")
	a.timeout = timeoutFlag(defaultTimeout)
	fs.Var(&a.timeout, "timeout", "give up after `DURATION` (such as 30s or 2m) on the command's API calls, retries included; 0 for no limit")
}

// timeoutFlag is --timeout: a duration, not negative.
type timeoutFlag time.Duration

func (f *timeoutFlag) String() string { return time.Duration(*f).String() }
func (f *timeoutFlag) Type() string   { return "duration" }

func (f *timeoutFlag) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return fmt.Errorf("want a duration such as 30s or 2m, got %q", s)
	case d < 0:
		return fmt.Errorf("must not be negative, got %s", d)
	}
	*f = timeoutFlag(d)
	return nil
}

// bound limits ctx by --timeout, from now on. The command defers finish
// with its error: it stops the clock and, when --timeout ran out, says so.
func (a *apiSettings) bound(ctx context.Context) (context.Context, func(*error)) {
	d := time.Duration(a.timeout)
	if d == 0 {
		return ctx, func(*error) {}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d, errTimeout)
	return ctx, func(err *error) {
		if *err != nil && errors.Is(*err, context.DeadlineExceeded) && context.Cause(ctx) == errTimeout {
			*err = withHint(&timeoutError{d: d, err: *err}, "Raise --timeout, or make it 0 for no limit.")
		}
		cancel()
	}
}

// errTimeout is the cause of a context that --timeout ended, which errors
// may wrap (net/http does) rather than ctx.Err(). It is a deadline error.
var errTimeout error = timeoutCause{}

type timeoutCause struct{}

func (timeoutCause) Error() string        { return context.DeadlineExceeded.Error() }
func (timeoutCause) Is(target error) bool { return target == context.DeadlineExceeded }

// timeoutError is the error of a command that --timeout stopped: err, why
// its last call failed, and what the limit was.
type timeoutError struct {
	d   time.Duration
	err error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("gave up after --timeout %s: %v", e.d, e.err)
}

func (e *timeoutError) Unwrap() error { return e.err }

// setting is a value the user set, and where: a flag or a variable.
type setting struct {
	where, value string
}

// key returns the API key, from --api-key-file or the environment, with
// where it was read.
func (a *apiSettings) key(e *env) (setting, error) {
	if a.keyFile == "" {
		if v := e.getenv(envAPIKey); v != "" {
			return setting{envAPIKey, v}, nil
		}
		return setting{}, withHint(usagef("no API key"), "Set "+envAPIKey+" or pass --api-key-file FILE.")
	}
	b, err := os.ReadFile(a.keyFile)
	if err != nil {
		return setting{}, usagef("--api-key-file: %v", err)
	}
	return setting{"--api-key-file", strings.TrimSpace(string(b))}, nil
}

// client returns an SDK client configured from the flags and environment,
// by the SDK's own rule (NewClientFromGetenv): the environment as the
// command was given it, the key from --api-key-file when set, and --region
// and --base-url as options, which replace both variables. Its errors name
// the flag or variable at fault.
func (a *apiSettings) client(e *env) (*smtp2go.Client, error) {
	key, err := a.key(e)
	if err != nil {
		return nil, err
	}
	getenv := func(name string) string {
		if name == envAPIKey {
			return key.value
		}
		return e.getenv(name)
	}
	opts := []smtp2go.Option{smtp2go.WithUserAgent("smtp2go-webhooks/" + smtp2go.Version)}
	if a.region != "" {
		opts = append(opts, named("--region", smtp2go.WithRegion(smtp2go.Region(strings.ToLower(a.region)))))
	}
	if base := strings.TrimSpace(a.baseURL); base != "" {
		if err := schemeMissing(setting{"--base-url", base}); err != nil {
			return nil, err
		}
		opts = append(opts, named("--base-url", smtp2go.WithBaseURL(base)))
	}
	c, err := smtp2go.NewClientFromGetenv(getenv, append(opts, e.apiOptions...)...)
	var ve *smtp2go.ValidationError
	var ce *cliError
	if errors.As(err, &ve) && !errors.As(err, &ce) {
		switch ve.Field {
		case smtp2go.APIKeyEnv:
			return nil, invalidf("%s: %s", key.where, ve.Problem)
		case smtp2go.BaseURLEnv:
			if err := schemeMissing(setting{envBaseURL, strings.TrimSpace(e.getenv(envBaseURL))}); err != nil {
				return nil, err
			}
		}
		return nil, invalidf("%s: %s", ve.Field, ve.Problem)
	}
	return c, err
}

// named makes the refusal of opt name where its value was set.
func named(where string, opt smtp2go.Option) smtp2go.Option {
	return func(c *smtp2go.Client) error {
		err := opt(c)
		var ve *smtp2go.ValidationError
		if errors.As(err, &ve) {
			return &cliError{kind: kindValidation, msg: where + ": " + ve.Problem, err: err}
		}
		return err
	}
}

// schemeMissing says so when base, a base URL, lacks http:// or https://,
// as "127.0.0.1:8025" often does, and suggests the URL meant: http for a
// host of this machine, https for others. Like every URL the CLI prints,
// base is shown through RedactURL; the suggestion is made only of what is
// no secret (a base URL with user info or a query is refused anyway).
func schemeMissing(base setting) error {
	if strings.Contains(base.value, "://") {
		return nil // the SDK checks the rest
	}
	msg := fmt.Sprintf("%s: %q is missing http:// or https://", base.where, smtp2go.RedactURL(base.value))
	lower := strings.ToLower(base.value)
	u, err := url.Parse("//" + base.value)
	if err == nil && u.Hostname() != "" && u.User == nil && u.RawQuery == "" && u.Fragment == "" &&
		!strings.HasPrefix(lower, "http:") && !strings.HasPrefix(lower, "https:") {
		scheme := "https"
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			scheme = "http"
		}
		return withHint(invalidf("%s", msg), fmt.Sprintf("Did you mean %q?", scheme+"://"+u.Host+u.EscapedPath()))
	}
	return invalidf("%s", msg)
}
