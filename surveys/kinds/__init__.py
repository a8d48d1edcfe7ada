"""The kinds of question, one definition each.

A kind says everything that differs between kinds: its form field and answer rule, how its
answers are stored, its settings (a Setting each) and what is wrong with them, what keeps
its survey from starting, how its results are summarised, what its answer-page template
needs, and what demo data and the test factories answer. The rest of Canvass asks
`question.kind_def` (models, the cached structure, forms, services, results, API, demo
data, factories) and never names a kind: tests/rules/test_kinds_in_one_module.py fails
if anything outside this package and its templates does.

A new kind is a Kind subclass in a module here, added to KINDS below, with its answer-page
template in surveys/templates/surveys/public/kinds/ and the migration makemigrations
writes; docs/architecture.md says what else a kind with settings needs.
"""

from .base import TAMPERED, Kind, PerOption, Setting
from .choice import MIN_OPTIONS, MultipleChoice, SingleChoice
from .dates import Date, TimeOfDay
from .matrix import MAX_POINTS as MAX_SCALE_POINTS
from .matrix import SCALE_CHOICES, Matrix
from .number import DIGITS as NUMBER_DIGITS
from .number import PLACES as NUMBER_PLACES
from .number import Number
from .ranking import Ranking
from .scale import NetPromoterScore, Rating5, Rating10
from .text import LongText, ShortText
from .upload import FileUpload

# In the order creators see them.
KINDS = {
    kind.key: kind
    for kind in (
        SingleChoice(),
        MultipleChoice(),
        ShortText(),
        LongText(),
        Number(),
        Rating5(),
        Rating10(),
        NetPromoterScore(),
        Date(),
        TimeOfDay(),
        Matrix(),
        Ranking(),
        FileUpload(),
    )
}

# Every kind's settings: Question column name → Setting.
SETTINGS = {name: setting for kind in KINDS.values() for name, setting in kind.settings.items()}

# The kinds whose options the results can be filtered by.
FILTERABLE = [key for key, kind in KINDS.items() if kind.filterable]
# The kinds answered with a file.
FILE_KINDS = [key for key, kind in KINDS.items() if kind.files]

# Django's choices for Question.kind: (NAME, (value, label)), e.g. Question.KindChoices.SINGLE.
CHOICES = [(kind.key.upper(), (kind.key, kind.label)) for kind in KINDS.values()]

__all__ = [
    "CHOICES",
    "FILE_KINDS",
    "FILTERABLE",
    "KINDS",
    "MAX_SCALE_POINTS",
    "MIN_OPTIONS",
    "NUMBER_DIGITS",
    "NUMBER_PLACES",
    "SCALE_CHOICES",
    "SETTINGS",
    "TAMPERED",
    "Kind",
    "PerOption",
    "Setting",
]
