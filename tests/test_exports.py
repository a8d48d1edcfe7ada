"""The responses CSV: what a spreadsheet user gets back is what takers chose."""

import csv
import io

import pytest
from django.urls import reverse

from surveys import services
from surveys.factories import OptionFactory, QuestionFactory, SurveyFactory
from surveys.models import Survey

pytestmark = pytest.mark.django_db

TEXTS = [
    '=HYPERLINK("http://evil")',
    "+1",
    "-2",
    "@cmd",
    "\tTab",
    'Plain, with "quotes"',
    "😀 émoji",
    "مرحبا",
]


def test_csv_round_trip_neutralises_formulas_and_keeps_unicode(owner_client, owner):
    survey = SurveyFactory(owner=owner, title="Fun: export/test", status=Survey.Status.DRAFT)
    question = QuestionFactory(survey=survey, prompt="=Pick one", position=1)
    options = [
        OptionFactory(question=question, text=text, position=n) for n, text in enumerate(TEXTS)
    ]
    survey.status = Survey.Status.ACTIVE
    survey.save()
    for n, option in enumerate(options):
        services.submit_response(survey=survey, token=f"t{n}", answers={question.pk: option.pk})

    response = owner_client.get(reverse("surveys:export_csv", args=[survey.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="fun-exporttest-responses.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["submission", "submitted_at", "'=Pick one"]
    exported = [row[2] for row in rows[1:]]
    expected = [f"'{t}" if t[0] in "=+-@\t" else t for t in TEXTS]
    assert exported == expected
