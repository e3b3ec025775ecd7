package redisdedup_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/redisdedup"
)

// Every replica of the receiver runs this, with the same Redis: a delivery
// that SMTP2GO repeats, to any replica, is processed once. It needs a Redis
// server, so it is compiled but not run.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{
		Addr: "redis:6379",
		// Lets the handler's deadline on each store call bound it.
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()

	record := func(ctx context.Context, ev *webhook.Event) error {
		log.Println("received", ev.Type, ev.ID)
		return nil // stored: acknowledge
	}
	h := webhook.NewHandler(record,
		webhook.WithBearerToken("the token set on the webhook"),
		webhook.WithDeduplicator(redisdedup.New(rdb)),
	)
	http.Handle("/smtp2go", h)
	log.Fatal(http.ListenAndServe(":8080", nil))
}

// On Redis Cluster, the client needs nothing more than on one server: when
// a master dies, the Store has the client reload the cluster's slots, so
// that deliveries reach the replica the cluster promoted. It needs a
// cluster, so it is compiled but not run.
func ExampleNew_cluster() {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 []string{"redis-0:6379", "redis-1:6379", "redis-2:6379"},
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()

	record := func(ctx context.Context, ev *webhook.Event) error {
		log.Println("received", ev.Type, ev.ID)
		return nil
	}
	h := webhook.NewHandler(record, webhook.WithDeduplicator(redisdedup.New(rdb)))
	http.Handle("/smtp2go", h)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
