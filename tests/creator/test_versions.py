"""New versions of a started survey: the link moves on, stored answers keep their
questions."""

import pytest
from django.urls import reverse

from surveys import errors, services
from surveys.models import Answer, Submission, Survey
from tests.helpers import answer_data, answer_url

pytestmark = pytest.mark.django_db


def prompts(survey):
    return list(survey.questions.values_list("prompt", flat=True))


def test_a_new_version_takes_over_the_link_and_old_answers_keep_their_questions(
    alice_client, client, active_survey
):
    client.post(answer_url(active_survey), answer_data(client, active_survey))
    stored = list(
        Answer.objects.values_list("question__prompt", "option__text").order_by("question_id")
    )
    token = active_survey.public_token

    response = alice_client.post(reverse("surveys:new_version", args=[active_survey.pk]))
    draft = Survey.objects.get(previous_version=active_survey)
    assert response.url == reverse("surveys:edit", args=[draft.pk])
    assert draft.is_draft and draft.version == 2 and prompts(draft) == prompts(active_survey)
    # Asking again continues the same draft.
    alice_client.post(reverse("surveys:new_version", args=[active_survey.pk]))
    assert Survey.objects.filter(previous_version=active_survey).count() == 1

    first = draft.questions.first()
    alice_client.post(
        reverse("surveys:question_edit", args=[first.pk]),
        {"prompt": "A different question?", "kind": "single", "required": "on"},
    )
    alice_client.post(reverse("surveys:start", args=[draft.pk]))
    draft.refresh_from_db()
    active_survey.refresh_from_db()

    assert draft.is_active and draft.public_token == token
    assert active_survey.is_closed and active_survey.public_token != token
    # The old answers still point at the questions their takers saw, unchanged.
    assert (
        list(
            Answer.objects.values_list("question__prompt", "option__text").order_by("question_id")
        )
        == stored
    )
    assert Answer.objects.filter(question__survey=draft).count() == 0
    # The shared link now serves the new questions.
    page = client.get(answer_url(draft))
    assert "A different question?" in page.content.decode()
    results = alice_client.get(reverse("surveys:results", args=[active_survey.pk]))
    assert "It was replaced by" in results.content.decode()
    assert results.context["results"].submissions == 1


def test_a_replaced_version_gets_no_second_successor(alice, active_survey):
    draft = services.new_version(survey=active_survey)
    services.start_survey(survey=draft)
    active_survey.refresh_from_db()
    with pytest.raises(errors.WrongStatus):
        services.new_version(survey=active_survey)


def test_a_taker_mid_form_when_the_version_changes_is_asked_again(client, active_survey):
    """Their answers are to questions the link no longer serves: nothing is stored under
    the wrong questions, and they get the new form with a clear message."""
    link = answer_url(active_survey)
    data = answer_data(client, active_survey)
    new = services.new_version(survey=active_survey)
    new.questions.update(prompt="Reworded?")
    services.start_survey(survey=new)
    response = client.post(link, data)
    assert response.status_code == 400
    assert "didn't match this survey" in response.content.decode()
    assert "Reworded?" in response.content.decode()
    assert Submission.objects.count() == 0
