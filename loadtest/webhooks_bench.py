"""What webhooks cost takers, and how fast the worker delivers them.

    .venv/bin/python -m loadtest.webhooks_bench [--worker-core]

Starts the cluster of `make stack` (two app nodes, one Celery worker of two processes,
beat, NGINX) with webhooks allowed to loopback, seeds a 1k-answer survey, and runs wrk's
takers (loadtest/takers.lua, as `make bench` does) against it, alternating, ROUNDS times
each:

- without an endpoint (no events written);
- with one active endpoint: each submission writes its event and its delivery goes to a
  receiver on loopback within a couple of seconds, the worker (nice 10) sharing the two
  cores with the app nodes; the receiver runs at nice 19, standing for another machine;
- with the endpoint paused: the event row is written, nothing is delivered (the outbox's
  own cost on the taker's request).

Then the endpoint is resumed and the backlog the last paused run left is drained: deliveries
per second from the worker to the receiver. The receiver answers 200 at once and counts
distinct webhook-ids. Prints a Markdown table for docs/benchmarks.md.

With --worker-core the Celery worker (its processes) and the receiver run on the second
core and everything else (app nodes, PostgreSQL, Redis, NGINX, wrk) on the first, in every
state alike: the worker stands for a machine of its own, as in a deployment past one
machine, and what delivering still costs takers is the shared database's work.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

from loadtest.bench import machine, takers
from scripts.stack import Stack


class Counter(BaseHTTPRequestHandler):
    """Counts POSTs and distinct webhook-ids; GET answers the counts as JSON."""

    ids = set()
    requests = 0
    lock = threading.Lock()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Counter.lock:
            Counter.requests += 1
            Counter.ids.add(self.headers.get("webhook-id"))
        self._answer(b"")

    def do_GET(self):
        with Counter.lock:
            counts = {"requests": Counter.requests, "ids": len(Counter.ids)}
        self._answer(json.dumps(counts).encode())

    def _answer(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def receive(ports):
    """The receiver, in a process of its own at the lowest priority: it stands for another
    machine, so it takes only CPU the cluster leaves idle."""
    os.nice(19)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    server.daemon_threads = True
    ports.put(server.server_address[1])
    server.serve_forever()


def received(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


# Runs of each kind, alternated: the machine's noise between runs is ±15%.
ROUNDS = 3


def shell(stack, code):
    """What `code` printed last: the stack logs to standard output too."""
    lines = stack.manage("shell", "-c", code).stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _tree(roots):
    """`roots` and every process descended from them."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(children.get(pid, []))
    return found


def _pin(pids, cpus):
    """Every thread of `pids` onto `cpus` (processes they start later inherit it)."""
    for pid in pids:
        try:
            for thread in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(thread), cpus)
        except (OSError, ProcessLookupError):
            continue  # ended meanwhile


