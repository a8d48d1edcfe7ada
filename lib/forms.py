"""Form fields for numbers that take plain ASCII digits only (see lib/numbers.py)."""

from django import forms
from django.db import models

from .numbers import parse_decimal


def _check(field, value, *, whole):
    if value in field.empty_values:
        return
    parsed = parse_decimal(str(value))
    if parsed is None or (whole and parsed != parsed.to_integral_value()):
        raise forms.ValidationError(field.error_messages["invalid"], code="invalid")


class StrictIntegerField(forms.IntegerField):
    def to_python(self, value):
        _check(self, value, whole=True)
        return super().to_python(value)


class StrictDecimalField(forms.DecimalField):
    def to_python(self, value):
        _check(self, value, whole=False)
        return super().to_python(value)


def strict_formfield(db_field, **kwargs):
    """A ModelForm's `formfield_callback`: the strict fields for number columns."""
    if isinstance(db_field, models.DecimalField):
        kwargs.setdefault("form_class", StrictDecimalField)
    elif isinstance(db_field, models.IntegerField) and not db_field.choices:
        kwargs.setdefault("form_class", StrictIntegerField)
    return db_field.formfield(**kwargs)
