import random
import uuid
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import VerifiedEmail
from surveys import services
from surveys.models import Question

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "canvass-demo"

MULTIPLE = Question.Kind.MULTIPLE

# (prompt, question settings, [(option, weight), ...]); weights make results look real.
RUNNING_SURVEY = (
    "Team offsite 2027",
    [
        (
            "Where should we go?",
            {},
            [("The coast", 5), ("The mountains", 3), ("A city break", 2)],
        ),
        ("How many days?", {}, [("One", 2), ("Two", 6), ("Three", 3), ("Four or more", 1)]),
        (
            "Which activities would you enjoy?",
            {"kind": MULTIPLE, "max_choices": 3, "help_text": "Each takes half a day."},
            [("Hiking", 5), ("Cooking class", 3), ("Board games", 4), ("Sailing", 2)],
        ),
        (
            "How likely are you to recommend last year's offsite to a new colleague?",
            {"kind": Question.Kind.NPS},
            [],
        ),
        ("How was the food last time?", {"kind": Question.Kind.RATING_5}, []),
        (
            "How far would you travel, in kilometres?",
            {"kind": Question.Kind.NUMBER, "min_value": 0, "max_value": 2000},
            [],
        ),
        (
            "Which day would suit you best?",
            {
                "kind": Question.Kind.DATE,
                "min_date": date(2026, 12, 1),
                "max_date": date(2027, 1, 31),
            },
            [],
        ),
        ("When should the first day start?", {"kind": Question.Kind.TIME}, []),
        (
            "How do you feel about last year's offsite?",
            {"kind": Question.Kind.MATRIX, "scale": "agree", "required": False},
            [
                ("The venue was easy to reach", 1),
                ("There was enough free time", 1),
                ("The sessions were useful", 1),
            ],
        ),
        (
            "Put these in order of what matters most to you",
            {"kind": Question.Kind.RANKING, "required": False},
            [("Good food", 4), ("Short travel", 3), ("Team activities", 2), ("Quiet rooms", 1)],
        ),
        (
            "Anything else we should know?",
            {
                "kind": Question.Kind.LONG_TEXT,
                "required": False,
                "help_text": "Dietary needs, dates you can't make, ideas.",
            },
            [],
        ),
    ],
)
DRAFT_SURVEY = (
    "Office move feedback",
    [
        (
            "How do you get to work?",
            {"kind": MULTIPLE},
            [("Walk", 1), ("Bike", 1), ("Public transport", 1), ("Car", 1)],
        ),
        ("Would you use a shared desk?", {}, [("Yes", 1), ("No", 1)]),
        ("What should the new office have?", {"kind": Question.Kind.SHORT_TEXT}, []),
        (
            "A photo of your current desk",
            {"kind": Question.Kind.FILE, "required": False, "file_types": ["image"]},
            [],
        ),
    ],
)


def _build(owner, spec):
    title, questions = spec
    survey = services.create_survey(owner=owner, title=title)
    structure = []
    for prompt, details, options in questions:
        question = services.add_question(survey=survey, prompt=prompt, **details)
        weighted = [
            (services.add_option(question=question, text=text).pk, weight)
            for text, weight in options
        ]
        structure.append((question, weighted))
    return survey, structure


class Command(BaseCommand):
    help = "Load the demo account and its surveys, once. Prints the demo login either way."

    def add_arguments(self, parser):
        parser.add_argument("--submissions", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2027)

    def handle(self, *args, submissions, seed, **options):
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with transaction.atomic():
                self._load(User, submissions, random.Random(seed))
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo login: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}")

    def _load(self, User, submissions, rng):
        owner = User.objects.create_user(
            DEMO_USERNAME, email="demo@example.com", password=DEMO_PASSWORD
        )
        VerifiedEmail.objects.create(user=owner, email=owner.email)
        _build(owner, DRAFT_SURVEY)
        survey, structure = _build(owner, RUNNING_SURVEY)
        services.publish_survey(survey=survey)
        for _ in range(submissions):
            answers = {
                question.pk: question.kind_def.demo_answer(rng, weighted)
                for question, weighted in structure
            }
            services.submit_response(survey=survey, token=uuid.uuid4().hex, answers=answers)
