# Stand-in for redis:7-bookworm where no image registry can be reached (deploy/offline-images.sh): Debian's
# redis-server, run as the redis user in /data; like the official image's build, protected mode is off (the
# server is reached by the other containers, on the compose network only).
ARG DEBIAN_IMAGE=omnistore-offline/debian:bookworm
FROM ${DEBIAN_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/* \
    && mkdir /data && chown redis:redis /data
WORKDIR /data
USER redis
ENTRYPOINT ["sh", "-c", "if [ \"$1\" = redis-server ]; then shift; set -- redis-server --protected-mode no \"$@\"; fi; exec \"$@\"", "--"]
EXPOSE 6379
CMD ["redis-server"]
