"""Things only ever done to a developer's own database, guarded so they can't reach another."""

import sqlite3
from pathlib import Path

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection

LOCAL_ADMIN_PASSWORD = "admin"  # documented, local only: refused unless DEBUG is on
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


def ensure_local():
    if not settings.DEBUG:
        raise CommandError("Refusing: DEBUG is off, so this may be a production database.")
    host = str(settings.DATABASES["default"].get("HOST") or "")
    if host not in LOCAL_HOSTS and not host.startswith("/"):
        raise CommandError(
            f"Refusing: the database host {host!r} is not this machine. "
            "Only a local database may be reset."
        )


def recreate_database():
    ensure_local()
    database = settings.DATABASES["default"]
    connection.close()
    if connection.vendor == "sqlite":
        path = Path(database["NAME"])
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        sqlite3.connect(path).close()
    elif connection.vendor == "postgresql":
        params = {
            "dbname": "postgres",
            "user": database.get("USER") or None,
            "password": database.get("PASSWORD") or None,
            "host": database.get("HOST") or None,
            "port": database.get("PORT") or None,
        }
        name = psycopg.sql.Identifier(database["NAME"])
        with psycopg.connect(autocommit=True, **params) as admin:
            admin.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(name))
    else:
        raise CommandError(f"Resetting a {connection.vendor} database is not supported.")


def ensure_local_admin():
    ensure_local()
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@localhost"})
    admin.is_staff = admin.is_superuser = True
    admin.set_password(LOCAL_ADMIN_PASSWORD)
    admin.save()
    return admin
