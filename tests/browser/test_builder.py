"""The inline builder (frontend/src/builder.jsx) as a creator uses it, in Chromium against a
live server: with the mouse, with the keyboard only, against a second tab, with the
server out of reach, after a closed tab; axe-clean at 1280 and 375 px, under the site's
own CSP."""

import pytest
from playwright.sync_api import expect

from surveys.kinds import KINDS
from surveys.models import Survey

from .conftest import DESKTOP, axe_violations, log_in, phone_problems

pytestmark = pytest.mark.django_db(transaction=True)

# One question of every kind, as the kinds name themselves: (kind, prompt, settings by
# label, options).
EVERY_KIND = [
    ("single", "Which site?", {}, ["North", "South"]),
    ("multiple", "Which days?", {"At most": "2"}, ["Mon", "Tue", "Wed"]),
    ("short_text", "Your team?", {}, []),
    ("long_text", "Anything else?", {}, []),
    ("number", "How many people?", {"Lowest": "1", "Highest": "500"}, []),
    ("rating_5", "How was it?", {}, []),
    ("rating_10", "Rate the food", {}, []),
    ("nps", "Would you recommend it?", {}, []),
    ("date", "Which day?", {"Earliest": "2026-12-01"}, []),
    ("time", "What time?", {}, []),
    ("matrix", "Rate each part", {"Scale": "agree"}, ["Venue", "Food"]),
    ("ranking", "Order these", {}, ["Talks", "Food"]),
    ("file", "Your photo", {"Largest file, in MB": "5"}, []),
]


def saved(page):
    expect(page.locator(".save-state")).to_have_text("All changes saved", timeout=10_000)


def open_builder(page, survey):
    page.goto(f"/surveys/{survey.pk}/edit/")
    expect(page.locator(".builder-bar")).to_be_visible()


def add_question(page, kind, prompt, settings, options):
    number = page.locator(".builder-card").count() + 1
    page.get_by_label("Type of the new question").select_option(kind)
    page.get_by_role("button", name="Add question").click()
    card = page.locator(".builder-card").nth(number - 1)
    # The new question's prompt has the focus, its placeholder text selected: typing
    # replaces it.
    page.keyboard.type(prompt)
    for label, value in settings.items():
        field = card.get_by_label(label, exact=True)
        if label == "Scale":
            field.select_option(value)
        else:
            field.fill(value)
    for text in options:
        card.get_by_label(f"New {KINDS[kind].option_word} for question {number}").fill(text)
        page.keyboard.press("Enter")
    return card


def drag(page, handle, target):
    """Both in view (a tall window), then press, move and let go as a mouse does."""
    page.set_viewport_size({"width": 1280, "height": 1800})
    target.scroll_into_view_if_needed()
    start, end = handle.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 5, start["y"] + 5, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=10)
    page.mouse.up()
    page.set_viewport_size(DESKTOP)


def stored(survey):
    return [
        (q.kind, q.prompt, [o.text for o in q.options.all()])
        for q in survey.questions.prefetch_related("options")
    ]


@pytest.fixture
def draft(alice, page, live_server):
    log_in(page.context, live_server, alice)
    return Survey.objects.create(owner=alice, title="Offsite")


def test_build_every_kind_with_the_mouse_reload_and_start_without_a_page_load(page, draft):
    open_builder(page, draft)
    loads = []
    page.on("load", lambda: loads.append(page.url))
    for kind, prompt, settings, options in EVERY_KIND:
        add_question(page, kind, prompt, settings, options)
    saved(page)
    assert loads == [], "building took no page load"
    expected = [(kind, prompt, options) for kind, prompt, _, options in EVERY_KIND]
    assert stored(draft) == expected
    questions = list(draft.questions.all())
    assert questions[1].max_choices == 2 and questions[4].max_value == 500
    assert questions[10].scale == "agree" and questions[12].max_file_mb == 5

    # Drag the last question onto the one above it (a person's mouse: press, move, let
    # go), then move the one now last back up with its button.
    cards = page.locator(".builder-card")
    drag(page, cards.nth(12).locator(".drag-handle"), cards.nth(11))
    saved(page)
    assert [p for _, p, _ in stored(draft)][11:] == ["Your photo", "Order these"]
    page.get_by_role("button", name="Move question 13 up").click()
    saved(page)
    assert [p for _, p, _ in stored(draft)][10:] == ["Rate each part", "Order these", "Your photo"]

    page.reload()
    expect(page.locator(".builder-bar")).to_be_visible()
    prompts = page.locator(".builder-card input[id$='-prompt']")
    expect(prompts).to_have_count(13)
    assert [prompts.nth(i).input_value() for i in range(13)] == [p for _, p, _ in stored(draft)]

    loads.clear()
    page.get_by_role("button", name="Start survey").click()
    expect(page.get_by_role("heading", name="Started")).to_be_visible()
    assert loads == []
    draft.refresh_from_db()
    assert draft.is_active


