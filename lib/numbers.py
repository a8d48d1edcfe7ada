"""Numbers in and out: strict parsing of ids and numbers people and programs send, and
numbers written the way people write them.

Python's int() and Decimal() accept far more than anyone types into a form: full-width and
other non-ASCII digits (full-width "12" is 12), underscores ("1_0" is 10), exponents ("1e1000000",
which then overflows Decimal arithmetic) and NaN. Canvass takes plain ASCII digits only,
with a sign and a decimal point where a number allows them, everywhere an id or a number
comes in: answer forms, creator forms, query strings and the API.
"""

import re
from decimal import Decimal

_ID = re.compile(r"[0-9]{1,19}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
ID_MAX = 2**63 - 1  # the largest value of a 64-bit primary key


def parse_id(raw):
    """A positive database id from a string or an int, or None if it is anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _ID.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if 1 <= value <= ID_MAX else None


def parse_decimal(raw):
    """A Decimal from a plain decimal string ("42", "-3.5", ".5") or an int, or None.

    Surrounding spaces are ignored; anything else (exponents, underscores, non-ASCII
    digits, NaN, infinity) is not a number here.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


def plain_number(value):
    """A Decimal as people write it: 4.5000 → "4.5", 1E+1 → "10"."""
    return f"{value.normalize():f}"