def pin_worker_apart(stack, receiver):
    """The worker and receiver on the second core, the rest of the stack on the first."""
    mine = {os.getpid()}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if str(stack.root).encode() in cmdline:  # PostgreSQL daemonizes: found by path
                mine.add(int(entry))
    apart = _tree([stack.worker.pid, receiver.pid])
    _pin(_tree(mine) - apart, {0})
    _pin(apart, {1})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker-core", action="store_true", help="see the module's doc")
    worker_core = parser.parse_args().worker_core
    os.environ.setdefault("SUBMISSIONS_PER_MINUTE", str(10**9))
    ports = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=receive, args=(ports,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{ports.get(timeout=10)}/in"
    env = {
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_SWEEP_SECONDS": "2",
    }
    rows = {}
    with Stack(env=env) as stack:
        stack.manage(
            "setup_test_data", "--users", "1", "--surveys", "1", "--questions", "10",
            "--options", "4", "--submissions", "100", "--seed", "1", "--no-progress",
        )  # fmt: skip
        with psycopg.connect(stack.database_url) as conn:
            pk, token = conn.execute("SELECT id, public_token FROM surveys_survey").fetchone()
        if worker_core:
            pin_worker_apart(stack, receiver)
        endpoint = None

        def set_endpoint(state):
            nonlocal endpoint
            if state == "none":
                if endpoint:
                    shell(stack, f"{ENDPOINT}; services.delete_endpoint(endpoint=e({endpoint}))")
                    endpoint = None
                return
            if endpoint is None:
                endpoint = int(
                    shell(
                        stack,
                        "from integrations import services; from surveys.models import Survey;"
                        f" print(services.add_endpoint(survey=Survey.objects.get(pk={pk}),"
                        f" url={url!r}, events=['response.submitted']).pk)",
                    )
                )
            shell(
                stack,
                f"{ENDPOINT}; services.update_endpoint(endpoint=e({endpoint}),"
                f" active={state == 'active'})",
            )

        runs = {"none": [], "active": [], "paused": []}
        for state in ("none", "active", "paused") * ROUNDS:
            set_endpoint(state)
            runs[state].append(takers(stack, pk, token))
            time.sleep(5)  # the active run's deliveries finish before the next run
        labels = {
            "none": "no endpoint",
            "active": "one active endpoint",
            "paused": "one paused endpoint (events written, not sent)",
        }
        mean = {
            state: statistics.mean(r["rate"] for r in results) for state, results in runs.items()
        }
        for state, results in runs.items():
            rows[f"submissions/s, {labels[state]} ({ROUNDS} runs)"] = (
                " and ".join(f"{r['rate']:.0f}" for r in results) + f", mean {mean[state]:.0f}"
            )
        rows["active endpoint ÷ none"] = f"{mean['active'] / mean['none']:.0%}"
        rows["paused endpoint ÷ none (the outbox row alone)"] = (
            f"{mean['paused'] / mean['none']:.0%}"
        )
        rows["taker latency p50/p95/p99: none, active"] = (
            f"{runs['none'][0]['latency']}; {runs['active'][0]['latency']}"
        )
        every = [r for results in runs.values() for r in results]
        rows["errors (HTTP / socket), every run"] = " + ".join(r["errors"] for r in every)

        def pending():
            with psycopg.connect(stack.database_url) as conn:
                return conn.execute(
                    "SELECT count(*) FROM integrations_delivery WHERE status = 'pending'"
                ).fetchone()[0]

        backlog, before = pending(), received(url)["requests"]
        started = time.monotonic()
        set_endpoint("active")  # resuming sends what waited
        while pending() and time.monotonic() - started < 600:
            time.sleep(0.1)
        drained = time.monotonic() - started
        rows["backlog drained: deliveries, seconds, deliveries/s (2 worker processes)"] = (
            f"{received(url)['requests'] - before} of {backlog}, {drained:.1f} s, "
            f"{(received(url)['requests'] - before) / drained:.0f}/s"
        )
        with psycopg.connect(stack.database_url) as conn:
            succeeded = conn.execute(
                "SELECT count(*) FROM integrations_delivery WHERE status = 'succeeded'"
            ).fetchone()[0]
        rows["deliveries succeeded / requests received / distinct webhook-ids"] = (
            f"{succeeded} / {received(url)['requests']} / {received(url)['ids']}"
        )
    receiver.terminate()
    where = "; the worker and receiver on core 1, the rest on core 0" if worker_core else ""
    print(
        f"Machine: {machine()}; PostgreSQL 15, Redis 7, two app nodes, one Celery worker "
        f"(2 processes, nice 10), beat, NGINX with TLS; wrk as in `make bench`{where}. "
        f"Date: {time.strftime('%Y-%m-%d')}.\n"
    )
    print("| measure | value |\n| --- | --- |")
    for name, value in rows.items():
        print(f"| {name} | {value} |")


ENDPOINT = (
    "from integrations import services; from integrations.models import WebhookEndpoint;"
    " e = lambda pk: WebhookEndpoint.objects.get(pk=pk)"
)


if __name__ == "__main__":
    main()
