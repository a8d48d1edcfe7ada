"""Every page, in Chromium: no serious or critical WCAG 2.2 A/AA violation (axe-core), and
on a 375-px phone no sideways scrolling and tap targets of at least 24 by 24 px."""

import pytest
from django.urls import reverse

from dbtools.factories import add_submissions, build_mixed_survey, build_survey
from integrations import services as integrations
from integrations.models import Attempt, Delivery, EmailNotification
from integrations.services import unsubscribe_token
from surveys import responses, tasks
from surveys.answers import clean_answers
from surveys.models import Export, Question, Survey

from .conftest import axe_violations, log_in, phone_problems

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(alice):
    draft = build_survey(owner=alice, title="Office move feedback")
    active = build_survey(owner=alice, status=Survey.Status.ACTIVE, title="Team offsite 2027")
    add_submissions(active, 37)
    closed = build_survey(owner=alice, status=Survey.Status.CLOSED, title="Last year's poll")
    question = draft.questions.first()
    option = question.options.first()
    mixed = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE, title="Every kind")
    mixed_draft = build_mixed_survey(owner=alice, title="Every kind, draft")
    kinds = {q.kind: q for q in mixed.questions.prefetch_related("options")}
    for n in range(12):
        responses.submit_response(
            survey=mixed,
            token=f"t{n}",
            answers=clean_answers(
                mixed,
                {
                    kinds["single"].pk: kinds["single"].options.first().pk,
                    kinds["multiple"].pk: [kinds["multiple"].options.last().pk],
                    kinds["short_text"].pk: f"Answer number {n}",
                    kinds["number"].pk: n * 7,
                    kinds["rating_5"].pk: 1 + n % 5,
                    kinds["nps"].pk: n % 11,
                },
            ),
        )
    chose = kinds["single"].options.first().pk
    done, _ = tasks.start_export(survey=active, format="csv")  # built in-process
    running = Export.objects.create(
        survey=mixed, format="xlsx", status="running", rows_total=12, rows_done=5
    )
    failed = Export.objects.create(
        survey=closed, format="csv", status="failed", error="The worker stopped."
    )
    # A webhook with an attempt of every outcome in its log (nothing is sent here).
    endpoint = integrations.add_endpoint(
        survey=active, url="https://hooks.example.com/canvass", events=["response.submitted"]
    )
    delivery = Delivery.objects.get(pk=integrations.send_test_event(endpoint=endpoint))
    for outcome in Attempt.Outcome.values:
        Attempt.objects.create(
            delivery=delivery,
            outcome=outcome,
            status_code={"success": 200, "status": 413}.get(outcome),
            response_excerpt="<html><body>413 Request Entity Too Large</body></html>",
            detail="" if outcome in ("success", "status") else f"what {outcome} means",
        )
    notification = EmailNotification.objects.create(survey=active, each_response=True)
    return {
        "public": [
            reverse("landing"),
            reverse("accounts:signup"),
            reverse("accounts:login"),
            reverse("accounts:password_reset"),
            reverse("accounts:password_reset_done"),
            reverse("accounts:password_reset_confirm", args=["MQ", "expired-token"]),
            reverse("public:start", args=[active.public_token]),
            reverse("public:answer", args=[active.public_token]),
            reverse("public:thanks", args=[active.public_token]),
            reverse("public:start", args=[closed.public_token]),
            reverse("public:answer", args=[mixed.public_token]),
            reverse("integrations:unsubscribe", args=[unsubscribe_token(notification)]),
            reverse("integrations:unsubscribe", args=["not-a-signed-token"]),
            "/no-such-page/",
        ],
        "creator": [
            reverse("surveys:list"),
            reverse("accounts:settings"),
            reverse("accounts:password_change"),
            reverse("accounts:delete_account"),
            reverse("surveys:create"),
            reverse("surveys:edit", args=[draft.pk]),
            reverse("surveys:delete", args=[draft.pk]),
            reverse("surveys:question_create", args=[draft.pk]),
            reverse("surveys:question_edit", args=[question.pk]),
            reverse("surveys:question_delete", args=[question.pk]),
            reverse("surveys:option_create", args=[question.pk]),
            reverse("surveys:option_edit", args=[option.pk]),
            reverse("surveys:option_delete", args=[option.pk]),
            reverse("surveys:results", args=[active.pk]),
            reverse("surveys:results", args=[closed.pk]),
            reverse("surveys:results", args=[draft.pk]),
            reverse("surveys:results", args=[mixed.pk]),
            f"{reverse('surveys:results', args=[mixed.pk])}?chose={chose}",
            reverse("surveys:responses", args=[mixed.pk]),
            reverse("surveys:edit", args=[active.pk]),
            reverse("surveys:share", args=[active.pk]),
            reverse("surveys:share", args=[closed.pk]),
            reverse("surveys:share", args=[draft.pk]),
            reverse("surveys:settings", args=[active.pk]),
            reverse("surveys:settings", args=[closed.pk]),
            reverse("surveys:danger", args=[active.pk]),
            reverse("surveys:exports", args=[active.pk]),
            reverse("surveys:export_detail", args=[done.pk]),
            reverse("surveys:export_detail", args=[running.pk]),
            reverse("surveys:export_detail", args=[failed.pk]),
            reverse("surveys:question_answers", args=[kinds["short_text"].pk]),
            reverse("surveys:rename", args=[mixed.pk]),
            reverse("integrations:survey", args=[active.pk]),
            reverse("integrations:endpoint", args=[endpoint.pk]),
            reverse("integrations:endpoint", args=[endpoint.pk]) + "?failed=1",
            reverse("integrations:endpoint_delete", args=[endpoint.pk]),
            reverse("surveys:edit", args=[mixed_draft.pk]),
            reverse(
                "surveys:question_edit",
                args=[mixed_draft.questions.get(kind=Question.KindChoices.NUMBER).pk],
            ),
        ],
    }


