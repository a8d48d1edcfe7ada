"""The webhook client alone: `python -m loadtest.webhook_client_bench`.

`integrations.client.post` to a receiver on loopback (its own process, answering 200 with a
short body), one request after another, then four threads at once: requests per second,
and the sending process's CPU time per request (what a worker pays per delivery for the
HTTP exchange). Then a receiver that never answers and one that drips its body, with
WEBHOOK_TIMEOUT at 0.5 s: how long the client really holds on. Each measure is taken in
rounds, alternating, and reported as the median round. Only 127.0.0.1 is contacted.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

RECEIVER = r"""
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/silent":
            time.sleep(30)
            return
        self.send_response(200)
        if self.path == "/drip":
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b"x"); self.wfile.flush(); time.sleep(0.1)
            return
        body = b'{"ok": true}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from django.conf import settings

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_ALLOW_HTTP = True
    return settings


def _rate(post, url, body, count, threads):
    headers = {"webhook-id": "msg_bench", "webhook-timestamp": "0", "webhook-signature": "v1,x"}
    cpu, started = time.process_time(), time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda _: post(url, body, headers), range(count)))
    took, cpu = time.monotonic() - started, time.process_time() - cpu
    assert all(r.succeeded for r in results), {r.outcome for r in results}
    return count / took, cpu / count * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = _setup()
    from integrations import client

    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(receiver.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        body = b'{"type":"response.submitted","data":{"answers":[' + b"1," * 400 + b"1]}}"
        client.post(f"{base}/in", body, {})  # warm up
        rows = {"one at a time": [], "four threads": []}
        for _ in range(args.rounds):
            rows["one at a time"].append(_rate(client.post, f"{base}/in", body, args.requests, 1))
            rows["four threads"].append(_rate(client.post, f"{base}/in", body, args.requests, 4))
        settings.WEBHOOK_TIMEOUT = 0.5
        held = {"silent": [], "drip": []}
        for _ in range(args.rounds):
            for path in held:
                result = client.post(f"{base}/{path}", body, {})
                held[path].append(result.latency_ms)
    finally:
        receiver.kill()
        receiver.wait()
    print(f"{args.requests} requests per round, {args.rounds} rounds, medians:")
    for name, values in rows.items():
        rate = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {name}: {rate:,.0f} requests/s, {cpu:.2f} ms CPU per request")
    for path, values in held.items():
        print(f"  {path} receiver, 0.5 s deadline: held {statistics.median(values)} ms")


if __name__ == "__main__":
    main()
