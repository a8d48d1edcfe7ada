"""Exports: what a spreadsheet user gets back is what takers answered."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dbtools.factories import OptionFactory, QuestionFactory, SurveyFactory, build_mixed_survey
from surveys import responses
from surveys.answers import clean_answers
from surveys.exports import XLSX_CONTENT_TYPE
from surveys.models import Question, Survey
from tests.helpers import close_response

pytestmark = pytest.mark.django_db

KindChoices = Question.KindChoices


TEXTS = [
    '=HYPERLINK("http://evil")',
    "bell\x07 inside",
    "+1",
    "-2",
    "@cmd",
    "\tTab",
    'Plain, with "quotes"',
    "😀 émoji",
    "مرحبا",
]


@pytest.fixture
def mixed(alice):
    survey = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE, title="Mixed bag")
    q = {question.kind: question for question in survey.questions.prefetch_related("options")}
    first, second, third, _ = q[KindChoices.MULTIPLE].options.all()
    for n, text in enumerate(TEXTS):
        responses.submit_response(
            survey=survey,
            token=f"t{n}",
            answers=clean_answers(
                survey,
                {
                    q[KindChoices.SINGLE].pk: q[KindChoices.SINGLE].options.first().pk,
                    # ticked out of order: exported in the question's order
                    q[KindChoices.MULTIPLE].pk: [second.pk, first.pk] if n == 0 else [third.pk],
                    q[KindChoices.SHORT_TEXT].pk: text,
                    q[KindChoices.NUMBER].pk: "12.50" if n == 0 else n,
                    q[KindChoices.RATING_5].pk: 1 + n % 5,
                    **(
                        {
                            q[KindChoices.RANKING].pk: [
                                o.pk for o in q[KindChoices.RANKING].options.all()
                            ][::-1],
                            # rows 1 and 3 on the agreement scale: "Agree", "Strongly disagree"
                            q[KindChoices.MATRIX].pk: {
                                str(row.pk): point
                                for row, point in zip(
                                    q[KindChoices.MATRIX].options.all()[::2], (4, 1), strict=True
                                )
                            },
                        }
                        if n == 0
                        else {}
                    ),
                },
            ),
        )
    return survey, q


def test_csv_round_trip_neutralises_formulas_and_keeps_unicode(alice_client, alice):
    survey = SurveyFactory(owner=alice, title="Fun: export/test", status=Survey.Status.DRAFT)
    question = QuestionFactory(survey=survey, prompt="=Pick one", position=1)
    options = [
        OptionFactory(question=question, text=text, position=n) for n, text in enumerate(TEXTS)
    ]
    survey.status = Survey.Status.ACTIVE
    survey.save()
    for n, option in enumerate(options):
        responses.submit_response(
            survey=survey, token=f"t{n}", answers=clean_answers(survey, {question.pk: option.pk})
        )

    response = alice_client.get(reverse("surveys:export_csv", args=[survey.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="fun-exporttest-responses.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["submission", "submitted_at", "'=Pick one"]
    exported = [row[2] for row in rows[1:]]
    expected = [f"'{t}" if t[0] in "=+-@\t" else t for t in TEXTS]
    assert exported == expected


def test_csv_of_every_kind(alice_client, mixed):
    survey, q = mixed
    response = alice_client.get(reverse("surveys:export_csv", args=[survey.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, first = rows[0], rows[1]
    # A matrix takes a column per row, a ranking one per place, the others one each.
    statements = [o.text for o in q[KindChoices.MATRIX].options.all()]
    ranked = [o.text for o in q[KindChoices.RANKING].options.all()]
    expected, column = [], {}
    for kind, question in q.items():
        column[kind] = 2 + len(expected)
        if kind == KindChoices.MATRIX:
            expected += [f"{question.prompt} [{row}]" for row in statements]
        elif kind == KindChoices.RANKING:
            expected += [f"{question.prompt} [place {n}]" for n in (1, 2, 3)]
        else:
            expected.append(question.prompt)
    assert header[2:] == expected
    matrix_cells = first[column[KindChoices.MATRIX] : column[KindChoices.MATRIX] + 3]
    assert matrix_cells == ["Agree", "", "Strongly disagree"]
    assert first[column[KindChoices.RANKING] : column[KindChoices.RANKING] + 3] == ranked[::-1]
    for later in rows[2:]:  # left out by the others
        assert later[column[KindChoices.MATRIX] : column[KindChoices.MATRIX] + 3] == [""] * 3
        assert later[column[KindChoices.RANKING] : column[KindChoices.RANKING] + 3] == [""] * 3
    first_two = [o.text for o in q[KindChoices.MULTIPLE].options.all()][:2]
    assert first[column[KindChoices.MULTIPLE]] == "; ".join(first_two)
    assert first[column[KindChoices.NUMBER]] == "12.5"
    assert first[column[KindChoices.SHORT_TEXT]] == "'" + TEXTS[0]
    assert first[column[KindChoices.LONG_TEXT]] == ""  # optional, left out
    assert [row[column[KindChoices.RATING_5]] for row in rows[1:]] == [
        str(1 + n % 5) for n in range(len(TEXTS))
    ]


def test_xlsx_keeps_numbers_as_numbers_and_formulas_as_text(alice_client, mixed):
    survey, q = mixed
    response = alice_client.get(reverse("surveys:export_xlsx", args=[survey.pk]))
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert 'filename="mixed-bag-responses.xlsx"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    close_response(response)
    sheet = load_workbook(io.BytesIO(body), read_only=True)["Responses"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    column = {kind: 2 + n for n, kind in enumerate(q)}
    assert len(rows) == 1 + len(TEXTS)
    # as typed (trimmed when stored), never run; control characters XML can't hold replaced
    assert [row[column[KindChoices.SHORT_TEXT]] for row in rows[1:]] == [
        t.strip().replace("\x07", "\ufffd") for t in TEXTS
    ]
    assert rows[1][column[KindChoices.NUMBER]] == 12.5 and rows[2][column[KindChoices.NUMBER]] == 1
    assert isinstance(rows[1][0], int)
    raw = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in raw  # no cell is a formula


def test_summary_csv(alice_client, mixed):
    survey, q = mixed
    response = alice_client.get(reverse("surveys:export_summary", args=[survey.pk]))
    assert 'filename="mixed-bag-summary.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["question", "type", "answer", "count", "percent"]
    assert rows[1] == ["(all)", "", "responses", str(len(TEXTS)), ""]
    single = f"1. {q[KindChoices.SINGLE].prompt}"
    first_option = q[KindChoices.SINGLE].options.first().text
    assert [single, "Single choice", first_option, str(len(TEXTS)), "100.0"] in rows
    rating = f"6. {q[KindChoices.RATING_5].prompt}"
    # 1 2 3 4 5 1 2 3 4: 25 / 9
    assert [rating, "Rating 1–5", "mean", "2.78", ""] in rows
    assert [rating, "Rating 1–5", "median", "3", ""] in rows
    assert [f"3. {q[KindChoices.SHORT_TEXT].prompt}", "Short text", "answered", "9", ""] in rows
