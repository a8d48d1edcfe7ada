"""backup_db and restore_db against real PostgreSQL, a real S3 protocol server and SQLite."""

import contextlib
import hashlib
import socket
import sqlite3
import threading
import time

from tests.helpers import manage_py

from .conftest import BUCKET, Site, base_env

SEED = ("setup_test_data", "--seed", "7", "--users", "2", "--surveys", "2", "--questions", "4",
        "--options", "3", "--submissions", "150", "--no-progress")  # fmt: skip

SUBMIT_ONE = """
from surveys import responses
from surveys.answers import clean_answers
from surveys.models import Survey
survey = Survey.objects.filter(status="active").order_by("pk").first()
choices = {q.pk: q.options.first().pk for q in survey.questions.all()}
submission, created = responses.submit_response(
    survey=survey, token="after-restore", answers=clean_answers(survey, choices)
)
print(submission.pk, created)
"""


def table_fingerprints(site):
    """Per table: row count and an md5 of every row's text, in a stable order."""
    tables = site.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    fingerprint = (
        "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        ' FROM "{}" t'
    )
    return {table: site.sql(fingerprint.format(table))[0] for (table,) in tables}


def stored_keys(s3, prefix):
    listing = s3["client"].list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")
    return sorted(item["Key"].split("/", 1)[1] for item in listing.get("Contents", []))


def test_postgres_round_trip_through_s3(pg_site, s3):
    pg_site.manage(*SEED)
    before = table_fingerprints(pg_site)
    assert before["surveys_answer"][0] == 2 * 2 * 150 * 4
    out = pg_site.manage("backup_db").stdout
    assert "Stored postgres_site_" in out
    key = out.split()[1]
    assert stored_keys(s3, pg_site.prefix) == [key, f"{key}.json", f"{key}.sha256"]

    pg_site.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    assert table_fingerprints(pg_site) == {}

    pg_site.manage("restore_db", "--latest", "--yes")
    assert table_fingerprints(pg_site) == before

    # Sequences were restored too: the next submission gets a fresh id.
    largest = pg_site.sql("SELECT max(id) FROM surveys_submission")[0][0]
    new_id, created = pg_site.manage("shell", "-c", SUBMIT_ONE).stdout.split()[-2:]
    assert created == "True" and int(new_id) > largest


def test_manifest_describes_the_dump(pg_site, s3):
    import json

    key = pg_site.manage("backup_db").stdout.split()[1]
    body = s3["client"].get_object(Bucket=BUCKET, Key=f"{pg_site.prefix}/{key}.json")["Body"]
    manifest = json.loads(body.read())
    assert manifest["dump_tool"].startswith("pg_dump (PostgreSQL) ")
    assert manifest["last_migration"].startswith(("surveys.", "auth.", "sessions.", "admin."))
    assert manifest["canvass_version"]
    checksum = s3["client"].get_object(Bucket=BUCKET, Key=f"{pg_site.prefix}/{key}.sha256")["Body"]
    assert checksum.read().decode().split()[0] == manifest["sha256"]


def test_flipped_byte_is_refused_before_the_database_is_touched(pg_site, s3):
    pg_site.manage(*SEED)
    key = pg_site.manage("backup_db").stdout.split()[1]
    object_key = f"{pg_site.prefix}/{key}"
    dump = bytearray(s3["client"].get_object(Bucket=BUCKET, Key=object_key)["Body"].read())
    dump[len(dump) // 2] ^= 0x01
    s3["client"].put_object(Bucket=BUCKET, Key=object_key, Body=bytes(dump))

    pg_site.sql("INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,"
                " first_name, last_name, email, date_joined) VALUES ('marker', '!', false, false,"
                " true, '', '', '', now())")  # fmt: skip
    before = table_fingerprints(pg_site)
    result = pg_site.manage("restore_db", "--latest", "--yes", check=False)
    assert result.returncode != 0
    assert "Checksum mismatch" in result.stderr and "nothing was restored" in result.stderr
    assert table_fingerprints(pg_site) == before


class CuttingProxy:
    """Forwards to the S3 server but drops each connection after `limit` uploaded bytes."""

    def __init__(self, target_port, limit):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target_port, self.limit = target_port, limit
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.target_port))

        def back():
            try:
                while data := upstream.recv(65536):
                    client.sendall(data)
            except OSError:
                pass

        threading.Thread(target=back, daemon=True).start()
        sent = 0
        try:
            while data := client.recv(65536):
                sent += len(data)
                if sent > self.limit:
                    break
                upstream.sendall(data)
        except OSError:
            pass
        client.close()
        upstream.close()

    def close(self):
        self.listener.close()


def test_storage_failing_mid_upload_keeps_the_previous_latest(pg_site, s3):
    pg_site.manage(*SEED[:-1], "--submissions", "1500", "--no-progress")
    first = pg_site.manage("backup_db").stdout.split()[1]
    before = stored_keys(s3, pg_site.prefix)

    proxy = CuttingProxy(int(s3["endpoint"].rsplit(":", 1)[1]), limit=32 * 1024)
    try:
        env = {**pg_site.env, "BACKUP_S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"}
        result = manage_py(env, "backup_db", check=False)
    finally:
        proxy.close()
    assert result.returncode != 0
    assert "Backup failed" in result.stderr
    assert "ERROR" in result.stderr and "backup failed" in result.stderr  # the log line
    assert stored_keys(s3, pg_site.prefix) == before
    assert pg_site.manage("backup_db", "--list").stdout.split()[-1] == first


