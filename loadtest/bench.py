"""The performance benchmark: `make bench` (add WRITE=1 to record it in docs/benchmarks.md).

Starts the production-like cluster of `make stack` (PostgreSQL, Redis, two app nodes of
Gunicorn with deploy/gunicorn.conf.py's defaults, a Celery worker, NGINX with TLS) on
loopback, seeds surveys of 1k, 100k and 1M answers (10 questions x 4 options), then
measures through NGINX:

- the results page: latency over one connection (wrk -c1), and its query count;
- taking a survey with wrk (loadtest/takers.lua): GET the form, POST 10 answers, GET the
  thank-you page, as fast as the stack allows, with NGINX sending to both app nodes and to
  one only, in turn, twice each; stored versus acknowledged submissions;
- a bare view (/ping/, no database) with the same wrk settings: the ceiling, and the ratio;
- the CSV and XLSX exports of the 100k-answer survey (downloaded at once): time, size, and
  the peak memory of the Gunicorn worker; of the 1M-answer survey (built by the Celery
  worker): time from asking to ready, size, and the worker's peak memory;
- PostgreSQL's ceiling for the submission transaction itself: pgbench running the very
  statements a submission makes (loadtest/submission.sql), to say how many app nodes the
  database could feed.

Load comes only from this machine to 127.0.0.1, and every run is bounded in time.
"""

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg

from scripts.stack import Stack, children, insecure_tls_context, postgres_bindir

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
    """Peak resident memory (VmHWM) of each Gunicorn worker of both nodes, in MB."""
    peaks = []
    for pid in stack.gunicorn_worker_pids(0) + stack.gunicorn_worker_pids(1):
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
    return peaks


def fresh_workers(stack):
    """Graceful reload of both nodes: new workers, so their peak-memory counters start from
    zero."""
    for n, node in enumerate(stack.nodes):
        old = set(stack.gunicorn_worker_pids(n))
        node.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = set(stack.gunicorn_worker_pids(n))
            if current and not current & old:
                break
            time.sleep(0.2)
        else:
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
        workers = len(stack.gunicorn_worker_pids(0))
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
        # Alternated, so a machine getting busier or quieter during the run weighs on both.
        runs = {"two app nodes": [], "one app node": []}
        for nodes in ([0, 1], [0], [0, 1], [0]):
            stack.use_nodes(nodes)
            runs["two app nodes" if len(nodes) == 2 else "one app node"].append(
                takers(stack, pk, token)
            )
        stack.use_nodes([0, 1])
        mean = {
            label: statistics.mean(r["rate"] for r in results) for label, results in runs.items()
        }
        for label, results in runs.items():
            rows[f"submissions/s through NGINX, {label} (two runs)"] = (
                " and ".join(f"{r['rate']:.0f}" for r in results) + f", mean {mean[label]:.0f}"
            )
        rows["two nodes ÷ one node, on the same two cores"] = (
            f"{mean['two app nodes'] / mean['one app node']:.0%}"
        )
        both = runs["two app nodes"][0]
        rows["taker request latency p50/p95/p99 (two nodes)"] = both["latency"]
        rows["taker requests/s (all three kinds, two nodes)"] = f"{both['flow']:.0f}"
        every = runs["two app nodes"] + runs["one app node"]
        rows["errors (HTTP / socket), every run"] = " + ".join(r["errors"] for r in every)
        rows["acknowledged / stored / POSTs sent, every run"] = " + ".join(
            r["stored"] for r in every
        )

        ping = wrk(stack, "/ping/")
        ceiling = wrk_rate(ping)
        rows["bare view /ping/ requests/s (ceiling)"] = f"{ceiling:.0f}"
        rows["bare view latency p50/p99"] = (
            f"{wrk_percentile(ping, 50):.1f} / {wrk_percentile(ping, 99):.1f} ms"
        )
        rows["taker requests/s ÷ ceiling"] = f"{both['flow'] / ceiling:.0%}"
        rows["POSTs/s ÷ ceiling"] = f"{both['posts_rate'] / ceiling:.0%}"

        username, pk, _ = surveys["100k"]
        for kind, content_type in [("csv", "text/csv"), ("xlsx", "application/vnd.openxml")]:
            fresh_workers(stack)
            client = Client(stack.url)
            client.log_in(username, "correct-horse-battery")
            elapsed, size, served = download(client, f"{stack.url}/surveys/{pk}/export.{kind}")
            assert served.startswith(content_type), f"{kind} export refused: {served}"
            rows[f"{kind.upper()} export of 100k answers at once: time, size, peak worker"] = (
                f"{elapsed:.1f} s, {size / 1e6:.1f} MB, {max(worker_memory(stack)):.0f} MB"
            )
        username, pk, _ = surveys["1M"]
        for kind in ("csv", "xlsx"):
            elapsed, size, peak = background_export(stack, username, pk, kind)
            rows[f"{kind.upper()} export of 1M answers in the background: time, size, peak"] = (
                f"{elapsed:.1f} s, {size / 1e6:.1f} MB, {peak:.0f} MB"
            )

        one_node = mean["one app node"]
        database = pgbench_ceiling(stack, surveys["1k"][1])
        rows["PostgreSQL ceiling: submission transactions/s (pgbench, 8 clients)"] = (
            f"{database:.0f}"
        )
        rows["app nodes (2 cores each) PostgreSQL could feed"] = f"{database / one_node:.0f}"
    return workers, rows


