"""What every kind of question has to say about itself. A kind is one instance of a Kind
subclass (surveys/kinds/__init__.py lists them); the rest of Canvass asks the question's
kind instead of testing which kind it is."""

import random
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from lib.numbers import plain_number

from ..summaries import Summary

# The code of an answer the served form can't produce (a foreign option, a value off the
# scale): the answer form treats it as tampering (400), not as a person's mistake.
TAMPERED = "invalid_choice"


@dataclass(frozen=True)
class Setting:
    """A setting of a kind: a Question column of that name (the model holds its type), and
    what the question form and the sanitizer need to know beyond the column."""

    label: str  # on the question form
    form_field: forms.Field | None = None  # the form's field, when the column's won't do
    widget: forms.Widget | None = None  # the form's widget, when the column's won't do
    # A text setting: why its values are Canvass's own words, never a person's
    # (dbtools/sanitize.py's inventory keeps them in a sanitized copy).
    fixed_words: str = ""


class Kind:
    key = ""  # stored in Question.kind
    label = ""  # shown to creators
    has_options = False  # its answers are chosen from Option rows
    option_word = "option"  # what the builder calls its options
    filterable = False  # the results can be filtered to takers who chose one of its options
    mean_name = "mean"  # what the mean of one of its result rows is
    bars_heading = ""  # what its result bars count, when the label alone doesn't say
    several = False  # a taker may send several values (ticks)
    # The Answer column that holds a value of this kind: "option", "text" or "number".
    stores = "number"
    free_text = False  # its answers are people's own words (read and searched as such)
    # Answered with a file: the answer form is sent as multipart, and a respondent who
    # changes their answers and leaves it out keeps the stored file.
    files = False
    grouped = False  # its results count its answers by stored value (numbers, dates)
    # The Question fields this kind uses beyond prompt, help text and required (name →
    # Setting), and the heading the question form shows them under.
    settings = {}
    settings_legend = ""
    # The test factories' question of this kind (Question fields, settings included) and
    # how many options it gets.
    sample_question = {}
    sample_options = 0
    # The answer page's template for a question of this kind.
    template = ""
    max_length = None  # of a text answer

    def __str__(self):
        return self.label

    # --- the taker's form and the answer rule ----------------------------------------

    def form_field(self, question, **common):
        """The Django form field for `question` (a QuestionSpec). Every field is optional:
        clean() decides, for the form and the API alike."""
        raise NotImplementedError

    def clean(self, question, raw):
        """The value to store for what a taker sent (never empty here), or None for "left
        out". Raises ValidationError; code TAMPERED for input the form can't produce."""
        raise NotImplementedError

    def limits(self, question):
        """Sentences that tell a taker the question's limits ("Tick up to 3.")."""
        return []

    def answer_context(self, question, field):
        """What its answer-page template needs beyond `question` and `field`, as `kind`."""
        return {}

    def initial(self, rows):
        """The form's value for an answer stored as `rows` (its Answer rows), so its
        respondent can change it."""
        if self.stores == "option":
            values = [str(row.option_id) for row in rows]
            return values if self.several else values[0]
        if self.stores == "text":
            return rows[0].text
        return plain_number(rows[0].number)

    def answer_rows(self, value):
        """The Answer fields to store for a cleaned value, one dict per row."""
        return [{self.stores if self.stores != "option" else "option_id": value}]

    # --- the creator's side ------------------------------------------------------------

    def check_settings(self, question):
        """{setting: why it is wrong} for the model's validation (the question form and
        the API alike); the question holds this kind's settings only."""
        return {}

    def start_problems(self, question, options):
        """Why `question` (with `options` options) keeps its survey from starting."""
        return []

    def describe(self, question):
        """Its settings in a few words, for the edit page ("at most 3")."""
        return []

    # --- results and demo data -----------------------------------------------------------

    def summarize(self, question, answered, *, chosen, distribution):
        """Its Summary for the results: `chosen` counts answers per option id,
        `distribution` is the sorted (value, count) pairs of a grouped kind's answers."""
        return Summary()

    def demo_answer(self, rng, options):
        """A plausible answer for demo data; `options` are (option id, weight) pairs."""
        raise NotImplementedError

    def sample_answer(self, question, n):
        """A valid answer to `question` (options prefetched) as a taker sends it, varied
        by `n`: what the test factories submit."""
        options = [(o.pk, 1) for o in question.options.all()]
        return self.demo_answer(random.Random(n), options)

    # --- exports and the per-response page -----------------------------------------------
    # A kind answered one row per option and a number (a ranking's places, a matrix's
    # points) spreads over several columns; the others take one.

    def headers(self, question):
        """The export's column headers for `question` (options prefetched)."""
        return [question.prompt]

    def placer(self, question):
        """None, or a function (option id, number) → (column among headers(), cell)."""
        return None

    def readable(self, question, cells):
        """One text for the per-response page from the question's export cells."""
        return cells[0]


def rotated_options(question, n):
    """The question's option ids, the `n`th first: varied samples for the factories."""
    options = [o.pk for o in question.options.all()]
    return options[n % len(options) :] + options[: n % len(options)]


def check_range(question, low, high):
    """{high: why}, when both ends of a range are set and the lowest is above the highest."""
    lowest, highest = getattr(question, low), getattr(question, high)
    if lowest is not None and highest is not None and lowest > highest:
        return {high: "Must not be below the lowest."}
    return {}


def tampered(message):
    return ValidationError(message, code=TAMPERED)


def small_number(raw):
    """A whole number from an int or from plain ASCII digits (a few: int() of thousands of
    digits is slow, then an error), else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 4:
        return int(raw)
    return None


class PerOption(forms.Widget):
    """One value per option of the question, posted as <name>_<option id>: a ranking's
    places, a matrix's choice per row. Its value is {option id (text): value}, only the
    ones given."""

    def __init__(self, option_pks):
        super().__init__()
        self.option_pks = [str(pk) for pk in option_pks]

    def names(self, name):
        return [f"{name}_{pk}" for pk in self.option_pks]

    def value_from_datadict(self, data, files, name):
        values = {pk: data.get(f"{name}_{pk}", "") for pk in self.option_pks}
        return {pk: value for pk, value in values.items() if value != ""}

    def value_omitted_from_data(self, data, files, name):
        return not any(key in data for key in self.names(name))


def per_option_rows(field, question):
    """(option, its input's name, the value given so far) per option of `question`, from
    its PerOption field: a ranking's or a matrix's rows on the answer page."""
    given = field.value() or {}
    return [
        (o, f"{field.html_name}_{o.pk}", str(given.get(str(o.pk), ""))) for o in question.options
    ]


class PerOptionField(forms.Field):
    """A field whose value is {option id: value} (see PerOption); the kind's clean()
    judges it."""

    def __init__(self, question, **common):
        super().__init__(widget=PerOption(o.pk for o in question.options), **common)

    def to_python(self, value):
        return value or {}
