# The app image: one image for the web hosts (gunicorn), the Celery workers and beat, and migrations.
# Dependencies come from the locked, hashed requirements.lock (production: no dev or demo extras).
# Built and run by deploy/compose.yaml, the same topology as `make cluster` (docs/deploy.md 9).
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app omnistore

COPY requirements.lock ./
RUN python -m pip install --require-hashes --no-deps -r requirements.lock

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
# gunicorn's sync workers: WEB_CONCURRENCY per host (docs/deploy.md 2.1); workers and beat override the command
CMD ["sh", "-c", "exec gunicorn retail.wsgi --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile -"]
