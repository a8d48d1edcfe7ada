"""What counts as an answer to each kind of question.

One set of rules for the answer form, the API and submit_response, so a taker's browser and
an API client are held to the same limits. Each rule takes what a taker sent (a string, or
a list of strings for multiple choice) and returns the value to store, or None when the
question was left unanswered.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from lib.strict import parse_decimal

from .models import Question

Kind = Question.Kind

# Codes of answers the served form cannot produce: a foreign option, a value off the scale.
TAMPERED = "invalid_choice"
NUMBER_PLACES = 4
NUMBER_DIGITS = 14  # before the decimal point: DECIMAL(18, 4) columns


def plain_number(value):
    """A Decimal as people write it: 4.5000 → "4.5", 1E+1 → "10"."""
    return f"{value.normalize():f}"


def _is_empty(raw):
    return raw is None or raw == "" or raw == [] or raw == ()


def _option(question, raw):
    pk = question.option_pks.get(str(raw))
    if pk is None or isinstance(raw, bool):
        raise ValidationError("That is not one of this question's options.", code=TAMPERED)
    return pk


def _single(question, raw):
    return _option(question, raw)


def _multiple(question, raw):
    if isinstance(raw, str | int):
        raw = [raw]
    picked = [_option(question, value) for value in raw]
    if len(set(picked)) != len(picked):
        raise ValidationError("An option was ticked twice.", code=TAMPERED)
    if question.min_choices and len(picked) < question.min_choices:
        raise ValidationError(f"Choose at least {question.min_choices}.", code="too_few")
    if question.max_choices and len(picked) > question.max_choices:
        raise ValidationError(f"Choose at most {question.max_choices}.", code="too_many")
    return tuple(sorted(picked))


def _text(question, raw):
    if not isinstance(raw, str):
        raise ValidationError("Enter text.", code="invalid")
    if "\x00" in raw:
        raise ValidationError("The text contains a null character.", code="null_characters")
    text = raw.strip()
    if len(text) > question.max_length:
        raise ValidationError(
            f"Keep it to {question.max_length} characters (this has {len(text)}).",
            code="max_length",
        )
    return text or None


def _decimal(raw):
    """A finite Decimal from what a taker sent, or None. The API hands over Decimals it
    has parsed already; forms hand over text, taken in plain ASCII digits only."""
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    return parse_decimal(raw)


def _number(question, raw):
    value = _decimal(raw)
    if value is None:
        raise ValidationError("Enter a number, like 42 or 3.5.", code="invalid")
    # adjusted() is the power of ten of the first digit: no arithmetic, so no overflow
    # whatever the exponent.
    if value and value.adjusted() >= NUMBER_DIGITS:
        raise ValidationError("Enter a smaller number.", code="invalid")
    if value.as_tuple().exponent < -NUMBER_PLACES:
        raise ValidationError(f"Use at most {NUMBER_PLACES} decimal places.", code="invalid")
    if question.min_value is not None and value < question.min_value:
        raise ValidationError(f"Enter {plain_number(question.min_value)} or more.", code="min")
    if question.max_value is not None and value > question.max_value:
        raise ValidationError(f"Enter {plain_number(question.max_value)} or less.", code="max")
    return value


def _rating(question, raw):
    off_scale = ValidationError("That is not a value on this scale.", code=TAMPERED)
    value = _decimal(raw)
    if value is None or value.adjusted() > 2 or value != value.to_integral_value():
        raise off_scale
    if int(value) not in question.scale:
        raise off_scale
    return int(value)


_RULES = {
    Kind.SINGLE: _single,
    Kind.MULTIPLE: _multiple,
    Kind.SHORT_TEXT: _text,
    Kind.LONG_TEXT: _text,
    Kind.NUMBER: _number,
    Kind.RATING_5: _rating,
    Kind.RATING_10: _rating,
    Kind.NPS: _rating,
}


def clean_answer(question, raw):
    """The value to store for `question` (a QuestionSpec), or None if unanswered."""
    value = None if _is_empty(raw) else _RULES[question.kind](question, raw)
    if value is None and question.required:
        raise ValidationError("Please answer this question.", code="required")
    return value
