"""Both journeys as a person does them, in Chromium against a live server."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from surveys.models import Submission, Survey

from .conftest import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_creator_signs_up_builds_starts_and_reads_results(page, live_server):
    page.goto("/")
    page.get_by_role("button", name="Create a survey").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password:", exact=True).fill("a-long-pass-phrase")
    page.get_by_label("Password confirmation").fill("a-long-pass-phrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Hello alice")).to_be_visible()

    page.get_by_role("button", name="Create survey").click()
    page.get_by_label("Survey title").fill("Lunch")
    page.get_by_role("button", name="Create survey").click()
    # The inline builder: questions and options typed in place, saved as they are typed.
    for number, (prompt, options) in enumerate(
        [("Pizza or pasta?", ["Pizza", "Pasta"]), ("Dessert?", ["Yes", "No", "Maybe"])], start=1
    ):
        page.get_by_role("button", name="Add question").click()
        page.keyboard.type(prompt)
        for text in options:
            page.get_by_label(f"New option for question {number}").fill(text)
            page.keyboard.press("Enter")
    page.get_by_label("Type of the new question").select_option(label="Rating 1–5")
    page.get_by_role("button", name="Add question").click()
    page.keyboard.type("How hungry are you?")
    page.get_by_role("button", name="Move question 3 up").click()
    expect(page.locator(".save-state")).to_have_text("All changes saved")
    page.get_by_role("button", name="Start survey").click()
    expect(page.get_by_role("heading", name="Started")).to_be_visible()
    page.get_by_role("link", name="Share it").click()
    expect(page.get_by_role("heading", name="Survey link")).to_be_visible()
    link = page.get_by_label("Send this link to the people you want to ask").input_value()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert link.startswith(live_server.url + "/s/")
    survey = Survey.objects.get(owner__username="alice")
    assert survey.is_active and survey.questions.count() == 3
    workspace = page.url  # the Share tab, where starting leads

    page.goto(link)
    page.get_by_role("button", name="Start survey").click()
    page.get_by_label("Pizza").check()
    page.get_by_label("4", exact=True).check()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()

    page.goto(workspace)
    tabs = page.get_by_role("navigation", name="This survey")
    tabs.get_by_role("link", name="Results").click()
    expect(tabs.get_by_role("link", name="Results")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Mean")).to_be_visible()
    page.get_by_label("Show only takers who chose").select_option(label="Pasta")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Showing the 0 of 1 response that chose “Pasta”")).to_be_visible()
    page.get_by_role("link", name="Show everyone").click()
    tabs.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Close survey").click()
    expect(page.get_by_text("Survey closed.")).to_be_visible()
    assert get_user_model().objects.filter(username="alice").exists()


def test_taker_answers_with_the_keyboard_only(page, active_survey):
    page.goto(active_survey.get_public_url())
    page.keyboard.press("Tab")  # skip link
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    # From the main content, Tab reaches the start button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Start survey"
    page.keyboard.press("Enter")
    expect(page.get_by_role("group").first).to_be_visible()

    first, second = active_survey.questions.all()
    page.keyboard.press("Tab")  # the skip link again, on the new page
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # first radio of question 1
    assert page.evaluate("document.activeElement.name") == f"q_{first.pk}"
    outline, shadow = page.evaluate(
        "(s => [s.outlineStyle, s.boxShadow])(getComputedStyle(document.activeElement))"
    )
    assert outline != "none" or shadow != "none", "the focused radio shows no focus ring"
    page.keyboard.press("ArrowDown")  # selects option 2 of question 1
    page.keyboard.press("Tab")  # into question 2
    page.keyboard.press("Space")  # selects its first option
    page.keyboard.press("Tab")  # the submit button
    assert page.evaluate("document.activeElement.textContent.trim()") == "Submit"
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    submission = Submission.objects.get(survey=active_survey)
    chosen = {a.question_id: a.option_id for a in submission.answers.all()}
    assert chosen == {
        first.pk: list(first.options.all())[1].pk,
        second.pk: second.options.first().pk,
    }
    assert axe_violations(page) == []


def test_double_click_on_submit_stores_one_submission(page, active_survey):
    page.goto(active_survey.get_public_url() + "answer/")
    for group in page.get_by_role("group").all():
        group.get_by_role("radio").first.check()
    page.get_by_role("button", name="Submit").dblclick()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    page.go_back()
    if page.get_by_role("button", name="Submit").is_visible():
        page.get_by_role("button", name="Submit").click()
    assert Submission.objects.filter(survey=active_survey).count() == 1
