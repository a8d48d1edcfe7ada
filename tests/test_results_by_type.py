"""Results for every kind of question, the filter by one answer, the text answers and the
per-response pages."""

import random
import statistics
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from dbtools.factories import build_mixed_survey
from surveys import services, tallies
from surveys.models import Answer, Option, Question, Submission, Survey
from surveys.results import results_for

pytestmark = pytest.mark.django_db
Kind = Question.Kind


@pytest.fixture
def survey(owner):
    return build_mixed_survey(owner=owner, status=Survey.Status.ACTIVE)


def by_kind(survey):
    return {q.kind: q for q in survey.questions.prefetch_related("options")}


def submit(survey, **answers):
    """Answers keyed by kind name; required ones not given get a default."""
    q = by_kind(survey)
    defaults = {
        Kind.SINGLE: q[Kind.SINGLE].options.first().pk,
        Kind.MULTIPLE: [q[Kind.MULTIPLE].options.first().pk],
        Kind.SHORT_TEXT: "ok",
        Kind.NUMBER: 1,
        Kind.RATING_5: 3,
    }
    values = {**defaults, **{Kind(kind): value for kind, value in answers.items()}}
    services.submit_response(
        survey=survey,
        token=uuid.uuid4().hex,
        answers={q[kind].pk: value for kind, value in values.items()},
    )


def result(results, kind):
    return next(r for r in results.questions if r.kind == kind)


def test_ratings_numbers_and_nps(survey):
    for rating, nps, number in [(1, 0, 1), (2, 6, 2), (2, 7, 3), (5, 9, 100)]:
        submit(survey, rating_5=rating, nps=nps, number=number)
    submit(survey, nps=10, rating_5=5, number="2.25")
    submit(survey, nps=10, rating_5=5, number=2)
    results = results_for(survey)

    rating = result(results, Kind.RATING_5)
    assert [(b.label, b.count) for b in rating.bars] == [
        ("1", 1),
        ("2", 2),
        ("3", 0),
        ("4", 0),
        ("5", 3),
    ]
    assert rating.stats.mean == Decimal("3.33") and rating.stats.median == Decimal("3.5")

    nps = result(results, Kind.NPS)
    # 0 and 6 detract, 7 is passive, 9 10 10 promote: (3 - 2) / 6 → 17
    assert nps.stats.nps == 17 and nps.stats.median == 8 and nps.answered == 6
    assert [b.label for b in nps.bars] == [str(n) for n in range(11)]

    number = result(results, Kind.NUMBER)
    values = [1, 2, 3, 100, Decimal("2.25"), 2]
    assert number.stats.mean == Decimal("18.38")  # 110.25 / 6 = 18.375
    assert number.stats.median == Decimal(statistics.median(values))
    assert (number.stats.lowest, number.stats.highest) == (1, 100)
    assert sum(b.count for b in number.bars) == 6
    assert result(results, Kind.RATING_10).stats is None  # optional, never answered


def test_many_distinct_numbers_are_grouped_in_round_ranges(survey):
    for value in range(0, 100, 3):
        submit(survey, number=value)
    bars = result(results_for(survey), Kind.NUMBER).bars
    assert bars[0].label == "0 to under 20" and len(bars) == 5
    assert sum(b.count for b in bars) == len(range(0, 100, 3))


def test_multiple_choice_percentages_are_of_those_who_answered(survey):
    first, second, *_ = by_kind(survey)[Kind.MULTIPLE].options.all()
    submit(survey, multiple=[first.pk, second.pk])
    submit(survey, multiple=[first.pk])
    bars = result(results_for(survey), Kind.MULTIPLE).bars
    assert [(b.count, b.percent) for b in bars[:2]] == [(2, 100.0), (1, 50.0)]


def test_text_results_show_the_newest_answers_and_how_many(survey):
    for n in range(5):
        submit(survey, short_text=f"answer {n}")
    text = result(results_for(survey), Kind.SHORT_TEXT)
    assert text.answered == 5 and text.texts == ("answer 4", "answer 3", "answer 2")


def recount(survey, submissions):
    """The filtered numbers, counted in Python from the stored rows."""
    answers = list(Answer.objects.filter(submission__in=submissions))
    answered, chosen, numbers = {}, {}, {}
    for a in answers:
        answered.setdefault(a.question_id, set()).add(a.submission_id)
        if a.option_id:
            chosen[a.option_id] = chosen.get(a.option_id, 0) + 1
        if a.number is not None:
            numbers.setdefault(a.question_id, []).append(a.number)
    return len(submissions), {k: len(v) for k, v in answered.items()}, chosen, numbers


