"""Creator pages. Every view first fetches its object through surveys/access.py, so a
foreign or unknown id is a 404 before anything else, even a wrong method, is said; every
change goes through surveys/services.py (or tasks.py for exports), whose refusals carry
the message shown."""

import io
import logging
import tempfile
from functools import wraps

import segno
from csp.constants import SELF
from csp.decorators import csp_replace, csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.clickjacking import xframe_options_sameorigin

from lib.numbers import parse_id

from . import exports, files, services, tallies, tasks
from .access import (
    export_for_owner,
    option_for_owner,
    question_for_owner,
    survey_for_owner,
    upload_for_owner,
)
from .errors import (
    ExportExpired,
    LimitReached,
    NoOptions,
    Stale,
    SurveyNotEditable,
    WrongStatus,
)
from .forms import (
    AnswerForm,
    ClosingForm,
    OptionForm,
    QuestionForm,
    RespondentsForm,
    SurveyForm,
)
from .kinds import FILTERABLE, MIN_OPTIONS
from .models import Export, Option, Survey
from .results import filtered_submissions, readable_responses, results_for, text_answers
from .structure import questions_with_options, survey_structure

logger = logging.getLogger("canvass.surveys")

RESPONSES_PER_PAGE = 20
TEXT_ANSWERS_PER_PAGE = 25
SEARCH_LENGTH = 200  # as long as the longest short answer


def _chosen_option(request, survey):
    """The option named by ?chose=, which must belong to `survey` and to a question the
    results can be filtered by (a choice); None when absent."""
    value = request.GET.get("chose", "")
    if not value:
        return None
    pk = parse_id(value)
    if pk is None:
        raise Http404("not an option")
    return get_object_or_404(
        Option.objects.select_related("question"),
        pk=pk,
        question__survey=survey,
        question__kind__in=FILTERABLE,
    )


def _query(**params):
    """The query string that keeps a page's filters when the pager moves on."""
    return urlencode({name: value for name, value in params.items() if value})


def survey_action(view):
    """A POST-only action on one of the user's surveys: the survey is looked up first, so
    a foreign id is a 404 whatever the method; then anything but POST is a 405."""

    @login_required
    @wraps(view)
    def wrapper(request, pk):
        survey = survey_for_owner(request.user, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, survey)

    return wrapper


def draft_only(view):
    """Structure pages of a survey that has started say why and go back, changing nothing."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SurveyNotEditable as exc:
            messages.error(request, exc.message)
            return redirect(exc.survey)

    return wrapper


def _refused(request, refusal, to):
    messages.error(request, refusal.message)
    return redirect(to)


@login_required
def my_data(request):
    """A zip of the user's account, every survey's structure (JSON) and responses (CSV)."""
    # In memory up to 8 MB, then on disk; FileResponse closes it once it is sent.
    archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    surveys = exports.account_archive(request.user, archive)
    archive.seek(0)
    logger.info("data download user=%s surveys=%d", request.user.pk, surveys)
    return FileResponse(
        archive, as_attachment=True, filename=f"canvass-{request.user.username}.zip"
    )


@login_required
def survey_list(request):
    surveys = Survey.objects.owned_by(request.user).with_submission_counts()
    return render(request, "surveys/list.html", {"surveys": surveys})


@login_required
def survey_create(request):
    form = SurveyForm(request.POST or None)
    if form.is_valid():
        try:
            survey = services.create_survey(owner=request.user, title=form.cleaned_data["title"])
        except LimitReached as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Survey created. Now add its questions.")
            return redirect("surveys:edit", survey.pk)
    return render(request, "surveys/create.html", {"form": form})


@login_required
def survey_rename(request, pk):
    """The title can change at any time: no answer refers to it."""
    survey = survey_for_owner(request.user, pk)
    form = SurveyForm(request.POST or None, instance=survey)
    if form.is_valid() and form.saved_by(services.update_survey, survey=survey):
        messages.success(request, "Title saved.")
        return redirect("surveys:settings", survey.pk)
    return render(request, "surveys/create.html", {"form": form, "survey": survey})


def _next_version(survey):
    """The version made from a closed survey, if any. A replaced version is closed; a
    running one offers "new version", which returns any draft already made, so only a
    closed survey needs the lookup."""
    return survey.later_version() if survey.is_closed else None


@login_required
# The builder (static/js/builder.js) shows the preview page in a frame.
@csp_update({"frame-src": [SELF]})
def survey_edit(request, pk):
    """The Build tab: a draft's questions to change (the inline builder takes the page
    over where JavaScript runs), or the started version's to read."""
    survey = survey_for_owner(request.user, pk)
    questions = questions_with_options(survey)
    context = {"survey": survey, "questions": questions}
    if survey.is_draft:
        context["problems"] = services.start_problems(questions)
    else:
        context["next_version"] = _next_version(survey)
    return render(request, "surveys/edit.html", context)