def test_build_with_the_keyboard_only_and_undo(page, draft):
    open_builder(page, draft)
    page.get_by_label("Type of the new question").focus()
    page.keyboard.press("Tab")  # its button is next
    assert page.evaluate("document.activeElement.textContent.trim()") == "Add question"
    page.keyboard.press("Enter")
    page.keyboard.type("First?")
    page.keyboard.press("Tab")  # the kind
    page.keyboard.press("Tab")  # help text
    page.keyboard.press("Tab")  # required
    page.keyboard.press("Tab")  # the first option's box
    page.keyboard.type("Yes")
    page.keyboard.press("Enter")
    page.keyboard.type("No")
    page.keyboard.press("Enter")
    # Add a second question from the keyboard, then move it up with its button.
    page.get_by_role("button", name="Add question").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Second?")
    page.get_by_role("button", name="Move question 2 up").focus()
    page.keyboard.press("Enter")
    saved(page)
    assert [p for _, p, _ in stored(draft)] == ["Second?", "First?"]
    # The focus stays on the moved question's button, now "down".
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Move question 1 down"
    )
    page.keyboard.press("Control+z")  # the move
    saved(page)
    assert [p for _, p, _ in stored(draft)] == ["First?", "Second?"]
    page.keyboard.press("Control+Shift+z")
    saved(page)
    assert [p for _, p, _ in stored(draft)] == ["Second?", "First?"]
    assert stored(draft)[1][2] == ["Yes", "No"]


def test_a_second_tab_changing_the_same_question_is_a_conflict_and_nothing_is_lost(
    page, draft, alice
):
    from surveys import services

    question = services.add_question(survey=draft, prompt="Original", kind="short_text")
    other = page.context.new_page()
    open_builder(page, draft)
    open_builder(other, draft)
    other.locator("input[id$='-prompt']").fill("Theirs")
    saved(other)
    page.locator("input[id$='-prompt']").fill("Mine")
    conflict = page.get_by_role("alert").filter(has_text="Someone else changed this")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Theirs: Theirs")
    expect(conflict).to_contain_text("Yours: Mine")
    expect(page.locator(".save-state")).to_contain_text("Not saved")
    question.refresh_from_db()
    assert question.prompt == "Theirs", "a stale write never wins silently"
    conflict.get_by_role("button", name="Keep mine").click()
    saved(page)
    question.refresh_from_db()
    assert question.prompt == "Mine"
    # The other tab, editing on, now meets this one's change.
    other.locator("input[id$='-prompt']").fill("Theirs again")
    theirs = other.get_by_role("alert").filter(has_text="Someone else changed this")
    expect(theirs).to_be_visible()
    theirs.get_by_role("button", name="Keep theirs").click()
    saved(other)
    assert other.locator("input[id$='-prompt']").input_value() == "Mine"
    question.refresh_from_db()
    assert question.prompt == "Mine"


def test_the_server_out_of_reach_mid_edit_shows_not_saved_then_saves_all(page, draft):
    from surveys import services

    question = services.add_question(survey=draft, prompt="Before", kind="long_text")
    open_builder(page, draft)
    # Every API request fails as it does when the server is down (connection refused).
    page.context.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    prompt = page.locator("input[id$='-prompt']")
    prompt.fill("Typed while the server was down")
    page.locator("input[id$='-helpText']").fill("and this")
    expect(page.locator(".save-state")).to_contain_text("Not saved", timeout=5_000)
    expect(page.locator(".save-state")).to_contain_text("trying again")
    question.refresh_from_db()
    assert question.prompt == "Before"
    page.context.unroute("**/api/v1/**")
    saved(page)  # the next try, at most 15 s later
    question.refresh_from_db()
    assert (question.prompt, question.help_text) == ("Typed while the server was down", "and this")


def test_a_tab_closed_mid_typing_offers_the_text_back(page, draft):
    from surveys import services

    question = services.add_question(survey=draft, prompt="Before", kind="short_text")
    open_builder(page, draft)
    page.locator("input[id$='-prompt']").fill("Typed, then the tab closed")
    page.close(run_before_unload=False)  # at once: before the autosave's wait is over
    question.refresh_from_db()
    assert question.prompt == "Before"

    again = page.context.new_page()
    open_builder(again, draft)
    offer = again.get_by_role("alert").filter(has_text="did not reach the server")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name="Restore them").click()
    saved(again)
    assert again.locator("input[id$='-prompt']").input_value() == "Typed, then the tab closed"
    question.refresh_from_db()
    assert question.prompt == "Typed, then the tab closed"


def test_the_builder_is_accessible_at_1280_and_375_px(page, draft):
    from dbtools.factories import build_mixed_survey

    survey = build_mixed_survey(owner=draft.owner)
    open_builder(page, survey)
    page.get_by_role("button", name="Show preview").click()
    expect(
        page.frame_locator("iframe").get_by_text("Nothing you enter here is sent")
    ).to_be_visible()
    assert axe_violations(page) == []
    assert phone_problems(page) == []
    assert axe_violations(page) == []
    page.set_viewport_size(DESKTOP)


def test_the_builder_runs_under_the_sites_csp(browser, live_server, alice):
    from dbtools.factories import build_mixed_survey

    survey = build_mixed_survey(owner=alice)
    context = browser.new_context(base_url=live_server.url)  # no bypass_csp: the real policy
    log_in(context, live_server, alice)
    page = context.new_page()
    refused = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    open_builder(page, survey)
    page.get_by_role("button", name="Show preview").click()
    expect(
        page.frame_locator("iframe").get_by_text("Nothing you enter here is sent")
    ).to_be_visible()
    page.locator("input[id$='-prompt']").first.fill("Under the CSP")
    saved(page)
    assert refused == []
    policy = page.evaluate(
        "fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    context.close()
