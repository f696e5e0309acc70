"""Many hosts on one machine, as a rehearsal (`make cluster`; CI runs a short one, tests/cluster/test_cluster.py).

On loopback, each piece of the production topology of docs/deploy.md as its own process:
nginx (round robin, passive health checks) -> two gunicorn "hosts" -> PgBouncer (transaction
pooling) -> the PostgreSQL primary (a dedicated database with the benchmarks' small dataset), a
streaming replica for the reports (pg_basebackup), a private Redis, two Celery workers and one beat,
and a mail relay that records what leaves the outbox. benchmarks/load.py's mixed load runs through
nginx while one web host and one worker are killed (SIGKILL) and the replica is restarted; then the
outbox drains and the checks run: no 5xx beyond the requests in flight on the killed host (the
client retries those that are safe to retry), every e-mail received (twice only when its worker
died mid-delivery), one order.placed event per order and one webhook delivery per event, and every
ledger (stock, reservations, gift cards, points, store credit) sums to its balances.
"""
