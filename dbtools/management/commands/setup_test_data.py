import time

from django.core.management.base import BaseCommand, CommandError

from dbtools import seed


class Command(BaseCommand):
    help = (
        "Generate realistic users, surveys and skewed answers. Adds to what is there; "
        "--flush removes earlier generated data first."
    )

    def add_arguments(self, parser):
        defaults = seed.Plan()
        parser.add_argument("--users", type=int, default=defaults.users)
        parser.add_argument("--surveys", type=int, default=defaults.surveys, help="per user")
        parser.add_argument("--questions", type=int, default=defaults.questions, help="per survey")
        parser.add_argument("--options", type=int, default=defaults.options, help="per question")
        parser.add_argument(
            "--submissions", type=int, default=defaults.submissions, help="per survey"
        )
        parser.add_argument("--seed", type=int, help="same seed, same data")
        parser.add_argument("--flush", action="store_true", help="delete generated data first")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        plan = seed.Plan(
            users=opts["users"],
            surveys=opts["surveys"],
            questions=opts["questions"],
            options=opts["options"],
            submissions=opts["submissions"],
            seed=opts["seed"],
        )
        if min(plan.users, plan.surveys, plan.questions, plan.submissions) < 0 or plan.options < 2:
            raise CommandError("Counts can't be negative, and a question needs two options.")
        if opts["flush"]:
            removed = seed.flush()
            self.stdout.write(
                "Removed generated data: "
                + ", ".join(f"{n} {what}" for what, n in removed.items())
            )
        started = time.monotonic()
        try:
            from tqdm import tqdm

            with tqdm(
                total=plan.answers,
                unit=" answers",
                unit_scale=True,
                disable=opts["no_progress"] or None,
            ) as bar:
                created = seed.generate(plan, progress=bar.update)
        except ModuleNotFoundError as missing:  # production leaves dev requirements out
            raise CommandError(
                f"setup_test_data needs the development requirements ({missing}): "
                "pip install -r requirements-dev.txt"
            ) from missing
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                "Created "
                + ", ".join(f"{n} {what}" for what, n in created.items())
                + f" in {elapsed:.1f} s ({created['answers'] / max(elapsed, 1e-9):,.0f} answers/s)"
            )
        )
        self.stdout.write(f"Generated users log in with password {seed.PASSWORD!r}.")
