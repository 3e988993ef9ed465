"""gunicorn's configuration for 03_wsgi_app.py: the producer is made in each worker and closed when it exits."""

import os

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", "3"))
control_socket_disable = True  # gunicorn 25.1+ opens one in the home folder otherwise

# --8<-- [start:hooks]
CLOSE_TIMEOUT = float(os.environ.get("EVENTS_CLOSE_TIMEOUT", "10"))
graceful_timeout = int(CLOSE_TIMEOUT) + 5  # after SIGTERM a worker gets this long to exit, then SIGKILL


def post_worker_init(worker):
    """In the worker, after the fork and after the app is loaded: make this process's producer now."""
    worker.wsgi.producer()


def worker_exit(server, worker):
    """In the worker, as it exits (SIGTERM to the server, or a restart): deliver what is queued, bounded."""
    worker.wsgi.close(CLOSE_TIMEOUT)


# --8<-- [end:hooks]
