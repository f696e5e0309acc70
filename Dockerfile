# The app image: one image for the web hosts (gunicorn), the Celery workers and beat, and migrations.
# Dependencies come from the locked, hashed requirements.lock (production: no dev or demo extras).
# Built and run by compose.yaml, the same topology as `make cluster` (docs/deploy.md 9.1).
# PYTHON_IMAGE: the official image by default; deploy/offline-images.sh builds a stand-in where no registry
# of images can be reached (docs/deploy.md 9.1).
ARG PYTHON_IMAGE=python:3.13-slim-bookworm

# The locked requirements, installed into /install in a stage of their own: from the index, or from the wheels
# in deploy/wheels/ when there are any (an offline build: deploy/offline-images.sh downloads them; the hashes of
# requirements.lock are checked either way). The wheels never reach the final image.
FROM ${PYTHON_IMAGE} AS requirements
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.lock /tmp/
COPY deploy/wheels/ /tmp/wheels/
RUN if ls /tmp/wheels/*.whl > /dev/null 2>&1; then set -- --no-index --find-links /tmp/wheels; fi; \
    python -m pip install --prefix /install "$@" --require-hashes --no-deps -r /tmp/requirements.lock

FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app omnistore

COPY --from=requirements /install /usr/local

COPY manage.py pyproject.toml ./
COPY retail ./retail
COPY inventory ./inventory
COPY customers ./customers
COPY orders ./orders
COPY insights ./insights
COPY webhooks ./webhooks
COPY templates ./templates
COPY static ./static
COPY locale ./locale

# collectstatic reads settings, which refuse production without a key and hosts: throw-away values,
# only for this step (whitenoise serves the hashed, compressed files from staticfiles/)
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --no-input -v 0

USER omnistore
EXPOSE 8000
# gunicorn's sync workers: WEB_CONCURRENCY per host (docs/deploy.md 2.1); workers and beat override the command.
# --preload: the app is imported before the port opens (7 s on a loaded 2-core host), so a host that is (re)starting
# refuses connections and nginx sends them to the other at once, instead of holding them until its workers have
# imported Django (12-18 s were seen without it; docs/deploy.md 9.1). --no-control-socket: gunicorn's control socket
# would go under $HOME, /app, which the app user cannot write; nothing here uses it.
CMD ["sh", "-c", "exec gunicorn retail.wsgi --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 60 --preload --no-control-socket --access-logfile -"]
