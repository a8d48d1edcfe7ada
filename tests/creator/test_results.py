"""The results page: counts, percentages and statistics for every kind, and the filter
by one answer."""

import random
import statistics
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from dbtools.factories import build_mixed_survey
from surveys import responses, tallies
from surveys.answers import clean_answers
from surveys.models import Answer, Option, Question, Submission
from surveys.results import results_for
from tests.helpers import by_kind, submit_mixed

pytestmark = pytest.mark.django_db

KindChoices = Question.KindChoices


def result(results, kind):
    return next(r for r in results.questions if r.kind == kind)


def recount(mixed_survey, submissions):
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


def test_results_show_counts_and_percentages(alice_client, active_survey):
    first, second = (list(q.options.all()) for q in active_survey.questions.all())
    # Question 1: three takers chose its first option, one its second; question 2: all its third.
    for n in range(4):
        responses.submit_response(
            survey=active_survey,
            token=f"taker-{n}",
            answers=clean_answers(
                active_survey,
                {
                    first[0].question_id: first[0 if n < 3 else 1].pk,
                    second[0].question_id: second[2].pk,
                },
            ),
        )
    response = alice_client.get(reverse("surveys:results", args=[active_survey.pk]))
    results = response.context["results"]
    assert results.submissions == 4
    q1, q2 = results.questions
    assert [(o.count, o.percent) for o in q1.bars] == [(3, 75.0), (1, 25.0), (0, 0.0)]
    assert [(o.count, o.percent) for o in q2.bars] == [(0, 0.0), (0, 0.0), (4, 100.0)]
    assert b"75%" in response.content and b"(3)" in response.content


def test_results_with_no_submissions_show_zero_percent(alice_client, active_survey):
    response = alice_client.get(reverse("surveys:results", args=[active_survey.pk]))
    assert response.context["results"].submissions == 0
    assert all(o.percent == 0 for q in response.context["results"].questions for o in q.bars)
    assert b"0%" in response.content


def test_ratings_numbers_and_nps(mixed_survey):
    for rating, nps, number in [(1, 0, 1), (2, 6, 2), (2, 7, 3), (5, 9, 100)]:
        submit_mixed(mixed_survey, rating_5=rating, nps=nps, number=number)
    submit_mixed(mixed_survey, nps=10, rating_5=5, number="2.25")
    submit_mixed(mixed_survey, nps=10, rating_5=5, number=2)
    results = results_for(mixed_survey)

    rating = result(results, KindChoices.RATING_5)
    assert [(b.label, b.count) for b in rating.bars] == [
        ("1", 1),
        ("2", 2),
        ("3", 0),
        ("4", 0),
        ("5", 3),
    ]
    assert rating.stats.mean == Decimal("3.33") and rating.stats.median == Decimal("3.5")

    nps = result(results, KindChoices.NPS)
    # 0 and 6 detract, 7 is passive, 9 10 10 promote: (3 - 2) / 6 → 17
    assert nps.stats.nps == 17 and nps.stats.median == 8 and nps.answered == 6
    assert [b.label for b in nps.bars] == [str(n) for n in range(11)]

    number = result(results, KindChoices.NUMBER)
    values = [1, 2, 3, 100, Decimal("2.25"), 2]
    assert number.stats.mean == Decimal("18.38")  # 110.25 / 6 = 18.375
    assert number.stats.median == Decimal(statistics.median(values))
    assert (number.stats.lowest, number.stats.highest) == (1, 100)
    assert sum(b.count for b in number.bars) == 6
    assert result(results, KindChoices.RATING_10).stats is None  # optional, never answered


def test_many_distinct_numbers_are_grouped_in_round_ranges(mixed_survey):
    for value in range(0, 100, 3):
        submit_mixed(mixed_survey, number=value)
    bars = result(results_for(mixed_survey), KindChoices.NUMBER).bars
    assert bars[0].label == "0 to under 20" and len(bars) == 5
    assert sum(b.count for b in bars) == len(range(0, 100, 3))


def test_multiple_choice_percentages_are_of_those_who_answered(mixed_survey):
    first, second, *_ = by_kind(mixed_survey)[KindChoices.MULTIPLE].options.all()
    submit_mixed(mixed_survey, multiple=[first.pk, second.pk])
    submit_mixed(mixed_survey, multiple=[first.pk])
    bars = result(results_for(mixed_survey), KindChoices.MULTIPLE).bars
    assert [(b.count, b.percent) for b in bars[:2]] == [(2, 100.0), (1, 50.0)]


def test_text_results_show_the_newest_answers_and_how_many(mixed_survey):
    for n in range(5):
        submit_mixed(mixed_survey, short_text=f"answer {n}")
    text = result(results_for(mixed_survey), KindChoices.SHORT_TEXT)
    assert text.answered == 5 and text.texts == ("answer 4", "answer 3", "answer 2")


def test_filtered_results_equal_a_recount_of_the_filtered_submissions(mixed_survey):
    rng = random.Random(7)
    q = by_kind(mixed_survey)
    multiple = [o.pk for o in q[KindChoices.MULTIPLE].options.all()]
    for _ in range(60):
        submit_mixed(
            mixed_survey,
            single=rng.choice([o.pk for o in q[KindChoices.SINGLE].options.all()]),
            multiple=rng.sample(multiple, rng.randint(1, 2)),
            number=rng.randint(0, 100),
            rating_5=rng.randint(1, 5),
            **({"nps": rng.randint(0, 10)} if rng.random() < 0.7 else {}),
        )
    assert tallies.recount([mixed_survey]) == []
    for option in Option.objects.filter(question__survey=mixed_survey):
        filtered = list(Submission.objects.filter(survey=mixed_survey, answers__option=option))
        n, answered, chosen, numbers = recount(mixed_survey, filtered)
        results = results_for(mixed_survey, chose=option)
        assert results.submissions == n
        for question in results.questions:
            assert question.answered == answered.get(question.pk, 0)
            if question.filterable:
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


def test_results_page_filter(alice_client, mixed_survey):
    option = by_kind(mixed_survey)[KindChoices.SINGLE].options.last()
    submit_mixed(mixed_survey, single=option.pk, short_text="chosen")
    submit_mixed(mixed_survey, short_text="other")
    url = reverse("surveys:results", args=[mixed_survey.pk])
    page = alice_client.get(url, {"chose": option.pk})
    assert page.context["results"].submissions == 1
    assert "Showing the 1 of 2 responses that chose" in page.content.decode()
    assert page.context["total"] == 2
    assert result(page.context["results"], KindChoices.SHORT_TEXT).texts == ("chosen",)


@pytest.mark.parametrize("chose", ["abc", "-1", "99999999"])
def test_filter_by_a_foreign_or_bad_option_is_404(alice_client, mixed_survey, bob, chose):
    assert (
        alice_client.get(
            reverse("surveys:results", args=[mixed_survey.pk]), {"chose": chose}
        ).status_code
        == 404
    )


def test_filter_by_another_users_option_is_404(alice_client, mixed_survey, bob):
    foreign = build_mixed_survey(owner=bob).questions.first().options.first()
    for name in ("surveys:results", "surveys:responses"):
        response = alice_client.get(reverse(name, args=[mixed_survey.pk]), {"chose": foreign.pk})
        assert response.status_code == 404
