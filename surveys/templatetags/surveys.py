from decimal import Decimal

from django import template

from lib.numbers import plain_number

register = template.Library()


@register.filter
def plain(value):
    """A number as people write it: 10 not 1E+1, 2.5 not 2.5000."""
    return plain_number(value) if isinstance(value, Decimal) else value
