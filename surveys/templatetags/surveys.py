from decimal import Decimal

from django import template

from lib.numbers import plain_number
from surveys.kinds.matrix import points
from surveys.kinds.upload import accept, max_bytes

register = template.Library()


@register.filter
def plain(value):
    """A number as people write it: 10 not 1E+1, 2.5 not 2.5000."""
    return plain_number(value) if isinstance(value, Decimal) else value


@register.simple_tag
def per_option(field, question):
    """For a ranking or matrix: (option, its input's name, the value given so far) per
    option of `question`, from its PerOption field."""
    given = field.value() or {}
    return [
        (o, f"{field.html_name}_{o.pk}", str(given.get(str(o.pk), ""))) for o in question.options
    ]


@register.simple_tag
def scale_points(question):
    """A matrix's scale: (value as posted, label) per point."""
    return [(str(n), label) for n, label in enumerate(points(question), start=1)]


@register.simple_tag
def file_accept(question):
    """The file chooser's accept attribute for a file question (a hint: content decides)."""
    return accept(question)


@register.simple_tag
def file_max_bytes(question):
    return max_bytes(question)