def takers(stack, pk, token):
    """wrk's takers for SECONDS against the survey `pk`: rates, latency, and what the
    database holds afterwards."""
    count = "SELECT count(*) FROM surveys_submission WHERE survey_id = %s"
    with psycopg.connect(stack.database_url) as conn:
        before = conn.execute(count, (pk,)).fetchone()[0]
    output = wrk(stack, "/", ROOT / "loadtest" / "takers.lua", {"SURVEY_PATH": f"/s/{token}/"})
    result = dict(re.findall(r"(\w+)=(\d+)", output.split("RESULT", 1)[1]))
    acks, posts, errors = int(result["acks"]), int(result["posts"]), int(result["errors"])
    with psycopg.connect(stack.database_url) as conn:
        stored = conn.execute(count, (pk,)).fetchone()[0] - before
        incomplete = conn.execute(
            "SELECT count(*) FROM (SELECT s.id FROM surveys_submission s LEFT JOIN"
            " surveys_answer a ON a.submission_id = s.id WHERE s.survey_id = %s"
            " GROUP BY s.id HAVING count(a.id) <> 10) x",
            (pk,),
        ).fetchone()[0]
    seconds = int(result["duration_us"]) / 1e6
    return {
        "rate": acks / seconds,
        "flow": int(result["requests"]) / seconds,
        "posts_rate": posts / seconds,
        "latency": (
            f"{int(result['p50_us']) / 1000:.1f} / {int(result['p95_us']) / 1000:.1f}"
            f" / {int(result['p99_us']) / 1000:.1f} ms"
        ),
        "errors": f"{errors} / {result['socket_errors']}",
        "stored": f"{acks} / {stored} / {posts} ({incomplete} incomplete)",
    }


def background_export(stack, username, pk, kind):
    """Seconds from asking for an export to its being ready, its size, and the Celery
    worker's peak memory (MB)."""
    token = stack.manage(
        "shell", "-c",
        "from rest_framework.authtoken.models import Token\n"
        "from django.contrib.auth.models import User\n"
        f"print(Token.objects.get_or_create(user=User.objects.get(username={username!r}))[0])",
    ).stdout.split()[-1]  # fmt: skip
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=insecure_tls_context())
    )
    started = time.perf_counter()
    request = urllib.request.Request(
        f"{stack.url}/api/v1/surveys/{pk}/exports/",
        json.dumps({"format": kind}).encode(),
        headers,
    )
    export = json.loads(opener.open(request, timeout=60).read())
    while export["status"] in ("queued", "running"):
        time.sleep(0.25)
        request = urllib.request.Request(
            f"{stack.url}/api/v1/exports/{export['id']}/", None, headers
        )
        export = json.loads(opener.open(request, timeout=60).read())
    assert export["status"] == "done", export
    elapsed = time.perf_counter() - started
    peak = (
        max(
            int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1))
            for pid in [stack.worker.pid, *all_descendants(stack.worker.pid)]
            if Path(f"/proc/{pid}/status").exists()
        )
        / 1024
    )
    return elapsed, export["size"], peak


def all_descendants(pid):
    found = children(pid)
    for child in list(found):
        found += all_descendants(child)
    return found


def pgbench_ceiling(stack, survey_pk):
    """Submission transactions a second PostgreSQL sustains: pgbench, 8 clients for 20 s,
    running loadtest/submission.sql with this survey's question and option ids."""
    with psycopg.connect(stack.database_url) as conn:
        questions = conn.execute(
            "SELECT q.id, min(o.id), max(o.id) FROM surveys_question q"
            " JOIN surveys_option o ON o.question_id = q.id WHERE q.survey_id = %s"
            " GROUP BY q.id ORDER BY q.id",
            (survey_pk,),
        ).fetchall()
    variables = [f"-Dsurvey={survey_pk}"]
    for n, (question, low, high) in enumerate(questions, start=1):
        variables += [f"-Dq{n}={question}", f"-Dlow{n}={low}", f"-Dhigh{n}={high}"]
    result = subprocess.run(
        [
            postgres_bindir() / "pgbench", "-n", "-f", ROOT / "loadtest" / "submission.sql",
            "-c", "8", "-j", "2", "-T", "20", *variables,
            "-h", "127.0.0.1", "-p", str(stack.postgres.port), "-U", "postgres", "canvass",
        ],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))


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
        f"Machine: {machine()}; PostgreSQL 15, Redis 7, two app nodes of {workers} Gunicorn "
        f"workers each (deploy/gunicorn.conf.py defaults), one Celery worker (2 processes), "
        f"NGINX with TLS, wrk -t{CONNECTIONS} "
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
