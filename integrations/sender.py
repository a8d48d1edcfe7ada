"""Without a broker (the embedded default: `make run`), threads of the web process stand in
for the workers: the tasks are the same (tasks.dispatch, tasks.attempt_deliveries), run
here instead of in a worker. A thread runs dispatch when woken (an event committed, a
creator asked) and every WEBHOOK_SWEEP_SECONDS, as beat would; the endpoints' batches go
to a pool, side by side, as they would to a worker's processes. The outbox is in the
database, so nothing is lost with the process: the next one, or a worker, sends what
waited.
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
    """Start the thread if it isn't running, and have it run dispatch now."""
    global _thread
    with _started:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="canvass-webhooks", daemon=True)
            _thread.start()
    _wakeup.set()


def run_soon(task, *args):
    """A task dispatch queues (an endpoint's batch, an email), on a thread of the pool."""
    _pool.submit(_in_thread, task, *args)


def _run():
    while True:
        _wakeup.wait(settings.WEBHOOK_SWEEP_SECONDS)
        _wakeup.clear()
        if not settings.WEBHOOK_SEND_IN_PROCESS:  # turned off since (tests do): stop
            return
        from .tasks import dispatch  # tasks imports this module

        _in_thread(dispatch)


def _in_thread(task, *args):
    """Run `task` here, as a worker would; the thread outlives one that fails (a batch's
    lease sends its deliveries again, an email was retried already)."""
    try:
        task.apply(args=args, throw=False)
    except Exception:
        logger.exception("in-process task %s failed", task.name)
    finally:
        connections.close_all()
