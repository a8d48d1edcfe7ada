"""Too many answers from one address for one survey: a 429, nothing half-saved, whether
they come through the answer form or the API."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from surveys.models import Submission
from tests.helpers import answer_data, answer_url, api_answers, api_submit

pytestmark = pytest.mark.django_db


def test_too_many_answers_from_one_address_get_429_and_nothing_is_lost(
    client, active_survey, settings
):
    settings.SUBMISSIONS_PER_MINUTE = 2
    thanks = reverse("public:thanks", args=[active_survey.public_token])
    for _ in range(2):
        taker = client.__class__()
        assert (
            taker.post(answer_url(active_survey), answer_data(taker, active_survey)).url == thanks
        )
    third = client.__class__()
    response = third.post(answer_url(active_survey), answer_data(third, active_survey))
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert b"this one was not saved" in response.content
    assert Submission.objects.count() == 2
    other_client = client.__class__(REMOTE_ADDR="192.0.2.44")
    data = answer_data(other_client, active_survey)
    assert other_client.post(answer_url(active_survey), data).url == thanks


def test_the_api_and_the_form_share_one_count_at_the_promised_rate(active_survey):
    """120 answers a minute per address per survey, through the form and the API alike."""
    for n in range(119):
        response = api_submit(APIClient(), active_survey, api_answers(active_survey), key=f"k{n}")
        assert response.status_code == 201
    taker = Client()
    assert (
        taker.post(answer_url(active_survey), answer_data(taker, active_survey)).status_code == 302
    )
    refused = api_submit(APIClient(), active_survey, api_answers(active_survey), key="late")
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "Too many answers from this address. Expected available in 60 seconds."
    }
    assert refused["Retry-After"] == "60"
    assert Submission.objects.count() == 120
    # Another address, another count.
    other = APIClient(REMOTE_ADDR="192.0.2.45")
    assert api_submit(other, active_survey, api_answers(active_survey), key="x").status_code == 201