def test_filtered_results_equal_a_recount_of_the_filtered_submissions(survey):
    rng = random.Random(7)
    q = by_kind(survey)
    multiple = [o.pk for o in q[Kind.MULTIPLE].options.all()]
    for _ in range(60):
        submit(
            survey,
            single=rng.choice([o.pk for o in q[Kind.SINGLE].options.all()]),
            multiple=rng.sample(multiple, rng.randint(1, 2)),
            number=rng.randint(0, 100),
            rating_5=rng.randint(1, 5),
            **({"nps": rng.randint(0, 10)} if rng.random() < 0.7 else {}),
        )
    assert tallies.recount([survey]) == []
    for option in Option.objects.filter(question__survey=survey):
        filtered = list(Submission.objects.filter(survey=survey, answers__option=option))
        n, answered, chosen, numbers = recount(survey, filtered)
        results = results_for(survey, chose=option)
        assert results.submissions == n
        for question in results.questions:
            assert question.answered == answered.get(question.pk, 0)
            if question.has_options:
                assert [b.count for b in question.bars] == [
                    chosen.get(pk, 0)
                    for pk in Option.objects.filter(question=question.pk).values_list(
                        "pk", flat=True
                    )
                ]
            if question.pk in numbers:
                values = numbers[question.pk]
                assert question.stats.count == len(values)
                assert question.stats.mean == (sum(values) / len(values)).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
                assert question.stats.median == Decimal(statistics.median(values))


def test_results_page_filter(owner_client, survey):
    option = by_kind(survey)[Kind.SINGLE].options.last()
    submit(survey, single=option.pk, short_text="chosen")
    submit(survey, short_text="other")
    url = reverse("surveys:results", args=[survey.pk])
    page = owner_client.get(url, {"chose": option.pk})
    assert page.context["results"].submissions == 1
    assert "Showing the 1 of 2 responses that chose" in page.content.decode()
    assert page.context["total"] == 2
    assert result(page.context["results"], Kind.SHORT_TEXT).texts == ("chosen",)


@pytest.mark.parametrize("chose", ["abc", "-1", "99999999"])
def test_filter_by_a_foreign_or_bad_option_is_404(owner_client, survey, outsider, chose):
    assert (
        owner_client.get(
            reverse("surveys:results", args=[survey.pk]), {"chose": chose}
        ).status_code
        == 404
    )


def test_filter_by_another_users_option_is_404(owner_client, survey, outsider):
    foreign = build_mixed_survey(owner=outsider).questions.first().options.first()
    for name in ("surveys:results", "surveys:responses"):
        response = owner_client.get(reverse(name, args=[survey.pk]), {"chose": foreign.pk})
        assert response.status_code == 404


def test_text_answers_page_searches_and_pages(owner_client, survey):
    for n in range(30):
        submit(survey, short_text=f"{'Apple' if n % 3 == 0 else 'pear'} number {n}")
    url = reverse("surveys:question_answers", args=[by_kind(survey)[Kind.SHORT_TEXT].pk])
    first = owner_client.get(url)
    assert first.context["page"].paginator.count == 30
    assert len(first.context["page"]) == 25 and first.context["page"][0][0] == "pear number 29"
    assert len(owner_client.get(url, {"page": 2}).context["page"]) == 5
    found = owner_client.get(url, {"search": "apple"})
    assert found.context["page"].paginator.count == 10
    assert all("Apple" in text for text, _ in found.context["page"])


def test_text_answers_page_is_only_for_text_questions(owner_client, survey):
    single = by_kind(survey)[Kind.SINGLE]
    assert (
        owner_client.get(reverse("surveys:question_answers", args=[single.pk])).status_code == 404
    )


def test_responses_page_shows_every_answer_of_each_submission(owner_client, survey):
    q = by_kind(survey)
    first, second, *_ = q[Kind.MULTIPLE].options.all()
    submit(survey, multiple=[first.pk, second.pk], short_text="Hello <b>", number="7.50")
    page = owner_client.get(reverse("surveys:responses", args=[survey.pk]))
    ((_, answers),) = page.context["responses"]
    shown = {question.kind: answer for question, answer in answers}
    assert shown[Kind.MULTIPLE] == f"{first.text}; {second.text}"
    assert shown[Kind.NUMBER] == "7.5" and shown[Kind.LONG_TEXT] == ""
    assert "Hello &lt;b&gt;" in page.content.decode()
