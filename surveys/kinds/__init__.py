"""The kinds of question, one definition each.

A kind says everything that differs between kinds: its form field and answer rule, how its
answers are stored, its settings, what keeps its survey from starting, how its results are
summarised and what demo data answers. The rest of Canvass asks `question.kind_def`
(models, the cached structure, forms, services, results, API, demo data) and never tests
which kind a question is.

A new kind is a Kind subclass in a module here, added to KINDS below, with its answer-page
template in surveys/templates/surveys/public/kinds/; docs/architecture.md lists the rest.
"""

from .base import TAMPERED, Kind, PerOption
from .choice import MIN_OPTIONS, MultipleChoice, SingleChoice
from .dates import Date, TimeOfDay
from .matrix import Matrix
from .number import Number
from .ranking import Ranking
from .scale import NetPromoterScore, Rating5, Rating10, Scale
from .text import LongText, ShortText, Text
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

# The kinds whose options the results can be filtered by.
FILTERABLE = [key for key, kind in KINDS.items() if kind.filterable]
# The kinds answered with a file.
FILE_KINDS = [key for key, kind in KINDS.items() if kind.files]

# Django's choices for Question.kind: (NAME, (value, label)), e.g. Question.Kind.SINGLE.
CHOICES = [(kind.key.upper(), (kind.key, kind.label)) for kind in KINDS.values()]

__all__ = [
    "CHOICES",
    "FILE_KINDS",
    "FILTERABLE",
    "KINDS",
    "MIN_OPTIONS",
    "TAMPERED",
    "Kind",
    "PerOption",
    "Scale",
    "Text",
]
