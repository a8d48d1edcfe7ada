"""Without a broker (the embedded default: `make run`), a thread of the web process stands
in for the workers and beat: woken when an event commits or a creator asks, and every
WEBHOOK_SWEEP_SECONDS after that, it does what the dispatch task and the tasks it queues do,
outside any request, the endpoints' batches side by side in a few threads. The outbox is
in the database, so nothing is lost with the process: the next one, a worker or
`manage.py send_webhooks` sends what waited.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

logger = logging.getLogger("canvass.integrations")

# Endpoints sent to side by side, as workers would: a few slow receivers at once still
# leave the others a thread.
THREADS = 4
_pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="canvass-webhooks")
_wakeup = threading.Event()
_started = threading.Lock()
_thread = None


def wake():
    """Start the thread if it isn't running, and have it send now."""
    global _thread
    with _started:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="canvass-webhooks", daemon=True)
            _thread.start()
    _wakeup.set()


def _run():
    while True:
        _wakeup.wait(settings.WEBHOOK_SWEEP_SECONDS)
        _wakeup.clear()
        if not settings.WEBHOOK_SEND_IN_PROCESS:  # turned off since (tests do): stop
            return
        try:
            _send_round()
        except Exception:  # the thread must outlive one bad round; the next retries it
            logger.exception("in-process webhook sender failed")
        finally:
            connections.close_all()


def _send_round():
    """What the dispatch task and the tasks it queues do, here; one email that fails
    (after its retries) doesn't stop the rest. Each endpoint's batch goes to the pool,
    so a slow receiver holds one of its threads, not the round (queue_due gives an
    endpoint no other batch till then)."""
    from . import services, tasks

    for event_id in services.dispatch_events():
        tasks.email_response.apply(args=[event_id], throw=False)
    for batch in services.queue_due():
        _pool.submit(_attempt, batch)


def _attempt(batch):
    from . import services

    try:
        services.attempt_batch(delivery_ids=batch)
    except Exception:  # the lease sends it again
        logger.exception("in-process webhook batch failed")
    finally:
        connections.close_all()
        wake()  # the endpoint's next batch
