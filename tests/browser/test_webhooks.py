"""A creator connects a survey to their own system in the browser: adds a webhook, copies
its secret, sends a test event that fails, reads why in the log, and sends it again once
the receiver is fixed; the embedded sender thread delivers, as `make run` does."""

import pytest
from playwright.sync_api import expect

from integrations.models import WebhookEndpoint
from tests.webhooks.receiver import Receiver

from .conftest import axe_violations, log_in, phone_problems

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def loopback_receiver(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_SEND_IN_PROCESS = True
    with Receiver(script=[413, 200]) as receiver:
        yield receiver


def test_add_a_webhook_test_it_read_the_log_and_replay(
    page, context, live_server, alice, active_survey, loopback_receiver
):
    log_in(context, live_server, alice)
    page.goto(f"/surveys/{active_survey.pk}/")
    tabs = page.get_by_role("navigation", name="This survey")
    tabs.get_by_role("link", name="Integrations").click()
    assert axe_violations(page) == []

    # A private address is refused with a message; nothing is stored.
    page.get_by_label("Address (https://…)").fill("https://10.0.0.1/hooks")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_text("10.0.0.1 is a private address")).to_be_visible()
    assert axe_violations(page) == [] and not WebhookEndpoint.objects.exists()

    page.get_by_label("Address (https://…)").fill(loopback_receiver.url)
    page.get_by_label("What it is for (optional)").fill("Our CRM")
    page.get_by_label("The survey closed").check()
    page.get_by_role("button", name="Add webhook").click()
    secret = page.get_by_role("textbox", name="Secret").input_value()
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret and endpoint.events == ["response.submitted", "survey.closed"]
    page.get_by_role("button", name="Copy secret").click()
    expect(page.get_by_role("status").filter(has_text="Secret copied.")).to_be_visible()
    assert axe_violations(page) == []
    loopback_receiver.secret = secret

    page.get_by_role("button", name="Send a test event").click()
    # The page the POST leads to first (the sender may deliver before it has loaded).
    expect(page.get_by_text("Test event sent")).to_be_visible()
    assert loopback_receiver.wait_for(lambda: loopback_receiver.requests, seconds=10)
    page.reload()
    expect(page.get_by_text("Answered with an error status (413)")).to_be_visible()
    expect(page.get_by_text("Raise its body limit")).to_be_visible()
    assert page.get_by_role("textbox", name="Secret").count() == 0  # shown once only
    assert axe_violations(page) == [] and phone_problems(page) == []
    page.set_viewport_size({"width": 1280, "height": 800})

    # The receiver's limit is raised (its script answers 200 from now on): send it again.
    page.get_by_role("button", name="Send this event again").click()
    expect(page.get_by_text("sent again.")).to_be_visible()
    assert loopback_receiver.wait_for(lambda: loopback_receiver.delivered(), seconds=10)
    page.reload()
    expect(page.get_by_text("Delivered (200)")).to_be_visible()
    assert all(request["verified"] for request in loopback_receiver.requests)
    page.get_by_role("link", name="Show failed attempts only").click()
    expect(page.get_by_text("Delivered (200)")).to_have_count(0)
    expect(page.get_by_text("Answered with an error status (413)")).to_be_visible()
    assert axe_violations(page) == []
