"""Download my data, and delete my account."""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dbtools.factories import add_submissions, build_survey
from surveys.models import Answer, Submission, Survey
from tests.helpers import LOGIN, close_response

pytestmark = pytest.mark.django_db


def test_download_contains_exactly_my_surveys_and_responses(client, alice, bob):
    mine = build_survey(owner=alice, status="active", title="=SUM(A1) mine")
    add_submissions(mine, 3)
    draft = build_survey(owner=alice, title="My draft")
    theirs = build_survey(owner=bob, status="active", title="Theirs")
    add_submissions(theirs, 4)
    client.force_login(alice)
    response = client.get(reverse("surveys:my_data"))
    assert response["Content-Disposition"] == 'attachment; filename="canvass-alice.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    close_response(response)
    names = sorted(archive.namelist())
    assert names == sorted(
        ["account.json"]
        + [
            f"surveys/{s.pk}-{slug}.{ext}"
            for s, slug in [(mine, "suma1-mine"), (draft, "my-draft")]
            for ext in ("json", "csv")
        ]
    )
    assert json.loads(archive.read("account.json"))["email"] == "alice@example.com"
    structure = json.loads(archive.read(f"surveys/{mine.pk}-suma1-mine.json"))
    assert [q["prompt"] for q in structure["questions"]] == list(
        mine.questions.values_list("prompt", flat=True)
    )
    rows = list(
        csv.reader(
            io.StringIO(archive.read(f"surveys/{mine.pk}-suma1-mine.csv").decode("utf-8-sig"))
        )
    )
    assert len(rows) == 1 + 3 and len(rows[0]) == 2 + 2
    assert "Theirs" not in str(names) and b"Theirs" not in b"".join(archive.read(n) for n in names)


def test_delete_account_needs_the_password_and_removes_only_mine(client, alice, bob, password):
    mine = build_survey(owner=alice, status="active")
    add_submissions(mine, 5)
    theirs = build_survey(owner=bob, status="active")
    add_submissions(theirs, 2)
    client.force_login(alice)
    page = client.get(reverse("accounts:delete_account"))
    assert b"5 responses" in page.content and b"for good" in page.content
    assert (
        client.post(reverse("accounts:delete_account"), {"password": "wrong"}).status_code == 400
    )
    assert get_user_model().objects.filter(pk=alice.pk).exists()

    response = client.post(reverse("accounts:delete_account"), {"password": password})
    assert response.url == reverse("landing")
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert list(Survey.objects.all()) == [theirs]
    assert (
        Submission.objects.count() == 2
        and Answer.objects.filter(submission__survey=theirs).count() == 4
    )
    assert client.get(reverse("surveys:list")).url.startswith(LOGIN)
