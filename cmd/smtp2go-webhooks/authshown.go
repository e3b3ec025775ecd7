package main

import "github.com/relaykit/smtp2go"

// The CLI's input rule (auth left out keeps the webhook's current auth)
// needs to know whether SMTP2GO showed an auth value or a mask.

// authValueShown reports whether w's auth value is the secret itself, which
// the SDK would send back.
func authValueShown(w *smtp2go.Webhook) bool {
	if w.AuthHeaderType == smtp2go.AuthNone || w.AuthHeaderValue == "" {
		return false
	}
	req := smtp2go.AddWebhookRequest{URL: "https://example.com/", AuthHeaderType: w.AuthHeaderType, AuthHeaderValue: w.AuthHeaderValue}
	return req.Validate() == nil
}
