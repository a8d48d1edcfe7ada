"""reset_db and scripts/restore-prod against real local databases."""

import subprocess
import uuid

from .conftest import ROOT, Site, base_env

COUNT = (
    "from django.contrib.auth.models import User; from surveys.models import Answer;"
    " print(User.objects.count(), Answer.objects.count())"
)
ADMIN = (
    "from django.contrib.auth.models import User;"
    " print(User.objects.get(username='admin').check_password('admin'))"
)


def test_reset_sqlite_with_seed(tmp_path):
    site = Site(base_env(DATABASE_URL=f"sqlite:///{tmp_path}/dev.sqlite3"), None)
    site.manage("migrate", "--noinput", "-v0")
    site.manage("load_demo_data")
    site.manage("reset_db", "--yes", "--seed")
    users, answers = site.manage("shell", "-c", COUNT).stdout.split()[-2:]
    assert (int(users), int(answers)) == (1 + 5, 5 * 3 * 200 * 5)  # admin + the default seed
    assert site.manage("shell", "-c", ADMIN).stdout.split()[-1] == "True"


def test_reset_postgres_drops_everything(postgres):
    name = f"dev_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)
    site = Site(base_env(DATABASE_URL=postgres.url(name)), postgres.url(name))
    site.manage("migrate", "--noinput", "-v0")
    site.manage("load_demo_data")
    site.sql("CREATE TABLE leftover (id int)")
    site.manage("reset_db", "--yes")
    assert site.sql("SELECT to_regclass('leftover')") == [(None,)]
    assert site.manage("shell", "-c", COUNT).stdout.split()[-2:] == ["1", "0"]


def test_restore_prod_pulls_a_sanitized_copy(pg_site, postgres, s3):
    pg_site.manage("load_demo_data")
    pg_site.manage("backup_db")
    local = f"laptop_{uuid.uuid4().hex[:8]}"
    postgres.create_database(local)
    env = {**pg_site.env, "DATABASE_URL": postgres.url(local)}
    result = subprocess.run(
        ["bash", "scripts/restore-prod"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    laptop = Site(env, postgres.url(local))
    assert laptop.sql("SELECT count(*) FROM surveys_answer") == pg_site.sql(
        "SELECT count(*) FROM surveys_answer"
    )
    assert laptop.sql("SELECT count(*) FROM auth_user WHERE username = 'demo'") == [(0,)]
    assert laptop.manage("shell", "-c", ADMIN).stdout.split()[-1] == "True"
