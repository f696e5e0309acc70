# Stand-in for python:3.13-slim-bookworm where no image registry can be reached (deploy/offline-images.sh):
# Debian bookworm (debootstrap) with the libraries CPython links to, and a CPython 3.13 built on the same Debian
# release, copied in from the build context's python/ (the script fills it; tests, pip's scripts and .pyc left out).
ARG DEBIAN_IMAGE=omnistore-offline/debian:bookworm
FROM ${DEBIAN_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates netbase tzdata \
        libbz2-1.0 libexpat1 libffi8 liblzma5 libncursesw6 libreadline8 libsqlite3-0 libssl3 libuuid1 zlib1g \
    && rm -rf /var/lib/apt/lists/*
COPY python/ /usr/local/
# its RUNPATH names the directory it was built in: ldconfig finds libpython in /usr/local/lib instead
RUN ldconfig && ln -sf python3 /usr/local/bin/python && python -c "import ssl, sqlite3, ctypes, zlib, lzma, bz2"
ENV LANG=C.UTF-8
CMD ["python3"]
