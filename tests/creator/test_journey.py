"""A creator's whole journey: sign up, build, start, read results, close."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from surveys.models import Question, Survey

pytestmark = pytest.mark.django_db


def test_sign_up_build_start_and_read_results(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "alice",
            "email": "alice@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("surveys:list")
    assert b"Hello alice" in response.content
    alice = get_user_model().objects.get(username="alice")

    response = client.post(reverse("surveys:create"), {"title": "Best snack"})
    survey = Survey.objects.get(owner=alice)
    assert survey.title == "Best snack" and survey.is_draft
    assert response.url == reverse("surveys:edit", args=[survey.pk])

    for prompt, options in [("Sweet or salty?", ["Sweet", "Salty"]), ("Size?", ["S", "M", "L"])]:
        response = client.post(
            reverse("surveys:question_create", args=[survey.pk]),
            {"prompt": prompt, "kind": "single", "required": "on"},
        )
        question = Question.objects.get(survey=survey, prompt=prompt)
        assert response.url == reverse("surveys:option_create", args=[question.pk])
        for text in options:
            client.post(reverse("surveys:option_create", args=[question.pk]), {"text": text})
        assert list(question.options.values_list("text", flat=True)) == options

    page = client.get(reverse("surveys:edit", args=[survey.pk]))
    assert [q.prompt for q in page.context["questions"]] == ["Sweet or salty?", "Size?"]
    assert page.context["problems"] == []

    response = client.post(reverse("surveys:start", args=[survey.pk]))
    assert response.url == reverse("surveys:share", args=[survey.pk])
    survey.refresh_from_db()
    assert survey.is_active and survey.started_at is not None

    share = client.get(response.url)
    public_url = "http://testserver" + reverse("public:start", args=[survey.public_token])
    assert public_url.encode() in share.content

    results = client.get(reverse("surveys:results", args=[survey.pk]))
    assert results.context["results"].submissions == 0
    assert b"<strong>0</strong> submissions" in results.content

    list_page = client.get(reverse("surveys:list"))
    assert list(list_page.context["surveys"]) == [survey]

    client.post(reverse("surveys:close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.is_closed and survey.closed_at is not None
