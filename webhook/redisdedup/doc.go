// Package redisdedup is a [webhook.Deduplicator] on Redis, for receivers that
// run as several replicas: every replica's handler shares one Redis, so that
// an event SMTP2GO delivers again, to any replica, is processed once.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
//	h := webhook.NewHandler(record, webhook.WithDeduplicator(redisdedup.New(rdb)))
//	http.Handle("/smtp2go", h)
//
// Each event is one key, "smtp2go:webhook:" followed by its
// [webhook.Event.DedupKey]; every key expires (after the lease while
// claimed, after the TTL once done), so nothing needs cleaning up. A
// delivery costs two round trips: Claim, then Complete or Release. Any
// [redis.UniversalClient] works: a single server, Sentinel, or Cluster,
// where one key per event needs no hash tags.
//
// On Redis Cluster, build the client with the cluster's addresses and the
// same setting, nothing more:
//
//	rdb := redis.NewClusterClient(&redis.ClusterOptions{
//		Addrs:                 []string{"redis-0:6379", "redis-1:6379", "redis-2:6379"},
//		ContextTimeoutEnabled: true,
//	})
//
// When a master dies, the cluster promotes one of its replicas once its
// cluster-node-timeout has passed. A dead master sends no redirect, so
// go-redis alone would go on sending it the calls for its slots until its
// next periodic reload (ClusterStateReloadInterval, 60 seconds by default),
// and every delivery of an event on those slots would be answered 500 until
// then. The Store therefore asks a cluster client to reload the cluster's
// slots ([redis.ClusterClient.ReloadState]) whenever a call fails without an
// answer from Redis: deliveries reach the promoted replica within moments
// of the failover.
//
// What it guarantees is what [webhook.Deduplicator] says, as long as Redis
// keeps what it acknowledged: no event is lost, and none is processed twice
// unless its holder died or outran its lease after its side effects, or
// Redis could not record a completion. While Redis cannot be reached,
// deliveries are answered 500 and SMTP2GO delivers them again later; a
// callback that finished just as Redis went away is answered 200 without
// Done recorded (the handler logs it), so a repeat of its event after the
// lease is processed again. Redis that restarts without persistence, or a
// failover to a replica that had not received the latest writes, forgets
// recent claims and completions: events that SMTP2GO then delivers again may
// be processed twice (never lost). Turn persistence on (appendonly yes) where
// that matters; a failover under Redis's asynchronous replication keeps that
// risk. Every key has an expiry, so a maxmemory-policy of volatile-* (or
// allkeys-*) may evict the marks of events done, which are then processed
// again if SMTP2GO delivers them again: give this Redis noeviction, or room.
//
// Give the client ContextTimeoutEnabled: true, so that the handler's
// deadlines bound each store call (a claim ends with the request and the
// lease, a completion or release after 5 seconds). Without it, go-redis
// ignores context deadlines while it waits on the network, and bounds a
// call by its own ReadTimeout and WriteTimeout (3 seconds each by default)
// and retries; a cancelled context still fails a call before it starts.
// With go-redis's default retries (MaxRetries, DialerRetries), a call to a
// Redis that refuses connections fails after about two seconds; lower them
// for quicker 500s.
package redisdedup
