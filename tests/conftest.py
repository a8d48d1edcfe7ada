"""Standing test personas and what they own, for every test module.

- alice is a creator: the draft, running and closed surveys below are hers;
- bob is another creator, who must never see or change alice's things;

Every one logs in with `password`. A permission test is then a few lines: act as bob on
alice's survey, expect a 404 and an unchanged database.
"""

import socket

import pytest
from django.test import Client

from dbtools.factories import PASSWORD, UserFactory, build_mixed_survey, build_survey
from surveys.models import Survey
from tests.helpers import api_client

# Under CI=true a skip is a failure (tests/ci_plugin.py).
pytest_plugins = ["tests.ci_plugin"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counters and cached structures must not leak from one test to the next.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        # Tests don't run collectstatic, so they can't use the hashed-name manifest.
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        # Each test's private files (exports) in its own folder.
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


# The names RFC 2606 keeps for examples resolve here, without DNS (adding a webhook
# resolves its host): example.com's and *.example's to a public address, *.invalid's to
# nothing. Every other name resolves as usual.
EXAMPLE_ADDRESS = "93.184.216.34"


@pytest.fixture(autouse=True)
def _example_names_resolve_without_dns(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = str(host).lower().rstrip(".")
        if name.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if name == "example.com" or name.endswith((".example.com", ".example")):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (EXAMPLE_ADDRESS, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", email="bob@example.com")


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return _client_for(alice)


@pytest.fixture
def bob_client(bob):
    return _client_for(bob)


@pytest.fixture
def alice_api(alice):
    return api_client(alice)


@pytest.fixture
def bob_api(bob):
    return api_client(bob)


@pytest.fixture
def draft_survey(alice):
    return build_survey(owner=alice, title="Draft survey")


@pytest.fixture
def active_survey(alice):
    return build_survey(owner=alice, status=Survey.Status.ACTIVE, title="Running survey")


@pytest.fixture
def closed_survey(alice):
    return build_survey(owner=alice, status=Survey.Status.CLOSED, title="Closed survey")


@pytest.fixture
def mixed_survey(alice):
    """Alice's running survey with one question of every kind."""
    return build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE)
