module github.com/relaykit/smtp2go/cmd/smtp2go-webhooks

go 1.24

require (
	github.com/relaykit/smtp2go v0.0.0-00010101000000-000000000000
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
)

require (
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
)

replace github.com/relaykit/smtp2go => ../..
