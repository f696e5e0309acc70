"""retail.wsgi's application, counting the SQL statements of each request for `benchmarks.load`.

gunicorn serves `benchmarks.load_wsgi:application` during a load run (unless `--no-query-count`):
the same Django application, with one `execute_wrapper` per request on the thread's connection
that counts statements (the ones `CaptureQueriesContext` counts in-process: savepoints included,
BEGIN/COMMIT not) and sends the count back in an `X-Load-Queries` header. The wrapper costs an
increment per statement; nothing else changes.
"""

from django.db import connection

from retail.wsgi import application as django_application

HEADER = "X-Load-Queries"


def application(environ, start_response):
    executed = 0

    def count(execute, sql, params, many, context):
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, (HEADER, str(executed))], exc_info)

    with connection.execute_wrapper(count):
        return django_application(environ, start)
