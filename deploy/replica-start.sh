#!/bin/sh
# A streaming replica of `primary` (docs/deploy.md 5): copied once with pg_basebackup, then a hot standby.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pg_basebackup -h primary -U omnistore -D "$PGDATA" -R -X stream -C -S omnistore_replica --checkpoint=fast
  chmod 700 "$PGDATA"
fi
exec postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on -c max_standby_streaming_delay=30s
