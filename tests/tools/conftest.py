"""Real services for the data tools: a throwaway PostgreSQL cluster and moto's standalone S3
server on loopback, with authentication on, so wrong credentials are really refused."""

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import boto3
import psycopg
import pytest

from scripts.stack import MissingService, PostgresCluster, free_port, wait_for_port
from tests.helpers import manage_py

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "canvass-backups"
ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.fixture(scope="session")
def postgres():
    with tempfile.TemporaryDirectory(prefix="canvass-tools-") as tmp:
        os.chmod(tmp, 0o755)
        try:
            cluster = PostgresCluster(Path(tmp) / "postgres", durable=False).start()
        except MissingService as exc:
            pytest.skip(str(exc))
        yield cluster
        cluster.stop()


@pytest.fixture(scope="session")
def s3():
    """Endpoint and a valid access key for moto's S3 server, with a bucket made."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # The first four calls (the set-up below) need no signature; every later one does.
    server = subprocess.Popen(
        [Path(sys.executable).parent / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server)
        anonymous = {
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "x",
            "aws_secret_access_key": "x",
        }
        iam = boto3.client("iam", **anonymous)
        iam.create_user(UserName="canvass-backup")
        iam.put_user_policy(
            UserName="canvass-backup", PolicyName="s3", PolicyDocument=json.dumps(ALLOW_S3)
        )
        key = iam.create_access_key(UserName="canvass-backup")["AccessKey"]
        credentials = {
            "aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": key["SecretAccessKey"],
        }
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
        client.create_bucket(Bucket=BUCKET)
        yield {"endpoint": endpoint, "client": client, **credentials}
    finally:
        server.terminate()
        server.wait()


class Site:
    """A Canvass database and backup destination, driven through manage.py like an operator."""

    def __init__(self, env, database_url):
        self.env = env
        self.database_url = database_url

    def manage(self, *args, **kwargs):
        return manage_py(self.env, *args, **kwargs)

    def sql(self, statement, *params):
        with psycopg.connect(self.database_url) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else None


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "AWS_"))}
    return {**env, "DEBUG": "true", "HTTPS": "false", **extra}


@pytest.fixture
def pg_site(postgres, s3):
    name = f"site_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)
    url = postgres.url(name)
    prefix = f"prod-{uuid.uuid4().hex[:6]}"
    env = base_env(
        DATABASE_URL=url,
        BACKUP_DESTINATION=f"s3://{BUCKET}/{prefix}",
        BACKUP_S3_ENDPOINT_URL=s3["endpoint"],
        BACKUP_S3_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=s3["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=s3["aws_secret_access_key"],
    )
    site = Site(env, url)
    site.prefix = prefix
    site.manage("migrate", "--noinput", "-v0")
    return site