@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def survey_preview(request, pk):
    """The taker's answer page, drawn by the code takers get, for the creator to look
    at (in the builder's frame or its own tab); it sends nothing."""
    survey = survey_for_owner(request.user, pk)
    form = AnswerForm(survey=survey, questions=survey_structure(survey))
    return render(request, "surveys/preview.html", {"survey": survey, "form": form})


@login_required
def survey_share(request, pk):
    survey = survey_for_owner(request.user, pk)
    return render(
        request,
        "surveys/share.html",
        {
            "survey": survey,
            "public_url": request.build_absolute_uri(survey.get_public_url()),
            "next_version": _next_version(survey),
        },
    )


@login_required
def survey_settings(request, pk):
    """Closing, respondents and privacy, and whether the survey takes answers."""
    survey = survey_for_owner(request.user, pk)
    return render(
        request,
        "surveys/settings.html",
        {
            "survey": survey,
            "closing_form": ClosingForm(instance=survey),
            "respondents_form": RespondentsForm(instance=survey),
            "next_version": _next_version(survey),
        },
    )


@login_required
def survey_danger(request, pk):
    survey = survey_for_owner(request.user, pk)
    return render(request, "surveys/danger.html", {"survey": survey})


@survey_action
def survey_start(request, survey):
    try:
        services.start_survey(survey=survey)
    except WrongStatus as exc:
        messages.info(request, exc.message)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect("surveys:edit", survey.pk)
    else:
        messages.success(request, "Your survey is running. Share its link to collect answers.")
    return redirect("surveys:share", survey.pk)


@survey_action
def survey_close(request, survey):
    try:
        services.close_survey(survey=survey)
    except WrongStatus as exc:
        return _refused(request, exc, survey)
    messages.success(request, "Survey closed. It no longer accepts answers.")
    return redirect("surveys:settings", survey.pk)


@survey_action
def survey_reopen(request, survey):
    try:
        services.reopen_survey(survey=survey)
    except WrongStatus as exc:
        return _refused(request, exc, survey)
    messages.success(request, "Survey reopened. Its link takes answers again.")
    return redirect("surveys:settings", survey.pk)


def _save_settings(request, survey, form, saved):
    """Save a form of survey settings through update_survey; its errors become messages
    (the form sits on the Settings tab, which the browser goes back to)."""
    if form.is_valid():
        try:
            services.update_survey(survey=survey, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field, error)
        except Stale as exc:
            form.add_error(None, f"{exc.message} Here is how it is now: make your change again.")
    if form.errors:
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else None
                messages.error(request, f"{label}: {error}" if label else error)
    else:
        messages.success(request, saved)
    return redirect("surveys:settings", survey.pk)


@survey_action
def survey_closing(request, survey):
    return _save_settings(
        request, survey, ClosingForm(request.POST, instance=survey), "Closing rules saved."
    )


@survey_action
def survey_respondents(request, survey):
    return _save_settings(
        request,
        survey,
        RespondentsForm(request.POST, instance=survey),
        "Saved. The privacy notice takers see says so too.",
    )


