"""factory_boy factories: the one place tests and the seed-data command build objects.

Development only: factory_boy and Faker are in requirements-dev.txt, not in production.
"""

import uuid

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory, Password

from dbtools.seed import PASSWORD
from surveys import responses, tallies
from surveys.answers import clean_answers
from surveys.kinds import FILE_KINDS, KINDS
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


# (kind, Question fields, number of options): one question of every kind, as each kind
# samples itself (Kind.sample_question, sample_options).
MIXED_QUESTIONS = [
    (Question.KindChoices(kind.key), kind.sample_question, kind.sample_options)
    for kind in KINDS.values()
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
    return question.kind_def.sample_answer(question, n)


def add_mixed_submissions(survey, count):
    """`count` submissions answering every question, through submit_response."""

    questions = list(survey.questions.prefetch_related("options"))
    for n in range(count):
        responses.submit_response(
            survey=survey,
            token=uuid.uuid4().hex,
            answers=clean_answers(
                survey, {question.pk: answer_for(question, n) for question in questions}
            ),
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
    question = services.add_question(survey=survey, prompt="Photo", kind=FILE_KINDS[0])
    services.start_survey(survey=survey)
    photo = question.kind_def.sample_answer(question, 0)
    photo.name = name
    submission, _ = responses.submit_response(
        survey=survey,
        token=f"photo-{uuid.uuid4().hex}",
        answers=clean_answers(survey, {question.pk: photo}),
    )
    return Upload.objects.get(answer__submission=submission)
