import re
import subprocess
import sys
import uuid
from pathlib import Path

from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys import responses
from surveys.answers import clean_answers
from surveys.models import Answer, Option, Question, Submission, Survey

ROOT = Path(__file__).resolve().parents[1]


def answer_url(survey):
    return reverse("public:answer", args=[survey.public_token])


def answer_data(client, survey, pick=0):
    """A valid POST for the survey's answer form, as the rendered form would send it."""
    form = client.get(answer_url(survey)).context["form"]
    data = {"token": form.initial["token"]}
    for question in survey.questions.prefetch_related("options"):
        data[f"q_{question.pk}"] = str(list(question.options.all())[pick].pk)
    return data


def row_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Survey, Question, Option, Submission, Answer)
    }


def database_state():
    """Everything a creator could change, to prove a refused request changed nothing."""
    return {
        "counts": row_counts(),
        "surveys": list(
            Survey.objects.order_by("pk").values_list("pk", "title", "status", "revision")
        ),
        "questions": list(Question.objects.order_by("pk").values_list("pk", "prompt", "revision")),
        "options": list(Option.objects.order_by("pk").values_list("pk", "text", "revision")),
    }


class WritesCaptured(CaptureQueriesContext):
    """Captures queries; `writes` lists those that change the database."""

    def __init__(self):
        super().__init__(connection)

    @property
    def writes(self):
        verbs = ("INSERT", "UPDATE", "DELETE", "REPLACE")
        return [
            q["sql"] for q in self.captured_queries if q["sql"].lstrip().upper().startswith(verbs)
        ]


def close_response(response):
    """Close a streamed response (releasing its file) the way Django's test client closes
    its own: without request_finished closing the test's database connection."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def api_client(user=None):
    """A DRF test client, authenticated with `user`'s personal token when given."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    if user:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


# --- accounts ---------------------------------------------------------------------------

LOGIN = reverse("accounts:login")
RESET = reverse("accounts:password_reset")


def log_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def sign_up(client, username, email):
    return client.post(
        reverse("accounts:signup"),
        {
            "username": username,
            "email": email,
            "password1": "pass-phrase-123",
            "password2": "pass-phrase-123",
        },
    )


def ask_reset(client, email):
    return client.post(RESET, {"email": email})


def one_letter_off(text):
    """`text` with its last letter changed: a tampered token or link that really differs."""
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def link_in(message):
    """The site path of the link in an email."""
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


# --- answers ------------------------------------------------------------------------------


def form_fields(question, value):
    """The answer form's fields for `value` as dbtools.factories.answer_for gives it: ticks
    as a list, a ranking's options in order, a matrix's {row: point}, a file."""
    name = f"q_{question.pk}"
    if hasattr(value, "read"):
        value.seek(0)  # one sample file may be posted again
        return {name: value}
    if question.kind == Question.KindChoices.RANKING:
        return {f"{name}_{pk}": str(place) for place, pk in enumerate(value, start=1)}
    if isinstance(value, dict):
        return {f"{name}_{pk}": str(point) for pk, point in value.items()}
    if isinstance(value, list):
        return {name: [str(v) for v in value]}
    return {name: str(value)}


def question_of(survey, kind):
    return survey.questions.get(kind=kind)


def by_kind(survey):
    """A survey's questions by kind (the mixed survey has one of each)."""
    return {q.kind: q for q in survey.questions.prefetch_related("options")}


def submit_mixed(survey, **answers):
    """Submit to a mixed survey through the service: answers keyed by kind name; required
    ones not given get a default."""

    KindChoices = Question.KindChoices
    q = by_kind(survey)
    defaults = {
        KindChoices.SINGLE: q[KindChoices.SINGLE].options.first().pk,
        KindChoices.MULTIPLE: [q[KindChoices.MULTIPLE].options.first().pk],
        KindChoices.SHORT_TEXT: "ok",
        KindChoices.NUMBER: 1,
        KindChoices.RATING_5: 3,
    }
    # Any other required kind (one added later) answers as the factories do.
    samples = {
        kind: question.kind_def.sample_answer(question, 0)
        for kind, question in q.items()
        if question.required and kind not in defaults
    }
    values = {
        **samples,
        **defaults,
        **{KindChoices(kind): value for kind, value in answers.items()},
    }
    submission, _ = responses.submit_response(
        survey=survey,
        token=uuid.uuid4().hex,
        answers=clean_answers(survey, {q[kind].pk: value for kind, value in values.items()}),
    )
    return submission


def api_submit(client, survey, answers, key="k1"):
    return client.post(
        f"/api/v1/public/surveys/{survey.public_token}/responses/",
        {"answers": answers},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def api_answers(survey, pick=0):
    """The API's answers to a survey of choice questions: option `pick` of each."""
    return [
        {"questionId": q.pk, "optionId": list(q.options.all())[pick].pk}
        for q in survey.questions.prefetch_related("options")
    ]


def manage_py(env, *args, check=True, stdin=None, timeout=600):
    """`manage.py ARGS` in a process of its own with `env`; asserts it succeeded unless
    `check` is off."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result
