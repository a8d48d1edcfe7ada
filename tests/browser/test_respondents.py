"""A respondent's journey in the browser: answer, keep the receipt, change an answer
through the private link, then withdraw the response; every page axe-clean and usable at
375 px, the edit form by keyboard."""

import pytest
from playwright.sync_api import expect

from surveys import tallies
from surveys.models import Submission

from .conftest import DESKTOP, axe_violations, phone_problems

pytestmark = pytest.mark.django_db(transaction=True)


def check_page(page):
    assert axe_violations(page) == []
    assert phone_problems(page) == []
    page.set_viewport_size(DESKTOP)


def test_take_keep_the_receipt_change_then_withdraw(page, active_survey):
    first = active_survey.questions.first()
    page.goto(active_survey.get_public_url() + "answer/")
    for group in page.get_by_role("group").all():
        group.get_by_role("radio").first.check()
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("heading", name="Your receipt")).to_be_visible()
    submission = Submission.objects.get()
    expect(page.get_by_text(submission.receipt_code)).to_be_visible()
    link = page.get_by_role("textbox", name="Your private link").input_value()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    check_page(page)
    page.reload()  # shown once: the next person at this device doesn't get it
    expect(page.get_by_role("heading", name="Your receipt")).to_have_count(0)

    page.goto(link)
    expect(
        page.get_by_role("heading", name=f"Your answers to “{active_survey.title}”")
    ).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="How your answers are handled").click()
    expect(page.get_by_role("heading", name="What is kept")).to_be_visible()
    check_page(page)

    page.goto(link)
    page.get_by_role("button", name="Change my answers").click()
    # The form shows the stored answers; change question 1 with the keyboard only.
    radios = page.get_by_role("group").first.get_by_role("radio")
    expect(radios.first).to_be_checked()
    radios.first.focus()
    page.keyboard.press("ArrowDown")
    check_page(page)
    page.get_by_role("button", name="Save my changes").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your answers were changed.")).to_be_visible()
    expect(page.get_by_text(list(first.options.all())[1].text)).to_be_visible()
    submission.refresh_from_db()
    assert submission.edited_at is not None
    assert submission.answers.get(question=first).option == list(first.options.all())[1]
    assert tallies.recount([active_survey]) == []

    page.get_by_role("button", name="Withdraw my response").click()
    check_page(page)
    page.get_by_role("button", name="Yes, delete my response").click()
    expect(page.get_by_role("heading", name="Your response was deleted")).to_be_visible()
    check_page(page)
    assert not Submission.objects.exists() and tallies.submission_count(active_survey) == 0
    page.goto(link)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