@survey_action
def survey_duplicate(request, survey):
    try:
        copy = services.duplicate_survey(survey=survey, owner=request.user)
    except LimitReached as exc:
        return _refused(request, exc, survey)
    messages.success(
        request, "A new draft with the same questions. Change what you need, then start it."
    )
    return redirect("surveys:edit", copy.pk)


@login_required
def survey_delete(request, pk):
    survey = survey_for_owner(request.user, pk)
    if request.method == "POST":
        services.delete_survey(survey=survey)
        messages.success(request, f"Deleted “{survey.title}”.")
        return redirect("surveys:list")
    return render(
        request,
        "surveys/confirm_delete.html",
        {
            "survey": survey,
            "thing": f"the survey “{survey.title}”",
            "consequence": "Its questions and every response to it are deleted for good.",
            "cancel_url": reverse("surveys:danger", args=[survey.pk]),
        },
    )


@login_required
def survey_results(request, pk):
    survey = survey_for_owner(request.user, pk)
    chose = _chosen_option(request, survey)
    results = results_for(survey, chose=chose)
    return render(
        request,
        "surveys/results.html",
        {
            "survey": survey,
            "results": results,
            "total": results.submissions if chose is None else tallies.submission_count(survey),
            "chose": chose,
        },
    )


@login_required
def survey_responses(request, pk):
    """Every submission with all its answers, newest first, a page at a time."""
    survey = survey_for_owner(request.user, pk)
    chose = _chosen_option(request, survey)
    questions = questions_with_options(survey)
    submissions = filtered_submissions(survey, chose).order_by("-created_at", "-pk")
    page = Paginator(submissions, RESPONSES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/responses.html",
        {
            "survey": survey,
            "chose": chose,
            "page": page,
            "responses": readable_responses(page.object_list, questions),
            "page_query": _query(chose=chose and chose.pk),
        },
    )


@login_required
def question_answers(request, pk):
    """The text answers to one question, newest first, searchable, a page at a time."""
    question = question_for_owner(request.user, pk)
    if not question.kind_def.free_text:
        raise Http404("not a text question")
    survey = question.survey
    chose = _chosen_option(request, survey)
    search = request.GET.get("search", "").strip()[:SEARCH_LENGTH]
    answers = text_answers(question, chose=chose, search=search)
    page = Paginator(answers, TEXT_ANSWERS_PER_PAGE)
    return render(
        request,
        "surveys/text_answers.html",
        {
            "survey": survey,
            "question": question,
            "chose": chose,
            "search": search,
            "page": page.get_page(request.GET.get("page")),
            "page_query": _query(chose=chose and chose.pk, search=search),
        },
    )


@login_required
def survey_qr(request, pk, kind):
    """The public link as a QR code, to print or show on a screen."""
    survey = survey_for_owner(request.user, pk)
    code = segno.make(request.build_absolute_uri(survey.get_public_url()), error="m")
    out = io.BytesIO()
    code.save(out, kind=kind, scale=8 if kind == "png" else 4, border=2)
    content_type = "image/png" if kind == "png" else "image/svg+xml"
    return HttpResponse(
        out.getvalue(),
        content_type=content_type,
        headers={
            "Content-Disposition": content_disposition_header(
                False, exports.download_name(survey, f"qr.{kind}")
            )
        },
    )


def _built_in_background(survey, questions):
    """Whether an export of `survey` is big enough for a worker (EXPORT_INLINE_MAX_ANSWERS)."""
    answers = tallies.submission_count(survey) * len(questions)
    return answers > settings.EXPORT_INLINE_MAX_ANSWERS


def _prepare_instead(request, survey):
    messages.info(
        request,
        "This survey has many answers, so its file is prepared in the background: you will "
        "see its progress here and get an email when it is ready.",
    )
    return redirect("surveys:exports", survey.pk)


