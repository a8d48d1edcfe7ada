"""Answer POSTs the rendered form could not produce: a clear error, a log line, nothing stored."""

import logging

import pytest

from dbtools.factories import build_survey
from surveys.models import Answer, Submission
from tests.helpers import answer_data, answer_url

pytestmark = pytest.mark.django_db


def first_question(survey):
    return survey.questions.first()


def post(client, survey, data):
    return client.post(answer_url(survey), data)


def assert_rejected(response, caplog, status=400):
    assert response.status_code == status
    assert b"nothing was saved" in response.content.lower()
    assert Submission.objects.count() == 0 and Answer.objects.count() == 0
    if status == 400:
        assert any("rejected submission" in r.getMessage() for r in caplog.records)


@pytest.fixture(autouse=True)
def _capture_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="canvass.surveys")


def test_option_of_another_question(client, active_survey, caplog):
    data = answer_data(client, active_survey)
    q1, q2 = active_survey.questions.all()
    data[f"q_{q1.pk}"] = str(q2.options.first().pk)
    assert_rejected(post(client, active_survey, data), caplog)


def test_option_of_another_survey(client, active_survey, alice, caplog):
    other = build_survey(owner=alice, status="active")
    data = answer_data(client, active_survey)
    data[f"q_{first_question(active_survey).pk}"] = str(first_question(other).options.first().pk)
    assert_rejected(post(client, active_survey, data), caplog)


def test_missing_answer_shows_the_form_again(client, active_survey, caplog):
    data = answer_data(client, active_survey)
    question = first_question(active_survey)
    del data[f"q_{question.pk}"]
    response = post(client, active_survey, data)
    assert response.status_code == 200
    assert b"Please answer this question." in response.content
    assert b"Nothing was saved yet." in response.content
    assert Submission.objects.count() == 0
    # The other answer is kept, so the taker only fills in what is missing.
    other = active_survey.questions.last()
    assert (
        f'value="{data[f"q_{other.pk}"]}" id="id_q_{other.pk}_0" required checked'.encode()
        in response.content
    )


def test_no_answers_at_all(client, active_survey, caplog):
    data = answer_data(client, active_survey)
    response = post(client, active_survey, {"token": data["token"]})
    assert response.status_code == 200
    assert response.content.count(b"Please answer this question.") == 2
    assert Submission.objects.count() == 0


def test_two_options_for_one_question(client, active_survey, caplog):
    data = answer_data(client, active_survey)
    question = first_question(active_survey)
    a, b, _ = question.options.all()
    data[f"q_{question.pk}"] = [str(a.pk), str(b.pk)]
    assert_rejected(post(client, active_survey, data), caplog)


def test_extra_question_field(client, active_survey, caplog):
    data = answer_data(client, active_survey)
    data["q_999999"] = "1"
    assert_rejected(post(client, active_survey, data), caplog)


@pytest.mark.parametrize(
    "value", ["abc", "-1", "1.5", "99999999999999999999999999", " ", "\uff11"]
)
def test_values_the_form_does_not_offer_are_a_400(client, active_survey, caplog, value):
    data = answer_data(client, active_survey)
    data[f"q_{first_question(active_survey).pk}"] = value
    assert_rejected(post(client, active_survey, data), caplog)


def test_an_empty_value_asks_for_an_answer(client, active_survey):
    data = answer_data(client, active_survey)
    data[f"q_{first_question(active_survey).pk}"] = ""
    response = post(client, active_survey, data)
    assert response.status_code == 200
    assert b"Please answer this question." in response.content
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("token", [None, "", "abc", "0123456789abcdef0123456789abcdef:forged"])
def test_missing_or_forged_token(client, active_survey, caplog, token):
    data = answer_data(client, active_survey)
    if token is None:
        del data["token"]
    else:
        data["token"] = token
    assert_rejected(post(client, active_survey, data), caplog)


def test_token_of_another_survey_is_refused(client, active_survey, alice, caplog):
    other = build_survey(owner=alice, status="active")
    data = answer_data(client, active_survey)
    data["token"] = answer_data(client, other)["token"]
    assert_rejected(post(client, active_survey, data), caplog)


def test_rejected_form_comes_back_with_a_fresh_valid_token(client, active_survey, caplog):
    data = answer_data(client, active_survey)
    data["token"] = "forged"
    response = post(client, active_survey, data)
    fresh = response.context["form"].initial["token"]
    data["token"] = fresh
    assert post(client, active_survey, data).status_code == 302
    assert Submission.objects.count() == 1


def test_oversized_body_is_a_400(client, active_survey, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    data = answer_data(client, active_survey)
    data["padding"] = "x" * 20_000
    response = post(client, active_survey, data)
    assert response.status_code == 400
    assert Submission.objects.count() == 0


def test_too_many_fields_is_a_400(client, active_survey):
    data = answer_data(client, active_survey)
    data.update({f"f{i}": "1" for i in range(1100)})
    assert post(client, active_survey, data).status_code == 400
    assert Submission.objects.count() == 0
