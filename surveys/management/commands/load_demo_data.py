import random
import tomllib
import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import VerifiedEmail
from surveys import responses, services
from surveys.answers import clean_answers

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "canvass-demo"

# The surveys, as data: they name kinds, which only surveys/kinds/ does in code.
SURVEYS = Path(__file__).resolve().parents[2] / "demo" / "surveys.toml"


def _build(owner, spec):
    """A survey from its SURVEYS entry: (survey, [(question, [(option id, weight)])])."""
    survey = services.create_survey(owner=owner, title=spec["title"])
    structure = []
    for details in spec["question"]:
        details = dict(details)
        options = details.pop("options", [])
        question = services.add_question(survey=survey, **details)
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
        for spec in tomllib.loads(SURVEYS.read_text())["survey"]:
            survey, structure = _build(owner, spec)
            if not spec.get("started"):
                continue
            services.start_survey(survey=survey)
            for _ in range(submissions):
                answers = {
                    question.pk: question.kind_def.demo_answer(rng, weighted)
                    for question, weighted in structure
                }
                responses.submit_response(
                    survey=survey, token=uuid.uuid4().hex, answers=clean_answers(survey, answers)
                )