@login_required
def survey_export_csv(request, pk):
    survey = survey_for_owner(request.user, pk)
    questions = questions_with_options(survey)
    if _built_in_background(survey, questions):
        return _prepare_instead(request, survey)
    return StreamingHttpResponse(
        exports.stream_responses_csv(survey, questions),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                True, exports.download_name(survey, "responses.csv")
            )
        },
    )


@login_required
def survey_export_xlsx(request, pk):
    survey = survey_for_owner(request.user, pk)
    questions = questions_with_options(survey)
    if _built_in_background(survey, questions):
        return _prepare_instead(request, survey)
    return FileResponse(
        exports.responses_xlsx(survey, questions),
        as_attachment=True,
        filename=exports.download_name(survey, "responses.xlsx"),
        content_type=exports.XLSX_CONTENT_TYPE,
    )


@login_required
def survey_exports(request, pk):
    """The survey's exports built in the background: under way, ready, failed."""
    survey = survey_for_owner(request.user, pk)
    return render(
        request,
        "surveys/exports.html",
        {
            "survey": survey,
            "exports": survey.exports.all(),
            "formats": Export.Format.choices,
            "keep_hours": settings.EXPORT_KEEP_HOURS,
        },
    )


@survey_action
def export_start(request, survey):
    format = request.POST.get("format")
    if format not in Export.Format.values:
        return HttpResponseBadRequest("Choose CSV or XLSX.")
    export, created = tasks.start_export(survey=survey, format=format)
    if not created:
        messages.info(request, "An export of this survey is already under way: here it is.")
    return redirect("surveys:export_detail", export.pk)


@login_required
def export_detail(request, pk):
    export = export_for_owner(request.user, pk)
    if request.headers.get("Accept") == "application/json":  # the page's progress script
        return JsonResponse(
            {
                "status": export.status,
                "rowsDone": export.rows_done,
                "rowsTotal": export.rows_total,
                "percent": export.percent,
            }
        )
    return render(
        request, "surveys/export_detail.html", {"export": export, "survey": export.survey}
    )


@login_required
def export_download(request, pk):
    export = export_for_owner(request.user, pk)
    try:
        return exports.file_response(export)
    except ExportExpired:
        # Gone for a reason its owner may know (as a closed survey is 410 to takers); the
        # page says so and offers a new export.
        return render(
            request,
            "surveys/export_detail.html",
            {"export": export, "survey": export.survey},
            status=410,
        )


@login_required
def upload_download(request, pk):
    """A file a taker sent, to the survey's owner only; always a download, never shown
    in the browser (the CSP sandbox covers a browser that would anyway)."""
    return files.download(upload_for_owner(request.user, pk))


@login_required
def upload_thumbnail(request, pk):
    """An image answer's thumbnail (re-encoded by Canvass) for the results and responses
    pages' <img>, to the survey's owner only."""
    return files.download(upload_for_owner(request.user, pk), thumbnail=True)


@login_required
def survey_export_summary(request, pk):
    survey = survey_for_owner(request.user, pk)
    return HttpResponse(
        exports.summary_csv(results_for(survey)),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(
                True, exports.download_name(survey, "summary.csv")
            )
        },
    )


@survey_action
def survey_new_version(request, survey):
    try:
        draft = services.new_version(survey=survey)
    except (WrongStatus, LimitReached) as exc:
        return _refused(request, exc, survey)
    messages.success(
        request,
        f"Version {draft.version} is a draft: change what you need, then start it. It takes "
        "over the public link, and the answers so far stay with the questions they were "
        "given to.",
    )
    return redirect("surveys:edit", draft.pk)


@login_required
@draft_only
def question_create(request, pk):
    survey = survey_for_owner(request.user, pk)
    services.ensure_draft(survey)
    form = QuestionForm(request.POST or None)
    if form.is_valid():
        try:
            question = services.add_question(survey=survey, **form.cleaned_data)
        except LimitReached as exc:
            return _refused(request, exc, survey.get_absolute_url())
        if question.kind_def.has_options:
            return redirect("surveys:option_create", question.pk)
        messages.success(request, "Question added.")
        return redirect("surveys:edit", survey.pk)
    return render(request, "surveys/question_form.html", {"survey": survey, "form": form})


