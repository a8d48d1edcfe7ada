"""A survey's structure and responses in portable formats (used by "download my data")."""

import csv
from itertools import groupby

from .models import Answer

# Spreadsheet programs run cells starting with these as formulas.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def survey_structure(survey, questions):
    """JSON-ready description of a survey; `questions` have their options prefetched."""
    return {
        "title": survey.title,
        "status": survey.status,
        "created_at": survey.created_at.isoformat(),
        "public_token": survey.public_token,
        "questions": [
            {
                "position": question.position,
                "prompt": question.prompt,
                "options": [
                    {"position": o.position, "text": o.text} for o in question.options.all()
                ],
            }
            for question in questions
        ],
    }


def response_rows(survey, questions):
    """The header, then one row per submission, one column per question, oldest first.

    One query, read in chunks (a server-side cursor on PostgreSQL), so memory stays flat
    whatever the number of responses. `questions` have their options prefetched.
    """
    yield ["submission", "submitted_at", *(safe_cell(q.prompt) for q in questions)]
    option_text = {o.pk: o.text for q in questions for o in q.options.all()}
    column = {q.pk: n for n, q in enumerate(questions)}
    answers = (
        Answer.objects.filter(submission__survey=survey)
        .order_by("submission_id")
        .values_list("submission_id", "submission__created_at", "question_id", "option_id")
        .iterator(chunk_size=5000)
    )
    for (submission_id, created_at), rows in groupby(answers, key=lambda row: row[:2]):
        cells = [""] * len(questions)
        for *_, question_id, option_id in rows:
            cells[column[question_id]] = safe_cell(option_text[option_id])
        yield [submission_id, created_at.isoformat(), *cells]


def write_responses_csv(survey, questions, out):
    csv.writer(out).writerows(response_rows(survey, questions))


class _Echo:
    """A file-like object whose write() hands back what it was given (for streaming)."""

    def write(self, value):
        return value


def stream_responses_csv(survey, questions):
    """UTF-8 with a byte-order mark, so spreadsheet programs pick the right encoding."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in response_rows(survey, questions):
        yield writer.writerow(row)
