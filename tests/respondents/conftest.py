import re

import pytest
from django.urls import reverse

from surveys.models import Submission
from tests.helpers import answer_data, answer_url


def receipt_link(client, survey, pick=0):
    """Answer `survey` as a taker on `client`; (the thank-you page, the receipt link's path)."""
    client.post(answer_url(survey), answer_data(client, survey, pick=pick))
    thanks = client.get(reverse("public:thanks", args=[survey.public_token]))
    found = re.search(
        r'id="receipt-url" type="text" value="https?://[^/]+(/r/[^"]+)"', thanks.text
    )
    assert found, "no receipt link on the thank-you page"
    return thanks, found.group(1)


@pytest.fixture
def taken(client, active_survey):
    """A taker's response to Alice's running survey: (its Submission, its receipt path)."""
    _, path = receipt_link(client, active_survey)
    return Submission.objects.get(), path
