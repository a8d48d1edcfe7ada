"""Short and long text answers."""

from django import forms
from django.core.exceptions import ValidationError

from .base import Kind

# What the demo data's long answers say (most people leave an optional text empty).
REMARKS = [
    "Vegetarian food, please.",
    "I can't make the first week of May.",
    "Somewhere reachable by train would be great.",
    "More free time in the afternoons.",
    "Last year's quiz night was the best part!",
]


class Text(Kind):
    stores = "text"
    free_text = True
    template = "surveys/public/kinds/text.html"
    max_length = 0
    multiline = False
    widget = None

    def form_field(self, question, **common):
        return forms.CharField(
            widget=self.widget, max_length=self.max_length, strip=False, **common
        )

    def clean(self, question, raw):
        if not isinstance(raw, str):
            raise ValidationError("Enter text.", code="invalid")
        if "\x00" in raw:
            raise ValidationError("The text contains a null character.", code="null_characters")
        text = raw.strip()
        if len(text) > self.max_length:
            raise ValidationError(
                f"Keep it to {self.max_length} characters (this has {len(text)}).",
                code="max_length",
            )
        return text or None

    def demo_answer(self, rng, options):
        return rng.choice(REMARKS) if rng.random() < 0.3 else None

    def sample_answer(self, question, n):
        return f"answer {n}"


class ShortText(Text):
    key, label = "short_text", "Short text"
    max_length = 200


class LongText(Text):
    key, label = "long_text", "Long text"
    max_length = 5000
    sample_question = {"required": False}
    multiline = True
    widget = forms.Textarea(attrs={"rows": 5})
