import random
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import VerifiedEmail
from surveys import services

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "canvass-demo"

RUNNING_SURVEY = (
    "Team offsite 2027",
    [
        # (prompt, [(option, weight), ...]) — weights make the results look like real opinions.
        ("Where should we go?", [("The coast", 5), ("The mountains", 3), ("A city break", 2)]),
        ("How many days?", [("One", 2), ("Two", 6), ("Three", 3), ("Four or more", 1)]),
        (
            "Which month suits you best?",
            [("April", 2), ("May", 5), ("June", 4), ("September", 3)],
        ),
        ("Should partners be invited?", [("Yes", 3), ("No", 4), ("No opinion", 2)]),
    ],
)
DRAFT_SURVEY = (
    "Office move feedback",
    [
        ("How do you get to work?", [("Walk", 1), ("Bike", 1), ("Public transport", 1)]),
        ("Would you use a shared desk?", [("Yes", 1), ("No", 1)]),
    ],
)


def _build(owner, spec):
    title, questions = spec
    survey = services.create_survey(owner=owner, title=title)
    structure = []
    for prompt, options in questions:
        question = services.add_question(survey=survey, prompt=prompt)
        weighted = [
            (services.add_option(question=question, text=text), weight) for text, weight in options
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
            choices = {
                question.pk: rng.choices(
                    [option.pk for option, _ in weighted],
                    weights=[weight for _, weight in weighted],
                )[0]
                for question, weighted in structure
            }
            services.submit_response(survey=survey, token=uuid.uuid4().hex, answers=choices)
