"""Ports for the servers the suite starts itself (Redis, PgBouncer, a streaming replica). No Django:
tests/run.py imports its users before settings exist."""

import socket


def free_port() -> int:
    """A port nothing listens on now, chosen by the kernel (two suites on one machine never share one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
