"""Fields that take their own JSON type only, so no other type reaches model code: numbers
of plain ASCII digits (see lib/numbers.py; DRF's own accept full-width digits and "1_0" as
10), strings that are strings (DRF's make one of 7 or a list), booleans that are booleans
(DRF's take "yes" and 1)."""

from django.db import models
from rest_framework import serializers

from lib.numbers import parse_decimal
from surveys.kinds import NUMBER_DIGITS, NUMBER_PLACES


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, or a string of ASCII digits with an optional minus sign."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str):
            value = parse_decimal(data)
            if value is None or "." in data:
                self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictDecimalField(serializers.DecimalField):
    """A JSON number, or a string of ASCII digits with an optional sign and decimal point."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        if isinstance(data, str) and parse_decimal(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONNumberField(StrictDecimalField):
    """A decimal column shown as a JSON number, not a string."""

    def __init__(self, **options):
        super().__init__(coerce_to_string=False, **options)


def NumberField(**options):
    """A number as answers hold it (14 digits before the point, 4 after), as a JSON number."""
    return JSONNumberField(
        max_digits=NUMBER_DIGITS + NUMBER_PLACES,
        decimal_places=NUMBER_PLACES,
        **options,
    )


class ModelSerializer(serializers.ModelSerializer):
    """ModelSerializer with the strict fields above for the model's columns. A JSONField
    has no mapping on purpose: it would take any JSON at all, so each is declared with its
    shape (tests/api/test_strict_types.py fails for one that is not)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.BooleanField: StrictBooleanField,
        models.IntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.PositiveBigIntegerField: StrictIntegerField,
        models.DecimalField: StrictDecimalField,
    }
