"""Rules the database and the services enforce whatever the caller."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dbtools.factories import OptionFactory, QuestionFactory, SurveyFactory, build_survey
from surveys import errors, services, tallies
from surveys.models import (
    Answer,
    Option,
    OptionTally,
    Question,
    QuestionTally,
    Submission,
    Survey,
    SurveyTally,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "make",
    [
        lambda: SurveyFactory(title="  "),
        lambda: QuestionFactory(prompt=""),
        lambda: OptionFactory(text="   "),
        lambda: SurveyFactory(status="running"),
    ],
)
def test_database_refuses_blank_texts_and_bad_status(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_database_allows_each_option_once_and_one_text_or_number_per_submission(active_survey):
    question = active_survey.questions.first()
    a, b, _ = question.options.all()
    submission = Submission.objects.create(survey=active_survey, token="t")
    Answer.objects.create(submission=submission, question=question, option=a)
    Answer.objects.create(submission=submission, question=question, option=b)  # multiple choice
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(submission=submission, question=question, option=a)
    other = active_survey.questions.last()
    Answer.objects.create(submission=submission, question=other, text="first")
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(submission=submission, question=other, number=3)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"text": "x", "number": 1},
        {"option_index": 0, "text": "x"},
        {"option_index": 0, "number": 1},
    ],
)
def test_database_wants_exactly_one_value_per_answer(active_survey, values):
    question = active_survey.questions.first()
    submission = Submission.objects.create(survey=active_survey, token="t")
    values = dict(values)
    if "option_index" in values:
        values["option"] = question.options.all()[values.pop("option_index")]
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(submission=submission, question=question, **values)


def test_database_allows_a_token_once_per_survey(active_survey, owner):
    Submission.objects.create(survey=active_survey, token="t")
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(survey=active_survey, token="t")
    other = build_survey(owner=owner, status="active")
    Submission.objects.create(survey=other, token="t")


def test_public_tokens_are_unique_and_long():
    tokens = {SurveyFactory().public_token for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) >= 22 for token in tokens)


def test_order_is_by_position_then_id_everywhere(draft_survey):
    question = Question.objects.create(survey=draft_survey, prompt="Tie", position=1)
    later = Option.objects.create(question=question, text="b", position=1)
    earlier = Option.objects.create(question=question, text="a", position=0)
    same_position = Option.objects.create(question=question, text="c", position=1)
    assert list(question.options.all()) == [earlier, later, same_position]
    first, *_ = draft_survey.questions.all()
    assert first.position == 1 and first.pk < question.pk


def test_positions_are_appended(draft_survey):
    question = services.add_question(survey=draft_survey, prompt="Third?")
    assert list(draft_survey.questions.all())[-1] == question
    one = services.add_option(question=question, text="One")
    two = services.add_option(question=question, text="Two")
    assert list(question.options.all()) == [one, two]


def test_publish_requires_questions_with_two_options(owner):
    survey = SurveyFactory(owner=owner)
    with pytest.raises(ValidationError, match="Add at least one question"):
        services.publish_survey(survey=survey)
    question = services.add_question(survey=survey, prompt="Q?")
    services.add_option(question=question, text="Only")
    with pytest.raises(ValidationError, match="needs at least 2 options"):
        services.publish_survey(survey=survey)
    services.add_option(question=question, text="Another")
    services.publish_survey(survey=survey)
    survey.refresh_from_db()
    assert survey.is_active


def test_structure_services_refuse_a_started_survey(active_survey):
    question = active_survey.questions.first()
    option = question.options.first()
    calls = [
        lambda: services.add_question(survey=active_survey, prompt="New?"),
        lambda: services.update_question(question=question, prompt="Changed?"),
        lambda: services.delete_question(question=question),
        lambda: services.add_option(question=question, text="New"),
        lambda: services.update_option(option=option, text="Changed"),
        lambda: services.delete_option(option=option),
    ]
    for call in calls:
        with pytest.raises(errors.SurveyNotEditable):
            call()
    question.refresh_from_db()
    option.refresh_from_db()
    assert question.prompt != "Changed?" and option.text != "Changed"
    assert active_survey.questions.count() == 2
    with pytest.raises(errors.WrongStatus, match="already started"):
        services.publish_survey(survey=active_survey)


def test_stale_draft_object_cannot_change_a_started_survey(draft_survey):
    stale = Survey.objects.get(pk=draft_survey.pk)
    question = draft_survey.questions.first()
    for q in draft_survey.questions.all():
        services.add_option(question=q, text="extra")
    services.publish_survey(survey=draft_survey)
    assert stale.is_draft  # the in-memory copy still says draft; the lock re-reads the row
    with pytest.raises(errors.SurveyNotEditable):
        services.add_question(survey=stale, prompt="Sneaky?")
    with pytest.raises(errors.SurveyNotEditable):
        services.add_option(question=question, text="Sneaky")


def choices_for(survey, pick=0):
    return {
        q.pk: list(q.options.all())[pick].pk for q in survey.questions.prefetch_related("options")
    }


def test_submit_requires_every_question_exactly_once(active_survey):
    choices = choices_for(active_survey)
    incomplete = dict(list(choices.items())[:1])
    with pytest.raises(ValidationError, match="Please answer this question"):
        services.submit_response(survey=active_survey, token=uuid.uuid4().hex, answers=incomplete)
    with pytest.raises(ValidationError):
        services.submit_response(survey=active_survey, token=uuid.uuid4().hex, answers={})
    extra = {**choices, 10**9: 1}
    with pytest.raises(ValidationError):
        services.submit_response(survey=active_survey, token=uuid.uuid4().hex, answers=extra)
    assert Submission.objects.count() == 0


def test_submit_refuses_an_option_of_another_question(active_survey):
    choices = choices_for(active_survey)
    q1, q2 = choices
    swapped = {q1: choices[q2], q2: choices[q1]}
    with pytest.raises(ValidationError, match="not one of this question's options"):
        services.submit_response(survey=active_survey, token="x", answers=swapped)
    assert Submission.objects.count() == 0


def test_submit_refuses_draft_and_closed(draft_survey, closed_survey):
    for survey in (draft_survey, closed_survey):
        with pytest.raises(errors.SurveyClosed):
            services.submit_response(survey=survey, token="x", answers=choices_for(survey))
    assert Submission.objects.count() == 0


def test_submit_twice_returns_the_first(active_survey):
    first, created = services.submit_response(
        survey=active_survey, token="once", answers=choices_for(active_survey, 0)
    )
    again, created_again = services.submit_response(
        survey=active_survey, token="once", answers=choices_for(active_survey, 1)
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert {a.option_id for a in first.answers.all()} == set(
        choices_for(active_survey, 0).values()
    )


def test_close_only_a_running_survey(draft_survey, active_survey):
    with pytest.raises(errors.WrongStatus):
        services.close_survey(survey=draft_survey)
    services.close_survey(survey=active_survey)
    active_survey.refresh_from_db()
    assert active_survey.is_closed


class Boom(RuntimeError):
    pass


def _boom(*args, **kwargs):
    raise Boom("a later step failed")


@pytest.mark.parametrize("step", ["answers", "tallies"])
def test_a_failure_after_the_submission_row_leaves_nothing(active_survey, monkeypatch, step):
    """The submission, its answers and its tallies are one transaction: if a later step
    fails, the submission row goes too (a submission without answers would be counted)."""
    if step == "answers":
        monkeypatch.setattr(Answer.objects, "bulk_create", _boom)
    else:
        monkeypatch.setattr(tallies, "count_submission", _boom)
    choices = {q.pk: q.options.first().pk for q in active_survey.questions.all()}
    with pytest.raises(Boom):
        services.submit_response(survey=active_survey, token="t", answers=choices)
    assert Submission.objects.count() == Answer.objects.count() == 0
    assert not SurveyTally.objects.exists()
    assert not QuestionTally.objects.exists() and not OptionTally.objects.exists()
