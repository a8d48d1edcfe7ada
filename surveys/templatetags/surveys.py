from decimal import Decimal

from django import template
from django.urls import reverse

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


# The survey's workspace, tab by tab: (key, label, URL name). Each tab is a page of its own,
# so every one works without JavaScript and has an address to share or bookmark.
WORKSPACE_TABS = [
    ("build", "Build", "surveys:edit"),
    ("share", "Share", "surveys:share"),
    ("results", "Results", "surveys:results"),
    ("responses", "Responses", "surveys:responses"),
    ("settings", "Settings", "surveys:settings"),
    ("integrations", "Integrations", "integrations:survey"),
    ("danger", "Danger zone", "surveys:danger"),
]


@register.inclusion_tag("surveys/_workspace_head.html")
def workspace_head(survey, tab):
    """The survey's title, state and tabs, with `tab` the page shown. A replaced version
    (always closed) says which one took over its link, on every tab."""
    return {
        "survey": survey,
        "replaced_by": survey.later_version(started=True) if survey.is_closed else None,
        "tabs": [
            {"label": label, "url": reverse(name, args=[survey.pk]), "current": key == tab}
            for key, label, name in WORKSPACE_TABS
        ],
    }
