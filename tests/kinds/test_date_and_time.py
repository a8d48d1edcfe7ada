"""Date and time-of-day questions everywhere a kind goes: the answer form and the API (the
same rule), results counted per day, week, month or year with earliest, median and latest,
the per-response page, exports, a respondent's edit form, the builder and new versions."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from surveys import services
from surveys.forms import AnswerForm
from surveys.kinds.dates import date_counts, span_stats
from surveys.models import Answer, Question, Submission
from surveys.results import results_for
from surveys.structure import survey_structure
from tests.helpers import answer_url, by_kind, question_of, submit_mixed

pytestmark = pytest.mark.django_db

KindChoices = Question.KindChoices


def post_with(client, survey, **values):
    """The answer form with the required questions answered and `values` (by kind)."""
    q = by_kind(survey)
    form = client.get(answer_url(survey)).context["form"]
    data = {
        "token": form.initial["token"],
        f"q_{q[KindChoices.SINGLE].pk}": str(q[KindChoices.SINGLE].options.first().pk),
        f"q_{q[KindChoices.MULTIPLE].pk}": str(q[KindChoices.MULTIPLE].options.first().pk),
        f"q_{q[KindChoices.SHORT_TEXT].pk}": "ok",
        f"q_{q[KindChoices.NUMBER].pk}": "1",
        f"q_{q[KindChoices.RATING_5].pk}": "3",
    }
    data.update({f"q_{q[kind].pk}": value for kind, value in values.items()})
    return client.post(answer_url(survey), data)


def test_dates_and_times_are_stored_as_iso_text(client, mixed_survey):
    response = post_with(
        client, mixed_survey, **{KindChoices.DATE: "2026-11-28", KindChoices.TIME: "09:05"}
    )
    assert response.status_code == 302
    stored = dict(
        Answer.objects.filter(question__kind__in=[KindChoices.DATE, KindChoices.TIME]).values_list(
            "question__kind", "text"
        )
    )
    assert stored == {KindChoices.DATE: "2026-11-28", KindChoices.TIME: "09:05"}


def test_the_form_draws_native_controls_with_the_range(client, mixed_survey):
    page = client.get(answer_url(mixed_survey)).content.decode()
    date_q, time_q = (
        question_of(mixed_survey, KindChoices.DATE),
        question_of(mixed_survey, KindChoices.TIME),
    )
    assert f'name="q_{date_q.pk}" id="id_q_{date_q.pk}" type="date"' in page
    assert 'min="2026-01-01"' in page and "A date from 1 January 2026 on." in page
    assert f'name="q_{time_q.pk}" id="id_q_{time_q.pk}" type="time"' in page


@pytest.mark.parametrize(
    "kind, value, message",
    [
        (KindChoices.DATE, "28/11/2026", "Enter a date as year-month-day, like 2026-11-28."),
        (KindChoices.DATE, "2026-1-5", "Enter a date as year-month-day"),
        (KindChoices.DATE, "20261128", "Enter a date as year-month-day"),
        (KindChoices.DATE, "２０２６-１１-２８", "Enter a date as year-month-day"),
        (KindChoices.DATE, "2026-11-28T10:00", "Enter a date as year-month-day"),
        (KindChoices.DATE, "2026-02-30", "There is no such date."),
        (KindChoices.DATE, "2026-13-01", "There is no such date."),
        (KindChoices.DATE, "0000-01-01", "There is no such date."),
        (KindChoices.DATE, "2025-12-31", "Enter 1 January 2026 or later."),
        (KindChoices.TIME, "9:30", "Enter a time as hours:minutes, like 14:30."),
        (KindChoices.TIME, "14:30:00", "Enter a time as hours:minutes"),
        (KindChoices.TIME, "24:00", "There is no such time of day."),
        (KindChoices.TIME, "12:60", "There is no such time of day."),
        (KindChoices.TIME, "noon", "Enter a time as hours:minutes"),
    ],
)
def test_malformed_or_out_of_range_is_asked_again_and_nothing_is_stored(
    client, mixed_survey, kind, value, message
):
    response = post_with(client, mixed_survey, **{kind: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Submission.objects.count() == 0 and Answer.objects.count() == 0


def test_latest_date_is_enforced(client, mixed_survey):
    mixed_survey.questions.filter(kind=KindChoices.DATE).update(max_date=date(2026, 12, 31))
    response = post_with(client, mixed_survey, **{KindChoices.DATE: "2027-01-01"})
    assert "Enter 31 December 2026 or earlier." in response.content.decode()
    assert post_with(client, mixed_survey, **{KindChoices.DATE: "2026-12-31"}).status_code == 302


def test_the_api_takes_dates_as_text_by_the_same_rule(mixed_survey):
    q = by_kind(mixed_survey)
    answers = [
        {
            "questionId": q[KindChoices.SINGLE].pk,
            "optionId": q[KindChoices.SINGLE].options.first().pk,
        },
        {
            "questionId": q[KindChoices.MULTIPLE].pk,
            "optionIds": [q[KindChoices.MULTIPLE].options.first().pk],
        },
        {"questionId": q[KindChoices.SHORT_TEXT].pk, "text": "ok"},
        {"questionId": q[KindChoices.NUMBER].pk, "number": 5},
        {"questionId": q[KindChoices.RATING_5].pk, "number": 4},
    ]
    url = f"/api/v1/public/surveys/{mixed_survey.public_token}/responses/"

    def submit(key, value):
        extra = [{"questionId": q[KindChoices.DATE].pk, "text": value}]
        return APIClient().post(
            url, {"answers": answers + extra}, format="json", HTTP_IDEMPOTENCY_KEY=key
        )

    refused = submit("bad", "2026-02-30")
    assert refused.status_code == 400 and "There is no such date." in str(refused.json())
    assert submit("good", "2026-03-01").status_code == 201
    assert Answer.objects.get(question=q[KindChoices.DATE]).text == "2026-03-01"


@pytest.mark.parametrize(
    "first, last, labels",
    [
        ("2026-11-28", "2026-11-30", ["28 November 2026", "29 November 2026", "30 November 2026"]),
        ("2026-10-07", "2026-11-18", ["Week of 5 October 2026", None, "Week of 16 November 2026"]),
        ("2026-01-31", "2026-12-01", ["January 2026", None, "December 2026"]),
        ("1990-05-01", "2026-11-28", ["1990", "2026"]),
    ],
)
def test_dates_are_counted_per_day_week_month_or_year_by_their_spread(first, last, labels):
    counts = date_counts([(first, 2), (last, 1)])
    assert counts[0] == (labels[0], 2) and counts[-1] == (labels[-1], 1)
    if None in labels:  # the buckets in between are there, at zero
        assert len(counts) > 2 and all(n == 0 for _, n in counts[1:-1])
    else:
        assert len(counts) == len(labels)


@given(
    st.lists(
        st.tuples(st.dates(date(1, 1, 1), date(9999, 12, 31)), st.integers(1, 50)),
        min_size=1,
        max_size=30,
        unique_by=lambda pair: pair[0],
    )
)
def test_date_counts_keep_every_answer_in_a_few_dozen_bars(pairs):
    distribution = sorted((day.isoformat(), n) for day, n in pairs)
    counts = date_counts(distribution)
    assert sum(n for _, n in counts) == sum(n for _, n in pairs)
    assert len(counts) <= max(40, len(pairs))
    stats = span_stats(distribution)
    assert stats.earliest == distribution[0][0] and stats.latest == distribution[-1][0]
    assert stats.earliest <= stats.median <= stats.latest


def test_results_count_dates_and_times_with_their_span(mixed_survey):
    for day, time in [("2026-12-05", "09:15"), ("2026-12-05", "09:45"), ("2026-12-07", "11:00")]:
        submit_mixed(mixed_survey, **{KindChoices.DATE: day, KindChoices.TIME: time})
    results = {r.kind: r for r in results_for(mixed_survey).questions}
    dates, times = results[KindChoices.DATE], results[KindChoices.TIME]
    assert [(b.label, b.count) for b in dates.bars] == [
        ("5 December 2026", 2),
        ("6 December 2026", 0),
        ("7 December 2026", 1),
    ]
    assert (dates.span.earliest, dates.span.median, dates.span.latest) == (
        "2026-12-05",
        "2026-12-05",
        "2026-12-07",
    )
    assert [(b.label, b.count) for b in times.bars] == [
        ("09:00–09:59", 2),
        ("10:00–10:59", 0),
        ("11:00–11:59", 1),
    ]
    assert times.span.median == "09:45" and dates.stats is None and not dates.is_text


def test_results_page_api_and_exports_show_them(alice_client, alice_api, mixed_survey):
    submit_mixed(mixed_survey, **{KindChoices.DATE: "2026-12-05", KindChoices.TIME: "18:30"})
    page = alice_client.get(reverse("surveys:results", args=[mixed_survey.pk])).content.decode()
    assert "5 December 2026" in page and "<dt>Earliest</dt><dd>2026-12-05</dd>" in page
    api = alice_api.get(f"/api/v1/surveys/{mixed_survey.pk}/results/").json()
    by_prompt = {q["kind"]: q for q in api["questions"]}
    assert by_prompt["date"]["span"] == {
        "count": 1,
        "earliest": "2026-12-05",
        "median": "2026-12-05",
        "latest": "2026-12-05",
    }
    assert by_prompt["number"]["span"] is None
    export = alice_client.get(reverse("surveys:export_csv", args=[mixed_survey.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    header, row = rows[0], rows[1]
    assert row[header.index("Date?")] == "2026-12-05"
    assert row[header.index("Time of day?")] == "18:30"
    responses = alice_client.get(reverse("surveys:responses", args=[mixed_survey.pk]))
    assert "2026-12-05" in responses.content.decode()


def test_a_respondent_edits_a_date(client, mixed_survey):
    mixed_survey.respondents_can_edit = True
    mixed_survey.save()
    post_with(client, mixed_survey, **{KindChoices.DATE: "2026-12-05"})
    submission = Submission.objects.get()
    form = AnswerForm.for_response(submission, questions=survey_structure(mixed_survey))
    assert form.initial[f"q_{question_of(mixed_survey, KindChoices.DATE).pk}"] == "2026-12-05"


def test_the_builder_sets_a_date_range_and_refuses_one_backwards(alice_client, draft_survey):
    url = reverse("surveys:question_create", args=[draft_survey.pk])
    backwards = {
        "prompt": "When?",
        "kind": "date",
        "required": "on",
        "min_date": "2026-12-31",
        "max_date": "2026-01-01",
    }
    response = alice_client.post(url, backwards)
    assert response.status_code == 200 and "Must not be below the lowest." in response.text
    assert not draft_survey.questions.filter(kind=KindChoices.DATE).exists()
    alice_client.post(url, {**backwards, "min_date": "2026-01-01", "max_date": "2026-12-31"})
    question = draft_survey.questions.get(kind=KindChoices.DATE)
    assert (question.min_date, question.max_date) == (date(2026, 1, 1), date(2026, 12, 31))
    assert question.kind_def.describe(question) == [
        "from 1 January 2026",
        "up to 31 December 2026",
    ]


def test_a_new_version_keeps_the_range(alice, mixed_survey):
    mixed_survey.questions.filter(kind=KindChoices.DATE).update(max_date=date(2026, 6, 1))
    services.close_survey(survey=mixed_survey)
    draft = services.new_version(survey=mixed_survey)
    question = draft.questions.get(kind=KindChoices.DATE)
    assert (question.min_date, question.max_date) == (date(2026, 1, 1), date(2026, 6, 1))


def test_the_question_api_takes_and_shows_the_range(alice_api, draft_survey):
    response = alice_api.post(
        f"/api/v1/surveys/{draft_survey.pk}/questions/",
        {"prompt": "When?", "kind": "date", "minDate": "2026-01-01", "maxDate": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "maxDate" in response.json()
    response = alice_api.post(
        f"/api/v1/surveys/{draft_survey.pk}/questions/",
        {"prompt": "When?", "kind": "date", "minDate": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["minDate"] == "2026-01-01"


def test_the_public_api_shows_the_range(mixed_survey):
    public = APIClient().get(f"/api/v1/public/surveys/{mixed_survey.public_token}/").json()
    (question,) = [q for q in public["questions"] if q["kind"] == "date"]
    assert (question["minDate"], question["maxDate"]) == ("2026-01-01", None)
