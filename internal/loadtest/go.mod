module github.com/relaykit/smtp2go/internal/loadtest

go 1.26.0

require (
	github.com/jackc/pgx/v5 v5.12.0
	github.com/redis/go-redis/v9 v9.23.0
	github.com/relaykit/smtp2go v0.0.0-00010101000000-000000000000
	github.com/relaykit/smtp2go/webhook/pgdedup v0.0.0-00010101000000-000000000000
	github.com/relaykit/smtp2go/webhook/redisdedup v0.0.0-00010101000000-000000000000
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

replace (
	github.com/relaykit/smtp2go => ../..
	github.com/relaykit/smtp2go/webhook/pgdedup => ../../webhook/pgdedup
	github.com/relaykit/smtp2go/webhook/redisdedup => ../../webhook/redisdedup
)
