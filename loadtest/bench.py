"""The performance benchmark: `make bench` (add WRITE=1 to record it in docs/benchmarks.md).

Starts the production-like stack (PostgreSQL, Gunicorn with deploy/gunicorn.conf.py's
defaults, NGINX with TLS) on loopback, seeds surveys of 1k, 100k and 1M answers (10
questions x 4 options), then measures through NGINX:

- the results page: latency over one connection (wrk -c1), and its query count;
- taking a survey with wrk (loadtest/takers.lua): GET the form, POST 10 answers, GET the
  thank-you page, as fast as the stack allows; then stored versus acknowledged submissions;
- a bare view (/ping/, no database) with the same wrk settings: the ceiling, and the ratio;
- the CSV and XLSX exports of the 100k- and 1M-answer surveys: time, size, and the peak
  memory of the worker.

Load comes only from this machine to 127.0.0.1, and every run is bounded in time.
"""

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg

from scripts.stack import Stack, insecure_tls_context

ROOT = Path(__file__).resolve().parent.parent
SIZES = [("1k", 100), ("100k", 10_000), ("1M", 100_000)]  # answers, submissions of 10 answers
CONNECTIONS = 16
SECONDS = 20

QUERY_COUNT = """
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.contrib.auth.models import User
client = Client()
client.force_login(User.objects.get(username={username!r}))
client.get("/surveys/{pk}/", secure=True, HTTP_HOST="localhost")
with CaptureQueriesContext(connection) as captured:
    assert client.get("/surveys/{pk}/", secure=True, HTTP_HOST="localhost").status_code == 200
print("QUERIES", len(captured))
"""


class Client:
    def __init__(self, base):
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=insecure_tls_context()),
            urllib.request.HTTPCookieProcessor(self.cookies),
        )

    def get(self, path):
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def log_in(self, username, password):
        page = self.get("/accounts/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "username": username, "password": password}
        ).encode()
        headers = {"Referer": self.base + "/accounts/login/"}
        request = urllib.request.Request(self.base + "/accounts/login/", body, headers)
        self.opener.open(request, timeout=60).read()


def time_results(stack, username, pk):
    """Server latency of the results page: one connection, one request after another."""
    client = Client(stack.url)
    client.log_in(username, "correct-horse-battery")
    page = client.get(f"/surveys/{pk}/")
    assert 'id="public-url"' in page, "not the results page: did the log-in fail?"
    session = next(c.value for c in client.cookies if c.name.endswith("sessionid"))
    output = wrk(
        stack,
        f"/surveys/{pk}/",
        headers={"Cookie": f"__Host-sessionid={session}"},
        connections=1,
        seconds=8,
    )
    return wrk_percentile(output, 50), wrk_percentile(output, 90), wrk_percentile(output, 99)


def query_count(stack, username, pk):
    out = stack.manage("shell", "-c", QUERY_COUNT.format(username=username, pk=pk)).stdout
    return int(re.search(r"QUERIES (\d+)", out).group(1))


def wrk(
    stack, path, script=None, env=None, headers=None, connections=CONNECTIONS, seconds=SECONDS
):
    command = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    result = subprocess.run(
        [*command, f"{stack.url}{path}"],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=seconds + 60,
        check=True,
    )
    return result.stdout


def wrk_rate(output):
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def wrk_percentile(output, pct):
    value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def worker_memory(stack):
    """Peak resident memory (VmHWM) of each Gunicorn worker, in MB."""
    peaks = []
    for pid in stack.gunicorn_worker_pids():
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return peaks


def fresh_workers(stack):
    """Graceful reload: new workers, so their peak-memory counters start from zero."""
    old = set(stack.gunicorn_worker_pids())
    stack.gunicorn.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = set(stack.gunicorn_worker_pids())
        if current and not current & old:
            return
        time.sleep(0.2)
    raise RuntimeError("Gunicorn workers did not restart")


def machine():
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return f"{cpu}, {os.cpu_count()} cores, {memory / 1024 / 1024:.0f} GiB, {platform.system()}"


