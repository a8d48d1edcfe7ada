import pytest
from django.test import Client

from dbtools.factories import PASSWORD, UserFactory, build_survey
from surveys.models import Survey

# Under CI=true a skip is a failure (tests/ci_plugin.py).
pytest_plugins = ["tests.ci_plugin"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counters and cached structures must not leak from one test to the next.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_tests(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests don't run collectstatic, so they can't use the hashed-name manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return _client_for(owner)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)


@pytest.fixture
def draft_survey(owner):
    return build_survey(owner=owner, title="Draft survey")


@pytest.fixture
def active_survey(owner):
    return build_survey(owner=owner, status=Survey.Status.ACTIVE, title="Running survey")


@pytest.fixture
def closed_survey(owner):
    return build_survey(owner=owner, status=Survey.Status.CLOSED, title="Closed survey")
