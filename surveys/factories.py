"""factory_boy factories: the one place tests and the seed-data command build objects."""

import uuid

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory, Password

from surveys import tallies
from surveys.models import Answer, Option, Question, Submission, Survey

PASSWORD = "correct-horse-battery"


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


class SubmissionFactory(DjangoModelFactory):
    class Meta:
        model = Submission

    survey = factory.SubFactory(SurveyFactory, status=Survey.Status.ACTIVE)
    token = factory.LazyFunction(lambda: uuid.uuid4().hex)


class AnswerFactory(DjangoModelFactory):
    class Meta:
        model = Answer

    submission = factory.SubFactory(SubmissionFactory)
    option = factory.SubFactory(OptionFactory)
    question = factory.SelfAttribute("option.question")


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
]


def build_mixed_survey(*, owner=None, status=Survey.Status.DRAFT, **kwargs):
    """A survey with one question of every kind (see MIXED_QUESTIONS)."""
    survey = SurveyFactory(status=status, **({"owner": owner} if owner else {}), **kwargs)
    for position, (kind, details, options) in enumerate(MIXED_QUESTIONS, start=1):
        question = QuestionFactory(
            survey=survey, kind=kind, position=position, prompt=f"{kind.label}?", **details
        )
        for o in range(options):
            OptionFactory(question=question, position=o + 1, text=f"{kind.label} {o + 1}")
    return survey


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