def run():
    # Every taker here comes from 127.0.0.1: the per-address submit limit would turn most
    # of the load into 429s.
    os.environ.setdefault("SUBMISSIONS_PER_MINUTE", str(10**9))
    rows = {}
    with Stack() as stack:
        workers = len(stack.gunicorn_worker_pids())
        surveys = {}
        for _, submissions in SIZES:
            stack.manage(
                "setup_test_data", "--users", "1", "--surveys", "1", "--questions", "10",
                "--options", "4", "--submissions", str(submissions), "--seed", "1",
                "--no-progress",
            )  # fmt: skip
        with psycopg.connect(stack.database_url) as conn:
            found = conn.execute(
                "SELECT u.username, s.id, s.public_token FROM surveys_survey s"
                " JOIN auth_user u ON u.id = s.owner_id ORDER BY s.id"
            ).fetchall()
        for (label, _), (username, pk, token) in zip(SIZES, found, strict=True):
            surveys[label] = (username, pk, token)
            p50, p90, p99 = time_results(stack, username, pk)
            rows[f"results p50/p90/p99 at {label} answers"] = (
                f"{p50:.1f} / {p90:.1f} / {p99:.1f} ms"
            )
            rows[f"results queries at {label} answers"] = str(query_count(stack, username, pk))

        username, pk, token = surveys["1k"]
        with psycopg.connect(stack.database_url) as conn:
            before = conn.execute(
                "SELECT count(*) FROM surveys_submission WHERE survey_id = %s", (pk,)
            ).fetchone()[0]
        output = wrk(stack, "/", ROOT / "loadtest" / "takers.lua", {"SURVEY_PATH": f"/s/{token}/"})
        result = dict(re.findall(r"(\w+)=(\d+)", output.split("RESULT", 1)[1]))
        acks, posts, errors = int(result["acks"]), int(result["posts"]), int(result["errors"])
        with psycopg.connect(stack.database_url) as conn:
            stored = (
                conn.execute(
                    "SELECT count(*) FROM surveys_submission WHERE survey_id = %s", (pk,)
                ).fetchone()[0]
                - before
            )
            incomplete = conn.execute(
                "SELECT count(*) FROM (SELECT s.id FROM surveys_submission s LEFT JOIN"
                " surveys_answer a ON a.submission_id = s.id WHERE s.survey_id = %s"
                " GROUP BY s.id HAVING count(a.id) <> 10) x",
                (pk,),
            ).fetchone()[0]
        seconds = int(result["duration_us"]) / 1e6
        flow_rate = int(result["requests"]) / seconds
        rows["submissions/s (GET form, POST 10 answers, GET thanks)"] = f"{acks / seconds:.0f}"
        rows["taker request latency p50/p95/p99"] = (
            f"{int(result['p50_us']) / 1000:.1f} / {int(result['p95_us']) / 1000:.1f}"
            f" / {int(result['p99_us']) / 1000:.1f} ms"
        )
        rows["taker requests/s (all three kinds)"] = f"{flow_rate:.0f}"
        rows["errors (HTTP / socket)"] = f"{errors} / {result['socket_errors']}"
        rows["acknowledged / stored / POSTs sent"] = (
            f"{acks} / {stored} / {posts} ({incomplete} stored without all 10 answers)"
        )

        ping = wrk(stack, "/ping/")
        ceiling = wrk_rate(ping)
        rows["bare view /ping/ requests/s (ceiling)"] = f"{ceiling:.0f}"
        rows["bare view latency p50/p99"] = (
            f"{wrk_percentile(ping, 50):.1f} / {wrk_percentile(ping, 99):.1f} ms"
        )
        rows["taker requests/s ÷ ceiling"] = f"{flow_rate / ceiling:.0%}"
        rows["POSTs/s ÷ ceiling"] = f"{posts / seconds / ceiling:.0%}"

        # Both sizes, so flat memory shows: the worker's peak should not follow the data.
        for size_name in ("100k", "1M"):
            username, pk, _ = surveys[size_name]
            for kind, content_type in [("csv", "text/csv"), ("xlsx", "application/vnd.openxml")]:
                fresh_workers(stack)
                client = Client(stack.url)
                client.log_in(username, "correct-horse-battery")
                elapsed, size, served = download(client, f"{stack.url}/surveys/{pk}/export.{kind}")
                assert served.startswith(content_type), f"{kind} export refused: {served}"
                rows[f"{kind.upper()} export of {size_name} answers: time, size, peak worker"] = (
                    f"{elapsed:.1f} s, {size / 1e6:.1f} MB, {max(worker_memory(stack)):.0f} MB"
                )
    return workers, rows


def download(client, url):
    """Seconds and bytes to read the whole response, and its content type."""
    started = time.perf_counter()
    size = 0
    with client.opener.open(url, timeout=600) as response:
        while chunk := response.read(1 << 20):
            size += len(chunk)
        content_type = response.headers["Content-Type"]
    return time.perf_counter() - started, size, content_type


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record in docs/benchmarks.md")
    args = parser.parse_args()
    workers, rows = run()
    header = (
        f"Machine: {machine()}; PostgreSQL 15, {workers} Gunicorn workers "
        f"(deploy/gunicorn.conf.py defaults), NGINX with TLS, wrk -t{CONNECTIONS} "
        f"-c{CONNECTIONS} -d{SECONDS}s. Date: {time.strftime('%Y-%m-%d')}."
    )
    table = "| measure | value |\n| --- | --- |\n" + "\n".join(
        f"| {name} | {value} |" for name, value in rows.items()
    )
    print(header + "\n\n" + table)
    print(json.dumps(rows), file=sys.stderr)
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        text = path.read_text()
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        block = f"{start}\n{header}\n\n{table}\n{end}"
        text = re.sub(f"{start}.*?{end}", lambda _: block, text, flags=re.S)
        path.write_text(text)


if __name__ == "__main__":
    main()
