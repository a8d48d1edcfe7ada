"""A taker's whole journey, and the guarantees around it."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, Submission
from tests.helpers import WritesCaptured, answer_data, answer_url

pytestmark = pytest.mark.django_db


def test_open_link_answer_and_see_thanks(client, active_survey):
    start = client.get(reverse("public:start", args=[active_survey.public_token]))
    assert b"You have been invited to take this survey" in start.content
    assert answer_url(active_survey).encode() in start.content

    page = client.get(answer_url(active_survey))
    questions = list(active_survey.questions.prefetch_related("options"))
    for question in questions:
        assert question.prompt.encode() in page.content
    assert page.content.count(b'type="radio"') == sum(len(q.options.all()) for q in questions)
    assert page.content.count(b"<fieldset") == len(questions)

    data = answer_data(client, active_survey, pick=1)
    response = client.post(answer_url(active_survey), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "public:thanks", args=[active_survey.public_token]
    )
    assert b"Thank you!" in response.content

    submission = Submission.objects.get(survey=active_survey)
    stored = {a.question_id: a.option_id for a in submission.answers.all()}
    assert stored == {q.pk: list(q.options.all())[1].pk for q in questions}


def test_visiting_pages_writes_nothing(client, active_survey):
    with WritesCaptured() as captured:
        for name in ("public:start", "public:answer", "public:thanks"):
            assert client.get(reverse(name, args=[active_survey.public_token])).status_code == 200
    assert captured.writes == []
    assert Submission.objects.count() == 0


def test_replayed_post_stores_one_submission_and_thanks_again(client, active_survey):
    data = answer_data(client, active_survey)
    thanks = reverse("public:thanks", args=[active_survey.public_token])
    for _ in range(3):
        response = client.post(answer_url(active_survey), data)
        assert response.status_code == 302 and response.url == thanks
    assert Submission.objects.count() == 1
    assert Answer.objects.count() == active_survey.questions.count()


def test_answer_form_is_never_stored_by_shared_caches(client, active_survey):
    cache_control = client.get(answer_url(active_survey))["Cache-Control"]
    assert "private" in cache_control and "max-age=0" in cache_control


def test_each_browser_gets_its_own_token_and_keeps_it(client, active_survey):
    first = answer_data(client, active_survey)
    assert answer_data(client, active_survey)["token"] == first["token"]  # reload, back button
    other_browser = Client()
    second = answer_data(other_browser, active_survey)
    assert second["token"] != first["token"]
    client.post(answer_url(active_survey), first)
    other_browser.post(answer_url(active_survey), second)
    assert Submission.objects.count() == 2


def test_a_browser_that_answered_is_sent_to_thanks(client, active_survey):
    client.post(answer_url(active_survey), answer_data(client, active_survey))
    response = client.get(answer_url(active_survey))
    assert response.status_code == 302
    assert response.url == reverse("public:thanks", args=[active_survey.public_token])
    assert Submission.objects.count() == 1


def test_a_forged_taker_cookie_is_ignored(client, active_survey):
    client.cookies["canvass_taker"] = "0123456789abcdef0123456789abcdef:forged"
    form = client.get(answer_url(active_survey)).context["form"]
    assert not form.initial["token"].startswith("0123456789abcdef0123456789abcdef")


@pytest.mark.parametrize("name", ["public:start", "public:answer", "public:thanks"])
def test_draft_and_unknown_surveys_are_404(client, draft_survey, name):
    assert client.get(reverse(name, args=[draft_survey.public_token])).status_code == 404
    assert client.get(reverse(name, args=["no-such-token"])).status_code == 404


def test_draft_survey_refuses_posts(client, draft_survey):
    response = client.post(answer_url(draft_survey), {"token": "x"})
    assert response.status_code == 404
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("name", ["public:start", "public:answer"])
def test_closed_survey_says_so_with_410(client, closed_survey, name):
    response = client.get(reverse(name, args=[closed_survey.public_token]))
    assert response.status_code == 410
    assert b"This survey is closed" in response.content


def test_survey_closed_while_answering_refuses_the_post(client, alice_client, active_survey):
    data = answer_data(client, active_survey)
    alice_client.post(reverse("surveys:close", args=[active_survey.pk]))
    response = client.post(answer_url(active_survey), data)
    assert response.status_code == 410
    assert Submission.objects.count() == 0


def test_public_url_uses_an_unguessable_token_not_the_id(active_survey):
    url = active_survey.get_public_url()
    assert str(active_survey.pk) not in url.split("/")
    assert len(active_survey.public_token) >= 22  # 16 random bytes, base64url
