# Stand-in for nginx:stable-bookworm where no image registry can be reached (deploy/offline-images.sh): Debian's
# nginx in the foreground, its logs to the container's output as in the official image.
ARG DEBIAN_IMAGE=omnistore-offline/debian:bookworm
FROM ${DEBIAN_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends nginx && rm -rf /var/lib/apt/lists/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
EXPOSE 80
CMD ["nginx", "-g", "daemon off;"]
