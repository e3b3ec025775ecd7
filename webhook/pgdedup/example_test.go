package pgdedup_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/relaykit/smtp2go/webhook"
	"github.com/relaykit/smtp2go/webhook/pgdedup"
)

// Every replica of the receiver runs this, with the same database: a
// delivery that SMTP2GO repeats, to any replica, is processed once. It needs
// a PostgreSQL server, so it is compiled but not run.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store := pgdedup.New(pool)
	if err := store.CreateTable(ctx); err != nil { // or run the SQL of the package doc in a migration
		log.Fatal(err)
	}
	go func() { // expired rows are only ignored: delete them now and then
		for range time.Tick(time.Hour) {
			if _, err := store.DeleteExpired(ctx); err != nil {
				log.Println(err)
			}
		}
	}()

	record := func(ctx context.Context, ev *webhook.Event) error {
		log.Println("received", ev.Type, ev.ID)
		return nil // stored: acknowledge
	}
	h := webhook.NewHandler(record,
		webhook.WithBearerToken(os.Getenv("WEBHOOK_TOKEN")),
		webhook.WithDeduplicator(store),
	)
	http.Handle("/smtp2go", h)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