def check_every_page(page, paths):
    found = {}
    for path in paths:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(path)
        problems = axe_violations(page) + phone_problems(page)
        if problems:
            found[path] = problems
    return found


def test_public_pages(page, site):
    assert check_every_page(page, site["public"]) == {}


def test_creator_pages(page, context, live_server, alice, site):
    log_in(context, live_server, alice)
    assert check_every_page(page, site["creator"]) == {}


def test_pages_with_form_errors(page, context, live_server, alice, active_survey):
    page.goto(reverse("public:answer", args=[active_survey.public_token]))
    page.get_by_role("button", name="Submit").click()
    assert page.get_by_text("Please check the answers marked below").is_visible()
    assert axe_violations(page) == [] and phone_problems(page) == []

    mixed = build_mixed_survey(owner=alice, status=Survey.Status.ACTIVE)
    page.goto(reverse("public:answer", args=[mixed.public_token]))
    page.get_by_label("Number?").fill("1000")
    page.get_by_role("button", name="Submit").click()
    assert page.get_by_text("Enter 100 or less.").is_visible()
    assert page.get_by_label("Number?").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == [] and phone_problems(page) == []

    log_in(context, live_server, alice)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(reverse("surveys:create"))
    page.get_by_role("button", name="Create survey").click()
    assert page.get_by_text("This field is required.").is_visible()
    assert axe_violations(page) == [] and phone_problems(page) == []


def test_the_checks_catch_real_problems(page, live_server):
    """The two checks fail on a page that is broken in the ways they look for."""
    page.set_content(
        "<html><body><img src='x.png'><input type='text'>"
        "<div style='width: 900px'>wide</div><button style='width:10px;height:10px'>x</button>"
        "</body></html>"
    )
    assert any(v.startswith(("image-alt", "label")) for v in axe_violations(page))
    problems = phone_problems(page)
    assert any("scrolls sideways" in p for p in problems)
    assert any("small target" in p for p in problems)
