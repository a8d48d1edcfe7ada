"""File upload: the taker sends one file of a type the question allows, up to its size
limit. surveys/files.py decides what is accepted and what is kept; the answer's text is
the file's shown name and an Upload row holds the file (surveys/responses.py stores it)."""

import io

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image

from ..files import ACCEPT, FILE_TYPE_CHOICES, FILE_TYPES, megabytes, receive
from ..summaries import Summary
from .base import Kind, Setting, tampered

DEFAULT_MAX_MB = 10


def allowed_types(question):
    """The FILE_TYPES keys `question` takes: those chosen, or all of them."""
    return [key for key in FILE_TYPES if key in (question.file_types or FILE_TYPES)]


def max_bytes(question):
    """The largest file `question` takes: its own limit, never above the site's."""
    chosen = question.max_file_mb or min(DEFAULT_MAX_MB, settings.UPLOAD_MAX_MB)
    return min(chosen, settings.UPLOAD_MAX_MB) * 1024 * 1024


def accept(question):
    """The answer page's accept attribute: what the file chooser offers."""
    return ",".join(ACCEPT[key] for key in allowed_types(question))


class FileUpload(Kind):
    key, label = "file", "File upload"
    stores = "text"
    files = True
    settings = {
        "file_types": Setting(
            "Files it takes",
            form_field=forms.MultipleChoiceField(
                choices=FILE_TYPE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
            ),
            fixed_words="a file question's types: FILE_TYPES' keys",
        ),
        "max_file_mb": Setting("Largest file, in MB"),
    }
    settings_legend = "File upload: what it takes (optional: any of these, up to 10 MB)"
    sample_question = {"required": False}
    template = "surveys/public/kinds/file.html"

    def form_field(self, question, **common):
        # The kind's clean() says what is wrong with a file, empty ones included.
        return forms.FileField(allow_empty_file=True, **common)

    def clean(self, question, raw):
        if not isinstance(raw, UploadedFile):
            raise tampered("A file question takes a file (through the API: a multipart part).")
        return receive(raw, allowed=allowed_types(question), max_bytes=max_bytes(question))

    def answer_context(self, question, field):
        # accept is a hint to the file chooser: the content decides.
        return {"accept": accept(question), "max_bytes": max_bytes(question)}

    def answer_rows(self, value):
        return [{"text": value.name}]

    def initial(self, rows):
        return None  # a stored file can't go back into a file chooser; it is kept

    def check_settings(self, question):
        problems = {}
        types = question.file_types or []
        # Checked for its shape first: a list of lists or of objects has no set to take.
        shaped = isinstance(types, list) and all(isinstance(t, str) for t in types)
        if not shaped or set(types) - set(FILE_TYPES):
            problems["file_types"] = f"Choose from {', '.join(FILE_TYPES)}."
        size = question.max_file_mb
        if size is not None and not 1 <= size <= settings.UPLOAD_MAX_MB:
            problems["max_file_mb"] = f"From 1 to {settings.UPLOAD_MAX_MB} MB on this site."
        return problems

    def limits(self, question):
        names = ", ".join(FILE_TYPES[key][0] for key in allowed_types(question))
        return [f"One file: {names}; up to {megabytes(max_bytes(question))}."]

    def describe(self, question):
        return [
            *(FILE_TYPES[key][0] for key in question.file_types),
            f"up to {megabytes(max_bytes(question))}",
        ]

    def summarize(self, question, answered, *, chosen, distribution):
        return Summary()

    def demo_answer(self, rng, options):
        return None  # demo takers send no files

    def sample_answer(self, question, n):
        image = io.BytesIO()
        Image.new("RGB", (40, 30), (n * 37 % 256, 90, 160)).save(image, "PNG")
        return SimpleUploadedFile(f"photo-{n}.png", image.getvalue(), "image/png")
