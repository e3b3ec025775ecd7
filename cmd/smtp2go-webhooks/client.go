package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/relaykit/smtp2go"
)

// Environment variables the CLI reads, as the SDK's NewClientFromEnv does.
const (
	envAPIKey  = smtp2go.APIKeyEnv  // SMTP2GO_API_KEY
	envRegion  = smtp2go.RegionEnv  // SMTP2GO_REGION
	envBaseURL = smtp2go.BaseURLEnv // SMTP2GO_BASE_URL
)

// apiFlags are the flags of every command that calls SMTP2GO's API.
type apiFlags struct {
	keyFile    string
	region     string
	baseURL    string
	subaccount string
	output     *enumFlag
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.keyFile, "api-key-file", "", "read the API key from `FILE` instead of $"+envAPIKey)
	fs.StringVar(&a.region, "region", "", "API `REGION`: global, us, eu or au (default $"+envRegion+", else global; either flag replaces both variables)")
	fs.StringVar(&a.baseURL, "base-url", "", "API base `URL`, with or without /v3/, such as the fake's (default $"+envBaseURL+"; wins over --region)")
	fs.StringVar(&a.subaccount, "subaccount", "", "act for this subaccount `ID`")
	a.output = outputFlag(fs)
}

func (a *apiFlags) json() bool { return a.output.value == "json" }

// setting is a value the user set, and where: a flag or a variable.
type setting struct {
	where, value string
}

// where returns the region and the base URL to send to, each with where it
// was set, by NewClientFromEnv's rule: explicit settings win over the
// environment, so --region or --base-url, if either is given, replaces both
// variables; and a blank variable is unset. (The CLI cannot call
// NewClientFromEnv itself: it reads the environment through env, and the
// key may come from --api-key-file.) With both set, the base URL wins, as
// in the SDK.
func (a *apiFlags) where(e *env) (region, base setting) {
	if a.region != "" || a.baseURL != "" {
		return setting{"--region", a.region}, setting{"--base-url", strings.TrimSpace(a.baseURL)}
	}
	return setting{envRegion, strings.TrimSpace(e.getenv(envRegion))}, setting{envBaseURL, strings.TrimSpace(e.getenv(envBaseURL))}
}

// client returns an SDK client configured from the flags and environment.
// Its errors name the flag or variable at fault.
func (a *apiFlags) client(e *env) (*smtp2go.Client, error) {
	key := setting{envAPIKey, e.getenv(envAPIKey)}
	if a.keyFile != "" {
		b, err := os.ReadFile(a.keyFile)
		if err != nil {
			return nil, usagef("--api-key-file: %v", err)
		}
		key = setting{"--api-key-file", strings.TrimSpace(string(b))}
	}
	if key.value == "" {
		return nil, usagef("no API key: set %s or pass --api-key-file FILE", envAPIKey)
	}
	opts := []smtp2go.Option{smtp2go.WithUserAgent("smtp2go-webhooks/" + smtp2go.Version)}
	region, base := a.where(e)
	if region.value != "" {
		r, err := regionEnum.parse(region.where, region.value)
		if err != nil {
			return nil, err
		}
		opts = append(opts, smtp2go.WithRegion(smtp2go.Region(r)))
	}
	if base.value != "" {
		if err := schemeMissing(base); err != nil {
			return nil, err
		}
		opts = append(opts, smtp2go.WithBaseURL(base.value))
	}
	c, err := smtp2go.NewClient(key.value, append(opts, e.apiOptions...)...)
	var ve *smtp2go.ValidationError
	if errors.As(err, &ve) {
		where := key.where
		if ve.Field == "base URL" {
			where = base.where
		}
		return nil, usagef("%s: %s", where, ve.Problem)
	}
	return c, err
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
		msg += fmt.Sprintf(" (did you mean %q?)", scheme+"://"+u.Host+u.EscapedPath())
	}
	return usagef("%s", msg)
}
