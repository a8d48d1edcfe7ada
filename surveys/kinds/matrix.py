"""Matrix: statements (the question's options, shown as rows) each rated on one shared
scale, one choice per row ("rate each of these from 1 to 5").

An answer is one row per statement answered: the statement's option and the scale value
(1 = the scale's first point) in the number column. A required matrix needs every row;
an optional one takes any rows, or none.
"""

from django.core.exceptions import ValidationError

from ..summaries import RowSummary, Summary, bars, mean_of
from .base import Kind, PerOptionField, Setting, per_option_rows, small_number, tampered

# The scales a matrix can use: key → (name, the points' labels, numeric: show a mean).
SCALES = {
    "agree": (
        "Strongly disagree to strongly agree",
        ("Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"),
        False,
    ),
    "satisfied": (
        "Very dissatisfied to very satisfied",
        ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"),
        False,
    ),
    "frequency": ("Never to always", ("Never", "Rarely", "Sometimes", "Often", "Always"), False),
    "important": (
        "Not important to very important",
        ("Not important", "Slightly", "Moderately", "Very", "Extremely important"),
        False,
    ),
    "1-5": ("1 to 5", ("1", "2", "3", "4", "5"), True),
    "1-10": ("1 to 10", tuple(str(n) for n in range(1, 11)), True),
}
SCALE_CHOICES = [(key, name) for key, (name, _, _) in SCALES.items()]
MAX_POINTS = max(len(labels) for _, labels, _ in SCALES.values())
# Demo answers lean to the upper middle of any scale.
DEMO_WEIGHTS = (1, 2, 4, 6, 3)


def points(question):
    """The labels of the question's scale, first point first (empty without a scale)."""
    return SCALES[question.scale][1] if question.scale in SCALES else ()


class Matrix(Kind):
    key, label = "matrix", "Matrix (rate each row)"
    has_options = True
    grouped = True
    stores = "option"
    settings = {"scale": Setting("Scale", fixed_words="a matrix's scale: one of SCALES' keys")}
    settings_legend = "Matrix: the scale each row is rated on"
    sample_question = {"required": False, "scale": "agree"}
    sample_options = 3
    template = "surveys/public/kinds/matrix.html"
    option_word = "row"

    def form_field(self, question, **common):
        return PerOptionField(question, **common)

    def clean(self, question, raw):
        """`raw` is {row's option id: point (1 = first)}, from the form or the API."""
        if not isinstance(raw, dict):
            raise tampered("A matrix answer is a choice for each row.")
        rows, scale = question.option_pks, points(question)
        chosen = {}
        for pk, point in raw.items():
            if str(pk) not in rows:
                raise tampered("That is not one of this question's rows.")
            number = small_number(point)
            if number is None or not 1 <= number <= len(scale):
                raise tampered("That is not a point on this scale.")
            chosen[rows[str(pk)]] = number
        if question.required and chosen and len(chosen) < len(rows):
            raise ValidationError(
                f"Answer every row ({len(rows) - len(chosen)} left).", code="incomplete"
            )
        return chosen or None  # {row's option id: point}

    def answer_context(self, question, field):
        scale = [(str(n), label) for n, label in enumerate(points(question), start=1)]
        return {"rows": per_option_rows(field, question), "scale": scale}

    def answer_rows(self, value):
        return [{"option_id": pk, "number": point} for pk, point in value.items()]

    def initial(self, rows):
        return {str(row.option_id): str(int(row.number)) for row in rows}

    def limits(self, question):
        return ["Choose one answer in each row."] if question.required else []

    def start_problems(self, question, options):
        problems = []
        if question.scale not in SCALES:
            problems.append(f"“{question.prompt}” needs a scale.")
        if not options:
            problems.append(f"“{question.prompt}” needs at least one row.")
        return problems

    def describe(self, question):
        return [SCALES[question.scale][0]] if question.scale in SCALES else ["no scale yet"]

    # --- results and exports: one column per row ---------------------------------------

    def summarize(self, question, answered, *, chosen, distribution):
        """A bar set per row over the scale, and its mean on a numeric scale.
        `distribution` holds ((row's option id, point), count) pairs."""
        scale = points(question)
        numeric = question.scale in SCALES and SCALES[question.scale][2]
        counts = {}  # row → {point: count}
        for (pk, point), n in distribution:
            counts.setdefault(pk, {})[int(point)] = n
        rows = []
        for option in question.options.all():
            row = counts.get(option.pk, {})
            total = sum(row.values())
            pairs = [(label, row.get(point, 0)) for point, label in enumerate(scale, start=1)]
            mean = mean_of([(scale[p - 1], n) for p, n in row.items()]) if numeric else None
            rows.append(RowSummary(option.text, total, bars(pairs, total), mean))
        return Summary(rows=rows)

    def headers(self, question):
        return [f"{question.prompt} [{o.text}]" for o in question.options.all()]

    def placer(self, question):
        column = {o.pk: n for n, o in enumerate(question.options.all())}
        scale = points(question)
        return lambda option_id, number: (column[option_id], scale[int(number) - 1])

    def readable(self, question, cells):
        rows = question.options.all()
        return "; ".join(f"{o.text}: {cell}" for o, cell in zip(rows, cells, strict=True) if cell)

    def sample_answer(self, question, n):
        rows = [o.pk for o in question.options.all()]
        return {pk: (n + row) % len(points(question)) + 1 for row, pk in enumerate(rows)}

    def demo_answer(self, rng, options):
        weights = DEMO_WEIGHTS
        return {pk: rng.choices(range(1, 6), weights=weights)[0] for pk, _ in options}
