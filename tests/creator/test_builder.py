"""Building a draft: questions and options added, edited, moved and deleted; frozen once
started."""

import pytest
from django.urls import reverse

from dbtools.factories import (
    build_survey,
)
from surveys import errors, services
from surveys.models import (
    Option,
    Question,
    Survey,
)
from tests.helpers import database_state

pytestmark = pytest.mark.django_db


def test_edit_and_delete_questions_and_options_in_draft(alice_client, draft_survey):
    question = draft_survey.questions.first()
    option = question.options.first()

    alice_client.post(
        reverse("surveys:question_edit", args=[question.pk]),
        {"prompt": "Renamed?", "kind": "single", "required": "on"},
    )
    alice_client.post(reverse("surveys:option_edit", args=[option.pk]), {"text": "Changed"})
    question.refresh_from_db()
    option.refresh_from_db()
    assert (question.prompt, option.text) == ("Renamed?", "Changed")

    alice_client.post(reverse("surveys:option_delete", args=[option.pk]))
    assert not Option.objects.filter(pk=option.pk).exists()
    alice_client.post(reverse("surveys:question_delete", args=[question.pk]))
    assert not Question.objects.filter(pk=question.pk).exists()
    assert draft_survey.questions.count() == 1


def test_blank_texts_are_refused_with_a_message(alice_client, draft_survey):
    response = alice_client.post(reverse("surveys:create"), {"title": "   "})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    question = draft_survey.questions.first()
    before = question.options.count()
    response = alice_client.post(
        reverse("surveys:option_create", args=[question.pk]), {"text": ""}
    )
    assert b"This field is required." in response.content
    assert question.options.count() == before


def test_question_form_creates_each_kind(alice_client, alice):
    survey = build_survey(owner=alice, questions=0)
    url = reverse("surveys:question_create", args=[survey.pk])
    response = alice_client.post(
        url,
        {
            "prompt": "How many?",
            "kind": "number",
            "min_value": "1",
            "max_value": "10",
            "min_choices": "2",  # ignored: not a multiple choice
        },
    )
    assert response.url == reverse("surveys:edit", args=[survey.pk])
    question = survey.questions.get()
    assert (question.kind, question.required, question.min_value, question.min_choices) == (
        "number",
        False,
        1,
        None,
    )
    bad = alice_client.post(
        url, {"prompt": "Pick", "kind": "multiple", "min_choices": "3", "max_choices": "2"}
    )
    assert "Must not be below the lowest." in bad.content.decode()
    assert survey.questions.count() == 1
    option_page = alice_client.get(reverse("surveys:option_create", args=[question.pk]))
    assert option_page.status_code == 302  # a number question has no options


def test_move_questions_and_options_up_and_down(alice_client, alice):
    survey = build_survey(owner=alice, questions=3, options=3)
    first, second, third = survey.questions.all()
    alice_client.post(reverse("surveys:question_move", args=[third.pk, "up"]))
    assert list(survey.questions.all()) == [first, third, second]
    response = alice_client.post(reverse("surveys:question_move", args=[first.pk, "up"]))
    assert response.url.endswith(f"#question-{first.pk}")
    assert list(survey.questions.all()) == [first, third, second]  # already at the top
    a, b, c = first.options.all()
    alice_client.post(reverse("surveys:option_move", args=[a.pk, "down"]))
    assert list(first.options.all()) == [b, a, c]
    assert alice_client.get(reverse("surveys:option_move", args=[a.pk, "down"])).status_code == 405


def test_positions_are_appended(draft_survey):
    question = services.add_question(survey=draft_survey, prompt="Third?")
    assert list(draft_survey.questions.all())[-1] == question
    one = services.add_option(question=question, text="One")
    two = services.add_option(question=question, text="Two")
    assert list(question.options.all()) == [one, two]


def test_order_is_by_position_then_id_everywhere(draft_survey):
    question = Question.objects.create(survey=draft_survey, prompt="Tie", position=1)
    later = Option.objects.create(question=question, text="b", position=1)
    earlier = Option.objects.create(question=question, text="a", position=0)
    same_position = Option.objects.create(question=question, text="c", position=1)
    assert list(question.options.all()) == [earlier, later, same_position]
    first, *_ = draft_survey.questions.all()
    assert first.position == 1 and first.pk < question.pk


@pytest.mark.parametrize(
    "name, target, extra",
    [
        ("surveys:question_create", "survey", ()),
        ("surveys:question_edit", "question", ()),
        ("surveys:question_delete", "question", ()),
        ("surveys:question_move", "question", ("down",)),
        ("surveys:option_create", "question", ()),
        ("surveys:option_edit", "option", ()),
        ("surveys:option_delete", "option", ()),
        ("surveys:option_move", "option", ("down",)),
    ],
)
def test_structure_is_frozen_once_started(alice_client, active_survey, name, target, extra):
    """Every structure page of a started survey says why and goes back to its results,
    whatever the method; nothing changes."""
    question = active_survey.questions.first()
    obj = {"survey": active_survey, "question": question, "option": question.options.first()}[
        target
    ]
    before = database_state()
    methods = (alice_client.post,) if "move" in name else (alice_client.get, alice_client.post)
    for method in methods:
        response = method(
            reverse(name, args=[obj.pk, *extra]), {"prompt": "X", "text": "X"}, follow=True
        )
        assert response.redirect_chain[-1][0] == reverse(
            "surveys:results", args=[active_survey.pk]
        )
        assert b"can no longer change" in response.content
    assert database_state() == before


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
        services.start_survey(survey=active_survey)


def test_stale_draft_object_cannot_change_a_started_survey(draft_survey):
    stale = Survey.objects.get(pk=draft_survey.pk)
    question = draft_survey.questions.first()
    for q in draft_survey.questions.all():
        services.add_option(question=q, text="extra")
    services.start_survey(survey=draft_survey)
    assert stale.is_draft  # the in-memory copy still says draft; the lock re-reads the row
    with pytest.raises(errors.SurveyNotEditable):
        services.add_question(survey=stale, prompt="Sneaky?")
    with pytest.raises(errors.SurveyNotEditable):
        services.add_option(question=question, text="Sneaky")
