"""Every page answers its intended visitor."""

import pytest
from django.urls import reverse

from dbtools.factories import build_mixed_survey, build_survey
from surveys.models import Question, Survey
from tests.helpers import close_response


@pytest.fixture
def pages(alice, draft_survey, active_survey):
    question = draft_survey.questions.first()
    option = question.options.first()
    token = active_survey.public_token
    closed = build_survey(owner=alice, status=Survey.Status.CLOSED)
    mixed = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE)
    text = mixed.questions.get(kind=Question.KindChoices.SHORT_TEXT)
    return {
        "anonymous": [
            ("landing", [], 200),
            ("accounts:signup", [], 200),
            ("accounts:login", [], 200),
            ("accounts:password_reset", [], 200),
            ("accounts:password_reset_done", [], 200),
            ("accounts:password_reset_complete", [], 200),
            ("accounts:password_reset_confirm", ["MQ", "bad-token"], 200),
            ("accounts:verify_email", ["bad-token"], 400),
            ("api:schema", [], 200),
            ("api:docs", [], 200),
            ("accounts:settings", [], 302),
            ("public:start", [token], 200),
            ("public:answer", [token], 200),
            ("public:start", [mixed.public_token], 200),
            ("public:answer", [mixed.public_token], 200),
            ("public:thanks", [token], 200),
            ("public:start", [closed.public_token], 410),
            ("surveys:list", [], 302),
        ],
        "owner": [
            ("landing", [], 200),
            ("accounts:signup", [], 302),
            ("accounts:login", [], 302),
            ("surveys:list", [], 200),
            ("accounts:settings", [], 200),
            ("accounts:password_change", [], 200),
            ("surveys:my_data", [], 200),
            ("accounts:delete_account", [], 200),
            ("surveys:create", [], 200),
            ("surveys:edit", [draft_survey.pk], 200),
            ("surveys:rename", [active_survey.pk], 200),
            ("surveys:edit", [active_survey.pk], 200),
            ("surveys:edit", [closed.pk], 200),
            ("surveys:share", [draft_survey.pk], 200),
            ("surveys:share", [active_survey.pk], 200),
            ("surveys:share", [closed.pk], 200),
            ("surveys:settings", [draft_survey.pk], 200),
            ("surveys:settings", [active_survey.pk], 200),
            ("surveys:settings", [closed.pk], 200),
            ("surveys:danger", [active_survey.pk], 200),
            ("surveys:results", [draft_survey.pk], 200),
            ("surveys:results", [active_survey.pk], 200),
            ("surveys:results", [closed.pk], 200),
            ("surveys:results", [mixed.pk], 200),
            ("surveys:responses", [mixed.pk], 200),
            ("surveys:responses", [active_survey.pk], 200),
            ("surveys:question_answers", [text.pk], 200),
            ("surveys:export_csv", [active_survey.pk], 200),
            ("surveys:export_csv", [mixed.pk], 200),
            ("surveys:export_xlsx", [mixed.pk], 200),
            ("surveys:export_summary", [mixed.pk], 200),
            ("surveys:qr", [mixed.pk, "svg"], 200),
            ("surveys:delete", [draft_survey.pk], 200),
            ("surveys:question_create", [draft_survey.pk], 200),
            ("surveys:question_edit", [question.pk], 200),
            ("surveys:question_delete", [question.pk], 200),
            ("surveys:option_create", [question.pk], 200),
            ("surveys:option_edit", [option.pk], 200),
            ("surveys:option_delete", [option.pk], 200),
        ],
    }


def test_every_page_answers(client, alice_client, pages):
    clients = {"anonymous": client, "owner": alice_client}
    for who, urls in pages.items():
        for name, args, expected in urls:
            response = clients[who].get(reverse(name, args=args))
            close_response(response)
            assert response.status_code == expected, (who, name, args)


def test_admin_pages_answer_a_superuser(client, active_survey):
    from dbtools.factories import UserFactory

    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for model in ["survey", "question", "option", "submission"]:
        assert client.get(reverse(f"admin:surveys_{model}_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:surveys_survey_change", args=[active_survey.pk])).status_code
        == 200
    )


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