def test_wrong_credentials_fail_loudly(pg_site, s3):
    first = pg_site.manage("backup_db").stdout.split()[1]
    env = {**pg_site.env, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    result = manage_py(env, "backup_db", check=False)
    assert result.returncode != 0
    assert "Backup failed" in result.stderr
    assert "SignatureDoesNotMatch" in result.stderr or "InvalidAccessKeyId" in result.stderr
    assert pg_site.manage("backup_db", "--list").stdout.split()[-1] == first


def test_a_frozen_storage_fails_within_half_a_minute(pg_site):
    """An S3 that takes connections and never answers (a listener that never accepts, as a
    frozen server): the upload gives up in about 18 s (settings.S3_CLIENT_CONFIG), where a
    fault run saw 248 s; the rest is the command's start and the dump."""
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(64)  # the kernel completes connections; nobody reads them
        env = {
            **pg_site.env,
            "BACKUP_S3_ENDPOINT_URL": f"http://127.0.0.1:{frozen.getsockname()[1]}",
        }
        started = time.monotonic()
        result = manage_py(env, "backup_db", check=False)
        seconds = time.monotonic() - started
    assert result.returncode != 0
    assert "Backup failed" in result.stderr and "timeout" in result.stderr.lower()
    assert seconds < 30, seconds


def test_unreachable_storage_fails_loudly(pg_site):
    env = {**pg_site.env, "BACKUP_S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    result = manage_py(env, "backup_db", check=False)
    assert result.returncode != 0
    assert "Backup failed" in result.stderr and "Could not connect" in result.stderr


def test_sanitized_restore_keeps_counts_and_drops_identities(pg_site):
    """The whole inventory is checked column by column in tests/test_sanitize.py; this is
    the same through a real backup and restore."""
    pg_site.manage(*SEED)
    pg_site.sql("UPDATE auth_user SET email = username || '@customer.example'")
    pg_site.sql(
        "INSERT INTO authtoken_token (key, created, user_id)"
        " SELECT md5(id::text), now(), id FROM auth_user"
    )
    originals = pg_site.sql("SELECT username, email FROM auth_user")
    titles = pg_site.sql("SELECT title FROM surveys_survey")
    deleted = {"django_session", "authtoken_token", "axes_accesslog", "axes_accessattempt"}
    counts = {t: fp[0] for t, fp in table_fingerprints(pg_site).items() if t not in deleted}
    pg_site.manage("backup_db")
    out = pg_site.manage("restore_db", "--latest", "--yes", "--sanitize").stdout
    assert "Sanitized: 2 accounts, 2 tokens" in out

    after = pg_site.sql("SELECT username, email, password FROM auth_user")
    names = {value for row in originals for value in row}
    assert not names & {value for row in after for value in row[:2]}
    assert all(password.startswith("!") for _, _, password in after)
    assert not {t for (t,) in titles} & {
        t for (t,) in pg_site.sql("SELECT title FROM surveys_survey")
    }
    assert pg_site.sql("SELECT count(*) FROM authtoken_token") == [(0,)]
    assert {
        t: fp[0] for t, fp in table_fingerprints(pg_site).items() if t not in deleted
    } == counts


def test_restore_asks_first(pg_site):
    pg_site.manage("backup_db")
    result = pg_site.manage("restore_db", "--latest", check=False, stdin="n\n")
    assert result.returncode != 0 and "cancelled; nothing changed" in result.stderr


def sqlite_fingerprints(path):
    """Per table: row count and a hash of every row, in a stable order."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        fingerprints = {}
        for table in tables:
            rows = sorted(repr(row) for row in db.execute(f'SELECT * FROM "{table}"'))
            fingerprints[table] = (len(rows), hashlib.md5("|".join(rows).encode()).hexdigest())
    return fingerprints


def test_sqlite_round_trip_through_a_local_folder(tmp_path):
    database = tmp_path / "site.sqlite3"
    env = base_env(
        DATABASE_URL=f"sqlite:///{database}", BACKUP_DESTINATION=str(tmp_path / "backups")
    )
    site = Site(env, None)
    site.manage("migrate", "--noinput", "-v0")
    site.manage(*SEED)
    before = sqlite_fingerprints(database)
    assert before["surveys_answer"][0] == 2400
    key = site.manage("backup_db").stdout.split()[1]
    assert key.startswith("sqlite_site_") and (tmp_path / "backups" / f"{key}.sha256").exists()

    site.manage("setup_test_data", "--flush", "--users", "0", "--no-progress")
    assert sqlite_fingerprints(database)["surveys_answer"][0] == 0
    site.manage("restore_db", "--key", key, "--yes")
    assert sqlite_fingerprints(database) == before
    assert site.manage("shell", "-c", SUBMIT_ONE).stdout.split()[-1] == "True"
