package main

import (
	"context"
	"errors"
	"fmt"

	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relaykit/smtp2go"
)

// Variables NewClientFromGetenv reads.
const (
	envAPIKey  = "SMTP2GO_API_KEY"
	envBaseURL = "SMTP2GO_BASE_URL"
)

// apiSettings are the flags every command takes on how to reach the API.
type apiSettings struct {
	keyFile, region, baseURL string
	timeout                  time.Duration
}

func (a *apiSettings) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.keyFile, "api-key-file", "", "read the API key from `FILE` instead of $SMTP2GO_API_KEY")
	fs.StringVar(&a.region, "region", "", "API `REGION`: global, us, eu or au (default $SMTP2GO_REGION, else global; either flag replaces both variables)")
	fs.StringVar(&a.baseURL, "base-url", "", "API base `URL`, with or without /v3/, such as the fake's (default $SMTP2GO_BASE_URL; wins over --region)")
	// A minute covers an apply of many webhooks and a few retries, and
	// gives up on an API that never answers well before its attempts' 30 s.
	fs.DurationVar(&a.timeout, "timeout", time.Minute, "give up after `DURATION` (such as 30s or 2m) on the command's API calls, retries included; 0 for no limit")
}

// call is a command's client, and its context bounded by --timeout.
type call struct {
	ctx    context.Context
	client *smtp2go.Client
}

// withCall runs f with the client and cmd's context bounded by --timeout,
// and says so when --timeout ran out.
func (a *app) withCall(cmd *cobra.Command, f func(*call) error) error {
	ctx, d := cmd.Context(), a.global.timeout
	if d < 0 {
		return usagef("--timeout must not be negative, got %s", d)
	}
	client, err := a.global.client(a.env)
	if err != nil {
		return err
	}
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	err = f(&call{ctx: ctx, client: client})
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return withHint(fmt.Errorf("gave up after --timeout %s: %w", d, err), "Raise --timeout, or make it 0 for no limit.")
	}
	return err
}

// key returns the API key: from --api-key-file, checked by the SDK's own
// rule for a key (NewClient's), or from the environment, which
// NewClientFromGetenv checks.
func (a *apiSettings) key(e *env) (string, error) {
	if a.keyFile == "" {
		key := e.getenv(envAPIKey)
		if key == "" {
			return "", withHint(usagef("no API key"), "Set "+envAPIKey+" or pass --api-key-file FILE.")
		}
		return key, nil
	}
	b, err := os.ReadFile(a.keyFile)
	if err != nil {
		return "", usagef("--api-key-file: %v", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", usagef("--api-key-file: %s is empty", a.keyFile)
	}
	var ve *smtp2go.ValidationError
	if _, err := smtp2go.NewClient(key); errors.As(err, &ve) {
		return "", invalidf("--api-key-file: %s", ve.Problem)
	}
	return key, nil
}

// client returns a client made by the SDK's rule, NewClientFromGetenv, with
// the key from key() and --region and --base-url as options, which replace
// both variables; its errors name the flag or variable at fault.
func (a *apiSettings) client(e *env) (*smtp2go.Client, error) {
	key, err := a.key(e)
	if err != nil {
		return nil, err
	}
	opts := []smtp2go.Option{smtp2go.WithUserAgent("smtp2go-webhooks/" + smtp2go.Version)}
	if a.region != "" {
		opts = append(opts, named("--region", smtp2go.WithRegion(smtp2go.Region(strings.ToLower(a.region)))))
	}
	if a.baseURL != "" {
		opts = append(opts, named("--base-url", smtp2go.WithBaseURL(strings.TrimSpace(a.baseURL))))
	}
	getenv := func(name string) string {
		if name == envAPIKey {
			return key
		}
		return e.getenv(name)
	}
	c, err := smtp2go.NewClientFromGetenv(getenv, append(opts, e.apiOptions...)...)
	var ve *smtp2go.ValidationError
	var ce *cliError
	if errors.As(err, &ve) && !errors.As(err, &ce) {
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