@login_required
@draft_only
def question_edit(request, pk):
    question = question_for_owner(request.user, pk)
    survey = question.survey
    services.ensure_draft(survey)
    form = QuestionForm(request.POST or None, instance=question)
    if form.is_valid():
        try:
            services.update_question(question=question, **form.cleaned_data)
        except LimitReached as exc:
            return _refused(request, exc, survey.get_absolute_url())
        except Stale as exc:
            form.refused_as_stale(exc)
        except ValidationError as exc:  # the change breaks a rule on the question as it is now
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Question saved.")
            return redirect("surveys:edit", survey.pk)
    return render(
        request,
        "surveys/question_form.html",
        {"survey": survey, "question": question, "form": form},
    )


@login_required
@draft_only
def question_delete(request, pk):
    question = question_for_owner(request.user, pk)
    survey = question.survey
    services.ensure_draft(survey)
    if request.method == "POST":
        services.delete_question(question=question)
        messages.success(request, "Question deleted.")
        return redirect("surveys:edit", survey.pk)
    return render(
        request,
        "surveys/confirm_delete.html",
        {
            "survey": survey,
            "thing": f"the question “{question.prompt}”",
            "consequence": "Its options are deleted with it.",
            "cancel_url": survey.get_absolute_url(),
        },
    )


@login_required
@draft_only
def option_create(request, pk):
    question = question_for_owner(request.user, pk)
    survey = question.survey
    services.ensure_draft(survey)
    if not question.kind_def.has_options:
        return _refused(request, NoOptions(question), survey.get_absolute_url())
    form = OptionForm(request.POST or None, word=question.kind_def.option_word)
    if form.is_valid():
        try:
            services.add_option(question=question, text=form.cleaned_data["text"])
        except LimitReached as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("surveys:option_create", question.pk)
    return render(
        request,
        "surveys/option_create.html",
        {
            "survey": survey,
            "question": question,
            "options": question.options.all(),
            "form": form,
            "min_options": MIN_OPTIONS,
        },
    )


@login_required
@draft_only
def option_edit(request, pk):
    option = option_for_owner(request.user, pk)
    survey = option.question.survey
    services.ensure_draft(survey)
    form = OptionForm(
        request.POST or None, instance=option, word=option.question.kind_def.option_word
    )
    if form.is_valid() and form.saved_by(services.update_option, option=option):
        messages.success(request, "Option saved.")
        return redirect("surveys:edit", survey.pk)
    return render(
        request,
        "surveys/option_edit.html",
        {"survey": survey, "option": option, "form": form},
    )


@login_required
@draft_only
def option_delete(request, pk):
    option = option_for_owner(request.user, pk)
    survey = option.question.survey
    services.ensure_draft(survey)
    if request.method == "POST":
        services.delete_option(option=option)
        messages.success(request, "Option deleted.")
        return redirect("surveys:edit", survey.pk)
    return render(
        request,
        "surveys/confirm_delete.html",
        {
            "survey": survey,
            "thing": f"the option “{option.text}”",
            "consequence": f"It is removed from “{option.question.prompt}”.",
            "cancel_url": survey.get_absolute_url(),
        },
    )


MOVES = {"up": -1, "down": 1}


def _edit_anchor(survey, anchor):
    return f"{reverse('surveys:edit', args=[survey.pk])}#{anchor}"


@login_required
@draft_only
def question_move(request, pk, direction):
    question = question_for_owner(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.move_question(question=question, offset=MOVES[direction])
    return redirect(_edit_anchor(question.survey, f"question-{question.pk}"))


@login_required
@draft_only
def option_move(request, pk, direction):
    option = option_for_owner(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.move_option(option=option, offset=MOVES[direction])
    return redirect(_edit_anchor(option.question.survey, f"option-{option.pk}"))
