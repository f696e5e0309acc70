#!/bin/sh
# The primary accepts the replica's replication connections (docs/deploy.md 5); runs once, at initdb.
set -e
echo "host  replication  omnistore  all  scram-sha-256" >> "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U omnistore -d omnistore -c "ALTER ROLE omnistore SET jit = off"
