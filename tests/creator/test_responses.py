"""Reading each response in full, and the text answers to one question."""

import pytest
from django.urls import reverse

from surveys.models import Question
from tests.helpers import by_kind, submit_mixed

pytestmark = pytest.mark.django_db

KindChoices = Question.KindChoices


def test_responses_page_shows_every_answer_of_each_submission(alice_client, mixed_survey):
    q = by_kind(mixed_survey)
    first, second, *_ = q[KindChoices.MULTIPLE].options.all()
    submit_mixed(
        mixed_survey, multiple=[first.pk, second.pk], short_text="Hello <b>", number="7.50"
    )
    page = alice_client.get(reverse("surveys:responses", args=[mixed_survey.pk]))
    ((_, answers),) = page.context["responses"]
    shown = {question.kind: answer for question, answer in answers}
    assert shown[KindChoices.MULTIPLE] == f"{first.text}; {second.text}"
    assert shown[KindChoices.NUMBER] == "7.5" and shown[KindChoices.LONG_TEXT] == ""
    assert "Hello &lt;b&gt;" in page.content.decode()


def test_text_answers_page_searches_and_pages(alice_client, mixed_survey):
    for n in range(30):
        submit_mixed(mixed_survey, short_text=f"{'Apple' if n % 3 == 0 else 'pear'} number {n}")
    url = reverse(
        "surveys:question_answers", args=[by_kind(mixed_survey)[KindChoices.SHORT_TEXT].pk]
    )
    first = alice_client.get(url)
    assert first.context["page"].paginator.count == 30
    assert len(first.context["page"]) == 25 and first.context["page"][0][0] == "pear number 29"
    assert len(alice_client.get(url, {"page": 2}).context["page"]) == 5
    found = alice_client.get(url, {"search": "apple"})
    assert found.context["page"].paginator.count == 10
    assert all("Apple" in text for text, _ in found.context["page"])


def test_text_answers_page_is_only_for_text_questions(alice_client, mixed_survey):
    single = by_kind(mixed_survey)[KindChoices.SINGLE]
    assert (
        alice_client.get(reverse("surveys:question_answers", args=[single.pk])).status_code == 404
    )
