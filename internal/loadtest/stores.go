package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/pgdedup"
	"github.com/relaykit/smtp2go/webhook/redisdedup"
)

// storeConfig says which deduplication store the replicas share.
type storeConfig struct {
	Kind        string // memory (or empty), redis or postgres
	RedisURL    string
	PostgresURL string
}

// sharedStore is a store the replicas share: newStore gives each replica a
// client of its own; cleanup removes what the run wrote.
type sharedStore struct {
	name     string
	newStore func(replica int) (webhook.Deduplicator, func())
	cleanup  func()
}

// openStore prepares the store a run's replicas share, under a key prefix
// or table of the run's own.
func openStore(ctx context.Context, cfg storeConfig) (*sharedStore, error) {
	run := strings.ToLower(rand.Text()[:12])
	switch cfg.Kind {
	case "", "memory":
		shared := webhook.NewMemoryDeduplicator(0, 0)
		return &sharedStore{
			name:     "shared MemoryDeduplicator",
			newStore: func(int) (webhook.Deduplicator, func()) { return shared, func() {} },
			cleanup:  func() {},
		}, nil
	case "redis":
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, errors.New("-redis-url is not a Redis URL (redis://[user:password@]host:port/db)") // the URL may hold a password
		}
		opt.ContextTimeoutEnabled = true
		prefix := "smtp2go-loadtest:" + run + ":"
		return &sharedStore{
			name: "Redis",
			newStore: func(int) (webhook.Deduplicator, func()) {
				rdb := redis.NewClient(opt)
				return redisdedup.New(rdb, redisdedup.WithPrefix(prefix)), func() { rdb.Close() }
			},
			cleanup: func() { deleteKeys(context.WithoutCancel(ctx), opt, prefix) },
		}, nil
	case "postgres":
		pcfg, err := pgxpool.ParseConfig(cfg.PostgresURL)
		if err != nil {
			return nil, errors.New("-postgres-url is not a PostgreSQL URL (postgres://user[:password]@host:port/database)")
		}
		table := "smtp2go_loadtest_" + run
		admin, err := pgxpool.NewWithConfig(ctx, pcfg.Copy())
		if err != nil {
			return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
		}
		if err := pgdedup.New(admin, pgdedup.WithTable(table)).CreateTable(ctx); err != nil {
			admin.Close()
			return nil, err
		}
		return &sharedStore{
			name: "PostgreSQL",
			newStore: func(int) (webhook.Deduplicator, func()) {
				pool, err := pgxpool.NewWithConfig(ctx, pcfg.Copy())
				if err != nil {
					// pgxpool connects lazily: this is a bad configuration,
					// which every delivery then reports as a 500.
					return pgdedup.New(nil), func() {}
				}
				return pgdedup.New(pool, pgdedup.WithTable(table)), pool.Close
			},
			cleanup: func() {
				_, _ = admin.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize())
				admin.Close()
			},
		}, nil
	}
	return nil, fmt.Errorf("unknown store %q (memory, redis or postgres)", cfg.Kind)
}

// deleteKeys deletes the keys a run wrote to Redis.
func deleteKeys(ctx context.Context, opt *redis.Options, prefix string) {
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		if keys = append(keys, iter.Val()); len(keys) == 1000 {
			rdb.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}
