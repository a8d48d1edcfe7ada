"""Date, time of day, matrix and ranking end to end in the browser: built in the builder
without JavaScript, answered (the ranking by keyboard alone), read in the results; the
takers' and results pages axe-clean and usable at 375 px."""

from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from surveys.models import Question, Survey

from .conftest import DESKTOP, axe_violations, log_in, phone_problems

pytestmark = pytest.mark.django_db(transaction=True)


def check_page(page):
    assert axe_violations(page) == []
    assert phone_problems(page) == []
    page.set_viewport_size(DESKTOP)


def add_question(page, prompt, kind, **settings):
    page.get_by_role("button", name="Add another question").click()
    page.get_by_label("Question:", exact=True).fill(prompt)
    page.get_by_label(kind, exact=True).check()
    for label, value in settings.items():
        field = page.get_by_label(f"{label}:", exact=True)
        if label == "Scale":
            field.select_option(label=value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Add question").click()


def add_items(page, word, texts):
    for text in texts:
        page.get_by_label(f"{word}:", exact=True).fill(text)
        page.get_by_role("button", name=f"Add another {word.lower()}").click()
        expect(page.get_by_role("listitem").filter(has_text=text)).to_be_visible()
    page.get_by_role("button", name="Done").click()


def test_build_answer_and_read_each_new_kind(browser, page, live_server, alice):
    # Built without JavaScript: the server's pages are the builder then (the inline one is
    # tests/browser/test_builder.py's); answered and read with it.
    building = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    builder, answering = building.new_page(), page
    log_in(building, live_server, alice)
    log_in(answering.context, live_server, alice)
    page = builder
    page.goto("/surveys/new/")
    page.get_by_label("Survey title").fill("Offsite")
    page.get_by_role("button", name="Create survey").click()
    add_question(page, "Which day?", "Date", Earliest="2026-12-01", Latest="2026-12-31")
    add_question(page, "What time?", "Time of day")
    add_question(
        page, "How was it?", "Matrix (rate each row)", Scale="Strongly disagree to strongly agree"
    )
    add_items(page, "Row", ["The venue", "The food"])
    add_question(page, "What matters most?", "Ranking")
    add_items(page, "Option", ["Food", "Travel", "Rooms"])
    expect(page.get_by_text("from 1 December 2026 · up to 31 December 2026")).to_be_visible()
    page.get_by_role("button", name="Start survey").click()
    expect(page.get_by_text("Your survey is running")).to_be_visible()
    building.close()
    page = answering
    survey = Survey.objects.get(owner=alice)
    results = reverse("surveys:results", args=[survey.pk])

    page.goto(survey.get_public_url() + "answer/")
    expect(page.get_by_text("A date from 1 December 2026 to 31 December 2026.")).to_be_visible()
    check_page(page)
    page.get_by_label("1. Which day?").fill("2026-12-05")
    page.get_by_label("2. What time?").fill("09:30")
    page.get_by_role("group", name="The venue").get_by_label("Agree", exact=True).check()
    page.get_by_role("group", name="The food").get_by_label("Strongly agree").check()
    # The ranking by keyboard alone: Rooms up twice (to first), then Food down once.
    page.get_by_role("button", name="Move Rooms up").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Rooms: place 1 of 3.")).to_be_attached()
    page.get_by_role("button", name="Move Food down").focus()
    page.keyboard.press("Enter")
    places = [page.get_by_label(text, exact=True).input_value() for text in ("Rooms", "Travel")]
    assert places == ["1", "2"]
    check_page(page)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Your receipt")).to_be_visible()

    answers = {
        (a.question.kind, a.option.text if a.option else None): a.text or a.number
        for a in survey.submissions.get().answers.select_related("question", "option")
    }
    KindChoices = Question.KindChoices
    assert answers == {
        (KindChoices.DATE, None): "2026-12-05",
        (KindChoices.TIME, None): "09:30",
        (KindChoices.MATRIX, "The venue"): 4,
        (KindChoices.MATRIX, "The food"): 5,
        (KindChoices.RANKING, "Rooms"): 1,
        (KindChoices.RANKING, "Travel"): 2,
        (KindChoices.RANKING, "Food"): 3,
    }

    page.goto(results)
    expect(page.get_by_text("5 December 2026")).to_be_visible()
    expect(page.get_by_role("heading", name="Rooms · mean place 1")).to_be_visible()
    expect(page.get_by_role("heading", name="Ranked first")).to_be_visible()
    check_page(page)
    assert survey.questions.get(kind=KindChoices.DATE).max_date == date(2026, 12, 31)


def test_a_ranking_without_javascript_uses_the_numbered_selects(browser, live_server, alice):
    from surveys import services

    survey = services.create_survey(owner=alice, title="Order")
    question = services.add_question(survey=survey, prompt="Rank them", kind="ranking")
    for text in ("A", "B", "C"):
        services.add_option(question=question, text=text)
    services.start_survey(survey=survey)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(survey.get_public_url() + "answer/")
    expect(page.get_by_role("button", name="Move A up")).to_have_count(0)
    page.get_by_label("A", exact=True).select_option("2")
    page.get_by_label("B", exact=True).select_option("2")
    page.get_by_label("C", exact=True).select_option("1")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Give each place to one option only.")).to_be_visible()
    assert page.get_by_label("C", exact=True).input_value() == "1"  # kept, to fix
    page.get_by_label("B", exact=True).select_option("3")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Your receipt")).to_be_visible()
    places = dict(survey.submissions.get().answers.values_list("option__text", "number"))
    assert places == {"A": 2, "B": 3, "C": 1}
    context.close()


def test_upload_a_photo_told_the_limit_before_sending(page, live_server, alice):
    import io

    from PIL import Image

    from surveys import services

    survey = services.create_survey(owner=alice, title="Photos")
    services.add_question(
        survey=survey, prompt="Your photo", kind="file", file_types=["image"], max_file_mb=1
    )
    services.start_survey(survey=survey)
    page.goto(survey.get_public_url() + "answer/")
    expect(
        page.get_by_text("One file: Images (JPEG, PNG, WebP, GIF); up to 1 MB.")
    ).to_be_visible()
    check_page(page)
    chooser = page.get_by_label("1. Your photo")
    too_big = {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff" * 700_000}
    chooser.set_input_files(too_big)
    message = "This file is 2 MB, over this question’s limit of 1 MB. Choose a smaller one."
    expect(page.get_by_text(message)).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text(message)).to_be_visible()  # not sent: still on the form
    assert not survey.submissions.exists()
    check_page(page)

    photo = io.BytesIO()
    Image.linear_gradient("L").resize((800, 600)).convert("RGB").save(photo, "JPEG")
    chooser.set_input_files(
        {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}
    )
    expect(page.get_by_text(message)).to_have_count(0)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Your receipt")).to_be_visible()

    log_in(page.context, live_server, alice)
    page.goto(f"/surveys/{survey.pk}/")
    thumbnail = page.locator(".file-answer img")
    expect(thumbnail).to_be_visible()
    image = thumbnail.element_handle()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image)
    assert page.evaluate("img => img.naturalWidth", image) == 320
    check_page(page)
