"""A survey's structure and responses in portable formats: raw responses as CSV and XLSX,
a summary CSV of the results, and an account's surveys as a zip ("download my data")."""

import contextlib
import csv
import io
import json
import os
import tempfile
import time
import zipfile
from base64 import b64encode
from decimal import Decimal
from itertools import groupby
from pathlib import Path

from django.http import FileResponse, Http404
from django.utils.text import slugify

from lib.numbers import plain_number

from .errors import ExportExpired
from .models import Answer, Survey
from .structure import questions_with_options

# Submissions between two progress reports of a background export.
PROGRESS_EVERY = 2000
# File names keep this much of a survey's title.
NAME_LENGTH = 60
# Spreadsheet programs run cells starting with these as formulas.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}
CHOICE_SEPARATOR = "; "


def _title_slug(survey):
    return slugify(survey.title)[:NAME_LENGTH] or "survey"


def download_name(survey, suffix):
    """A file name for one of the survey's downloads: its title, made safe, then `suffix`."""
    return f"{_title_slug(survey)}-{suffix}"


def safe_cell(value):
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def structure_json(survey, questions):
    """JSON-ready description of a survey; `questions` have their options prefetched."""
    return {
        "title": survey.title,
        "status": survey.status,
        "version": survey.version,
        "created_at": survey.created_at.isoformat(),
        "public_token": survey.public_token,
        "questions": [
            {
                "position": question.position,
                "kind": question.kind,
                "prompt": question.prompt,
                "help_text": question.help_text,
                "required": question.required,
                "options": [
                    {"position": o.position, "text": o.text} for o in question.options.all()
                ],
            }
            for question in questions
        ],
    }


def columns(questions):
    """(question, its first column, its number of columns) per question, in order: most
    kinds take one column, a ranking one per place, a matrix one per row."""
    spans, start = [], 0
    for question in questions:
        width = len(question.kind_def.headers(question))
        spans.append((question, start, width))
        start += width
    return spans


def row_maker(questions):
    """A function that turns one submission's answers into the export's cells (see
    columns()): the ticked options' texts joined (in the question's order), the text, the
    number (a Decimal), or what the kind places in its columns; "" where unanswered.
    Answers are (question_id, option_id, text, number) rows. The lookups are built once,
    not per submission."""
    option_text = {o.pk: o.text for q in questions for o in q.options.all()}
    option_order = {o.pk: n for q in questions for n, o in enumerate(q.options.all())}
    spans = columns(questions)
    column = {q.pk: start for q, start, _ in spans}
    placers = {q.pk: q.kind_def.placer(q) for q in questions if q.kind_def.placer(q)}
    width = sum(n for _, _, n in spans)

    def values(answers):
        cells = [""] * width
        ticked = {}
        for question_id, option_id, text, number in answers:
            if question_id in placers:
                offset, cell = placers[question_id](option_id, number)
                cells[column[question_id] + offset] = cell
            elif option_id is not None:
                ticked.setdefault(column[question_id], []).append(option_id)
            else:
                cells[column[question_id]] = text if number is None else number
        for n, option_ids in ticked.items():
            option_ids.sort(key=option_order.__getitem__)
            cells[n] = CHOICE_SEPARATOR.join(option_text[pk] for pk in option_ids)
        return cells

    return values


def _records(survey, questions, progress=None):
    """(submission id, submitted at, values) per submission, oldest first; `progress(n)`,
    when given, hears how many are done every PROGRESS_EVERY, and at the end.

    One query, read in chunks (a server-side cursor on PostgreSQL), so memory stays flat
    whatever the number of responses. `questions` have their options prefetched.
    """
    values = row_maker(questions)
    answers = (
        Answer.objects.filter(submission__survey=survey)
        .order_by("submission_id", "pk")
        .values_list(
            "submission_id", "submission__created_at", "question_id", "option_id", "text", "number"
        )
        .iterator(chunk_size=5000)
    )
    done = 0
    for (submission_id, created_at), rows in groupby(answers, key=lambda row: row[:2]):
        yield submission_id, created_at, values(row[2:] for row in rows)
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress(done)
    if progress:
        progress(done)


def _header(questions):
    return ["submission", "submitted_at", *(h for q in questions for h in q.kind_def.headers(q))]


def response_rows(survey, questions, progress=None):
    """The header, then one row per submission, one column per question, as CSV text."""
    yield [safe_cell(cell) for cell in _header(questions)]
    for submission_id, created_at, values in _records(survey, questions, progress):
        cells = [plain_number(v) if isinstance(v, Decimal) else safe_cell(v) for v in values]
        yield [submission_id, created_at.isoformat(), *cells]


def write_responses_csv(survey, questions, out, progress=None):
    csv.writer(out).writerows(response_rows(survey, questions, progress))


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


