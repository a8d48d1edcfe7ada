"""What every kind of question has to say about itself. A kind is one instance of a Kind
subclass (surveys/kinds/__init__.py lists them); the rest of Canvass asks the question's
kind instead of testing which kind it is."""

from django.core.exceptions import ValidationError

from lib.numbers import plain_number

# The code of an answer the served form can't produce (a foreign option, a value off the
# scale): the answer form treats it as tampering (400), not as a person's mistake.
TAMPERED = "invalid_choice"


class Kind:
    key = ""  # stored in Question.kind
    label = ""  # shown to creators
    has_options = False  # its answers are chosen from Option rows
    several = False  # a taker may send several values (ticks)
    # The Answer column that holds a value of this kind: "option", "text" or "number".
    stores = "number"
    # The Question fields this kind uses beyond prompt, help text and required, with their
    # labels on the question form, and the heading they are shown under.
    settings = {}
    settings_legend = ""
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

    def publish_problems(self, question, options):
        """Why `question` (with `options` options) keeps its survey from starting."""
        return []

    def describe(self, question):
        """Its settings in a few words, for the edit page ("at most 3")."""
        return []

    # --- results and demo data -----------------------------------------------------------

    def summarize(self, question, answered, *, chosen, distribution):
        """(bars, stats) for the results: `chosen` counts answers per option id,
        `distribution` is the sorted (value, count) pairs of number answers."""
        return [], None

    def demo_answer(self, rng, options):
        """A plausible answer for demo data; `options` are (option id, weight) pairs."""
        raise NotImplementedError


def tampered(message):
    return ValidationError(message, code=TAMPERED)
