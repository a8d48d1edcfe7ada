"""Every JSON field's type is checked at the API's edge, before any model code runs: a value
of the wrong type anywhere, nested included, is a JSON 400 naming the field, and nothing
is written."""

import pytest
from rest_framework import serializers

import api.serializers
import api.webhooks
from surveys.models import Question

pytestmark = pytest.mark.django_db

# A value of each JSON type; a field takes at most one or two of them.
WRONG = [["image"], [["image"]], {"a": 1}, [{"a": 1}], "image", 7, 1.5, True, None]
SETTINGS = {"prompt": "Which?", "kind": "file", "file_types": ["image"], "max_file_mb": 1}
# The values of WRONG each field does take ("image" is a fine prompt; 1 a fine size).
TAKES = {
    "fileTypes": [["image"]],
    "maxFileMb": [7, None],
    "prompt": ["image"],
    "kind": [],
    "required": [True],
}
CASES = [(f, v) for f in TAKES for v in WRONG if v not in TAKES[f]]


@pytest.mark.parametrize(("field", "value"), CASES, ids=repr)
def test_a_wrong_type_in_a_question_is_a_400_and_changes_nothing(
    alice_api, draft_survey, field, value
):
    question = draft_survey.questions.create(position=99, **SETTINGS)
    before = list(Question.objects.values())
    created = alice_api.post(
        f"/api/v1/surveys/{draft_survey.pk}/questions/",
        {"prompt": "New?", "kind": "file", field: value},
        format="json",
    )
    changed = alice_api.patch(f"/api/v1/questions/{question.pk}/", {field: value}, format="json")
    for response in (created, changed):
        assert response.status_code == 400, response.content
        assert response["Content-Type"].startswith("application/json")
        assert field in response.json(), response.json()
    assert list(Question.objects.values()) == before


def _serializers():
    for module in (api.serializers, api.webhooks):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.Serializer)
                and value.__module__ == module.__name__
            ):
                yield value


def test_no_writable_field_takes_any_json():
    """The class of bug: a model's JSONField becomes a DRF JSONField, which takes any value
    at all and hands it to model code. Every writable field says its type instead."""
    checked = 0
    for serializer_class in _serializers():
        try:
            fields = serializer_class().fields
        except (AssertionError, TypeError):
            continue  # needs a context to build; its fields are declared ones
        for name, field in fields.items():
            if not field.read_only:
                checked += 1
                assert not isinstance(field, serializers.JSONField), (
                    f"{serializer_class.__name__}.{name} takes any JSON"
                )
    assert checked > 10