def responses_xlsx(survey, questions, progress=None):
    """The responses as an XLSX file (an open temporary file, at its start).

    openpyxl's write-only mode streams rows to disk, so memory stays flat (with lxml
    installed it also writes them about a third faster). Numbers stay numbers; texts are
    strings, never formulas, without the control characters XML can't hold (a taker's text
    may contain them).
    """
    # Imported here: openpyxl and lxml add about 20 MB to every worker that loads them,
    # and most workers never build a spreadsheet.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Responses")

    def cell(value):
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if not value.startswith("="):
            return value  # openpyxl stores any other text as a string
        typed = WriteOnlyCell(sheet, value=value)
        typed.data_type = "s"  # shown as typed, not run
        return typed

    sheet.append([cell(value) for value in _header(questions)])
    for submission_id, created_at, values in _records(survey, questions, progress):
        sheet.append([submission_id, created_at.replace(tzinfo=None), *map(cell, values)])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    book.save(out)
    out.seek(0)
    return out


def remove_leftover_sheets(*, older_than):
    """Delete openpyxl's sheet files left by builds that were killed; how many went.

    openpyxl streams each sheet to a named temporary file (`openpyxl.*`) and deletes it
    when the workbook is saved: a build killed meanwhile (SIGKILL, the OOM killer) leaves
    it behind, megabytes each. No build runs longer than `older_than` seconds (the task
    time limit), so an older file of this user's is a leftover."""
    cutoff, removed = time.time() - older_than, 0
    for path in Path(tempfile.gettempdir()).glob("openpyxl.*"):
        with contextlib.suppress(OSError):  # gone meanwhile, or another user's
            found = path.lstat()
            if found.st_uid == os.getuid() and found.st_mtime < cutoff and path.is_file():
                path.unlink()
                removed += 1
    return removed


def summary_csv(results):
    """Counts and percentages per option, scale value or range, plus statistics for
    numbers and ratings and the number of answers to text questions."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["question", "type", "answer", "count", "percent"])
    writer.writerow(["(all)", "", "responses", results.submissions, ""])
    for question in results.questions:
        prompt = safe_cell(f"{question.number}. {question.prompt}")
        kind = question.kind_label
        writer.writerow([prompt, kind, "answered", question.answered, ""])
        for bar in question.bars:
            writer.writerow([prompt, kind, safe_cell(bar.label), bar.count, f"{bar.percent:.1f}"])
        if question.stats:
            stats = question.stats
            for name in ("mean", "median", "lowest", "highest"):
                writer.writerow([prompt, kind, name, plain_number(getattr(stats, name)), ""])
            if stats.nps is not None:
                writer.writerow([prompt, kind, "NPS", stats.nps, ""])
        if question.span:
            for name in ("earliest", "median", "latest"):
                writer.writerow([prompt, kind, name, getattr(question.span, name), ""])
        for row in question.rows:
            label = safe_cell(row.label)
            for bar in row.bars:
                answer = f"{label}: {safe_cell(bar.label)}"
                writer.writerow([prompt, kind, answer, bar.count, f"{bar.percent:.1f}"])
            if row.mean is not None:
                writer.writerow(
                    [prompt, kind, f"{label}: {question.mean_name}", plain_number(row.mean), ""]
                )
    return out.getvalue()


def account_archive(user, out):
    """Write to `out` a zip of everything the account holds: the account itself (JSON),
    and each survey's structure (JSON) and responses (CSV)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        account = {"username": user.username, "email": user.email, "joined": user.date_joined}
        archive.writestr("account.json", json.dumps(account, default=str, indent=2))
        surveys = Survey.objects.owned_by(user).order_by("pk")
        for survey in surveys:
            questions = questions_with_options(survey)
            name = f"surveys/{survey.pk}-{_title_slug(survey)}"
            archive.writestr(
                f"{name}.json", json.dumps(structure_json(survey, questions), indent=2)
            )
            with (
                archive.open(f"{name}.csv", "w") as raw,
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
            ):
                write_responses_csv(survey, questions, text)
    return len(surveys)


def export_file(survey, questions, format, progress=None):
    """The responses as a temporary file (open, at its start) in `format` ("csv" or
    "xlsx"), for a background export."""
    if format == "xlsx":
        return responses_xlsx(survey, questions, progress)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    write_responses_csv(survey, questions, text, progress)
    text.flush()
    text.detach()  # leaves `out` open
    out.seek(0)
    return out


def file_response(export):
    """A finished export's file, as an attachment, with its length and SHA-256 so a cut-off
    download can be told from a whole one; 404 before it is finished, ExportExpired (410)
    once its time is up, whether or not the sweep has deleted it yet."""
    if export.status != export.Status.DONE:
        raise Http404("not ready")
    if export.is_expired:
        raise ExportExpired
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=download_name(export.survey, f"responses.{export.format}"),
        content_type=CONTENT_TYPES[export.format],
    )
    response["Content-Length"] = export.size
    response["Repr-Digest"] = f"sha-256=:{b64encode(bytes.fromhex(export.sha256)).decode()}:"
    return response
