from decimal import Decimal

from django import template

from lib.numbers import plain_number

register = template.Library()


@register.filter
def plain(value):
    """A number as people write it: 10 not 1E+1, 2.5 not 2.5000."""
    return plain_number(value) if isinstance(value, Decimal) else value


@register.simple_tag
def kind_context(field, question):
    """What the question's kind gives its answer-page template (Kind.answer_context)."""
    return question.kind_def.answer_context(question, field)
