# Stand-in for postgres:15-bookworm where no image registry can be reached (deploy/offline-images.sh): Debian's
# postgresql-15 and an entrypoint doing what the official one does for compose.yaml (POSTGRES_USER, _PASSWORD, _DB,
# /docker-entrypoint-initdb.d, listen on all addresses, scram-sha-256 from other hosts).
ARG DEBIAN_IMAGE=omnistore-offline/debian:bookworm
FROM ${DEBIAN_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
RUN mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
    && apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/run/postgresql /var/lib/postgresql/data /docker-entrypoint-initdb.d \
    && chown postgres:postgres /var/run/postgresql /var/lib/postgresql/data \
    && chmod 3777 /var/run/postgresql && chmod 1777 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["sh", "/usr/local/bin/docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
