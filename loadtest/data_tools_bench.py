"""Time the data tools at one million answers on PostgreSQL.

    .venv/bin/python -m loadtest.data_tools_bench [--submissions 100000]

Starts a durable throwaway PostgreSQL cluster (fsync on) and a local backup folder, then
times `setup_test_data` (100,000 submissions x 10 questions x 4 options), `backup_db`
and `restore_db` as separate processes, the way an operator runs them. Prints a Markdown
table for docs/benchmarks.md.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.stack import PostgresCluster

ROOT = Path(__file__).resolve().parent.parent


def timed(env, *args):
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=100_000)
    submissions = parser.parse_args().submissions
    answers = submissions * 10
    with tempfile.TemporaryDirectory(prefix="canvass-bench-") as tmp:
        os.chmod(tmp, 0o755)
        cluster = PostgresCluster(Path(tmp) / "postgres", durable=True).start()
        try:
            cluster.create_database("bench")
            env = {
                **os.environ,
                "DEBUG": "true",
                "DATABASE_URL": cluster.url("bench"),
                "BACKUP_DESTINATION": f"{tmp}/backups",
            }
            timed(env, "migrate", "--noinput")
            seed = timed(
                env, "setup_test_data", "--seed", "1", "--users", "1", "--surveys", "1",
                "--questions", "10", "--options", "4", "--submissions", str(submissions),
                "--no-progress",
            )  # fmt: skip
            backup = timed(env, "backup_db", "--no-prune")
            size = sum(p.stat().st_size for p in Path(tmp, "backups").glob("*.pgdump"))
            restore = timed(env, "restore_db", "--latest", "--yes")
        finally:
            cluster.stop()
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    print(f"Machine: {machine}, Python {platform.python_version()}")
    print(f"Date: {time.strftime('%Y-%m-%d')}\n")
    print("| step | answers | seconds | rate |")
    print("| --- | ---: | ---: | --- |")
    print(f"| setup_test_data | {answers:,} | {seed:.1f} | {answers / seed:,.0f} answers/s |")
    print(f"| backup_db (pg_dump -Fc, {size / 1e6:.1f} MB) | {answers:,} | {backup:.1f} | |")
    print(f"| restore_db (verify, pg_restore, migrate) | {answers:,} | {restore:.1f} | |")


if __name__ == "__main__":
    main()
