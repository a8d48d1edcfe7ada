"""The kinds of question as a builder needs them: for each kind, the fields a question of
that kind has, with their labels, input types, limits and choices.

Read from the question form (surveys/forms.py's QuestionForm), which is built from each
kind's one definition (surveys/kinds/: its Setting labels and form fields) and the model's
columns: the inline builder draws its fields from this and keeps no list of its own.
"""

from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from surveys.forms import QuestionForm
from surveys.kinds import KINDS
from surveys.services import MAX_OPTIONS_PER_QUESTION, MAX_QUESTIONS_PER_SURVEY

COMMON = ("prompt", "help_text", "required")
# The attributes of an <input> a builder should copy, as the form draws them.
INPUT_ATTRS = ("min", "max", "step", "maxlength")


def _input(widget):
    if getattr(widget, "allow_multiple_selected", False):
        return "checkboxes"
    if widget.input_type == "select":  # a Select's input_type names its template
        return "select"
    return widget.attrs.get("type", widget.input_type)


def describe(name, field):
    """One form field as JSON: what the builder needs to draw and check its input."""
    widget = field.widget
    described = {
        "name": camelize_re.sub(underscore_to_camel, name),  # as the question's JSON has it
        "label": str(field.label),
        "help": str(field.help_text),
        "input": _input(widget),
        "required": field.required,
        "attrs": {key: str(widget.attrs[key]) for key in INPUT_ATTRS if key in widget.attrs},
    }
    if hasattr(field, "choices"):
        described["choices"] = [
            {"value": str(value), "label": str(label)} for value, label in field.choices
        ]
    return described


def kinds():
    form = QuestionForm()
    return {
        "fields": [describe(name, form.fields[name]) for name in COMMON],
        "kinds": [
            {
                "key": kind.key,
                "label": kind.label,
                "has_options": kind.has_options,
                "option_word": kind.option_word,
                "settings_legend": kind.settings_legend,
                "settings": [describe(name, form.fields[name]) for name in kind.settings],
            }
            for kind in KINDS.values()
        ],
        "limits": {
            "questions_per_survey": MAX_QUESTIONS_PER_SURVEY,
            "options_per_question": MAX_OPTIONS_PER_QUESTION,
        },
    }


class KindsView(APIView):
    """The kinds of question, in the order creators see them, with the fields each has."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(kinds())
