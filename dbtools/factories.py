"""factory_boy factories: the one place tests and the seed-data command build objects.

Development only: factory_boy and Faker are in requirements-dev.txt, not in production.
"""

import io
import random
import uuid
from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory, Password
from PIL import Image

from dbtools.seed import PASSWORD
from surveys import tallies
from surveys.kinds import Scale
from surveys.kinds.matrix import Matrix, points
from surveys.kinds.ranking import Ranking
from surveys.models import Answer, Option, Question, Submission, Survey, Upload


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = Password(PASSWORD)


class SurveyFactory(DjangoModelFactory):
    class Meta:
        model = Survey

    owner = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=4)
    status = Survey.Status.DRAFT


class QuestionFactory(DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    prompt = factory.Faker("sentence", nb_words=6)
    position = factory.Sequence(int)


class OptionFactory(DjangoModelFactory):
    class Meta:
        model = Option

    question = factory.SubFactory(QuestionFactory)
    text = factory.Faker("word")
    position = factory.Sequence(int)


def build_survey(*, owner=None, status=Survey.Status.DRAFT, questions=2, options=3, **kwargs):
    """A survey with `questions` questions of `options` options each."""
    survey = SurveyFactory(status=status, **({"owner": owner} if owner else {}), **kwargs)
    for q in range(questions):
        question = QuestionFactory(survey=survey, position=q + 1)
        for o in range(options):
            OptionFactory(question=question, position=o + 1, text=f"Option {q + 1}.{o + 1}")
    return survey


Kind = Question.Kind
# (kind, settings, number of options): one question of every kind.
MIXED_QUESTIONS = [
    (Kind.SINGLE, {}, 3),
    (Kind.MULTIPLE, {"min_choices": 1, "max_choices": 2}, 4),
    (Kind.SHORT_TEXT, {}, 0),
    (Kind.LONG_TEXT, {"required": False}, 0),
    (Kind.NUMBER, {"min_value": 0, "max_value": 100}, 0),
    (Kind.RATING_5, {}, 0),
    (Kind.RATING_10, {"required": False}, 0),
    (Kind.NPS, {"required": False, "help_text": "0 is not at all, 10 extremely likely."}, 0),
    (Kind.DATE, {"required": False, "min_date": date(2026, 1, 1)}, 0),
    (Kind.TIME, {"required": False}, 0),
    (Kind.MATRIX, {"required": False, "scale": "agree"}, 3),
    (Kind.RANKING, {"required": False}, 3),
]


def build_mixed_survey(
    *, owner=None, status=Survey.Status.DRAFT, copies=1, options=None, **kwargs
):
    """A survey with one question of every kind (see MIXED_QUESTIONS), `copies` times over;
    `options` sets how many options each choice question gets."""
    survey = SurveyFactory(status=status, **({"owner": owner} if owner else {}), **kwargs)
    position = 0
    for copy in range(copies):
        for kind, details, count in MIXED_QUESTIONS:
            position += 1
            prompt = f"{kind.label}?" if copies == 1 else f"{kind.label} {copy + 1}?"
            question = QuestionFactory(
                survey=survey, kind=kind, position=position, prompt=prompt, **details
            )
            for o in range(options if options and count else count):
                OptionFactory(question=question, position=o + 1, text=f"{kind.label} {o + 1}")
    return survey


def answer_for(question, n):
    """A valid answer to `question` (options prefetched), varied by `n`: what a taker
    would send, as submit_response takes it."""
    options = [o.pk for o in question.options.all()]
    kind = question.kind_def
    if isinstance(kind, Ranking):
        return options[n % len(options) :] + options[: n % len(options)]
    if isinstance(kind, Matrix):
        return {pk: (n + row) % len(points(question)) + 1 for row, pk in enumerate(options)}
    if kind.has_options and kind.several:
        return sorted({options[n % len(options)], options[(n + 1) % len(options)]})
    if kind.has_options:
        return options[n % len(options)]
    if kind.free_text:
        return f"answer {n}"
    if isinstance(kind, Scale):
        return str(kind.values[n % len(kind.values)])
    if kind.stores == "number":
        return str(n * 7 % 100)
    return kind.demo_answer(random.Random(n), [])  # dates and times


def add_mixed_submissions(survey, count):
    """`count` submissions answering every question, through submit_response."""
    from surveys import services

    questions = list(survey.questions.prefetch_related("options"))
    for n in range(count):
        services.submit_response(
            survey=survey,
            token=uuid.uuid4().hex,
            answers={question.pk: answer_for(question, n) for question in questions},
        )


def add_submissions(survey, count, pick=lambda options, n: options[n % len(options)]):
    """Store `count` complete submissions in bulk, with their tallies; `pick` chooses each
    answer's option."""
    questions = list(survey.questions.prefetch_related("options"))
    submissions = Submission.objects.bulk_create(
        Submission(survey=survey, token=uuid.uuid4().hex) for _ in range(count)
    )
    Answer.objects.bulk_create(
        Answer(
            submission=submission, question=question, option=pick(list(question.options.all()), n)
        )
        for n, submission in enumerate(submissions)
        for question in questions
    )
    tallies.rebuild([survey])
    return submissions


def add_photo_response(owner, name="photo.png"):
    """A running survey of `owner` with one file question, and one response holding a
    small PNG as `name`: its Upload."""
    from surveys import services

    survey = services.create_survey(owner=owner, title="Photos")
    question = services.add_question(survey=survey, prompt="Photo", kind="file")
    services.publish_survey(survey=survey)
    image = io.BytesIO()
    Image.new("RGB", (40, 30)).save(image, "PNG")
    photo = SimpleUploadedFile(name, image.getvalue(), "image/png")
    submission, _ = services.submit_response(
        survey=survey, token=f"photo-{uuid.uuid4().hex}", answers={question.pk: photo}
    )
    return Upload.objects.get(answer__submission=submission)
