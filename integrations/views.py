"""A survey's webhooks and email notifications: settings, the delivery log, replays."""

import logging
import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt

from surveys.access import survey_for_owner
from surveys.errors import LimitReached

from . import services
from .forms import EndpointForm, NotificationForm
from .models import Attempt, Delivery, EmailNotification, WebhookEndpoint

logger = logging.getLogger("canvass.integrations")

ATTEMPTS_PER_PAGE = 50
# The session key saying when an endpoint's secret was made, for its page to show it once,
# and how soon: the secret itself stays out of the session (the page reads the endpoint's).
SECRET_KEY = "webhook-secret-made-{}"
SECRET_SHOWN_WITHIN = 300  # seconds


def endpoint_for_owner(user, pk):
    return get_object_or_404(WebhookEndpoint.objects.owned_by(user), pk=pk)


def _show_secret_once(request, endpoint):
    request.session[SECRET_KEY.format(endpoint.pk)] = time.time()


def _new_secret(request, endpoint):
    """The endpoint's secret if it was just made or rotated and its page hasn't shown it
    yet, else None: the first view takes it, and a secret not viewed soon isn't shown."""
    made = request.session.pop(SECRET_KEY.format(endpoint.pk), None)
    if made is None or time.time() - made > SECRET_SHOWN_WITHIN:
        return None
    return endpoint.secret


def endpoint_action(view):
    """A POST-only action on one of the user's endpoints (a foreign id is a 404 first)."""

    @login_required
    @wraps(view)
    def wrapper(request, pk):
        endpoint = endpoint_for_owner(request.user, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, endpoint)

    return wrapper


def _survey_page(request, survey, endpoint_form=None, notification_form=None, status=200):
    notification = EmailNotification.objects.filter(survey=survey).first()
    return render(
        request,
        "integrations/survey.html",
        {
            "survey": survey,
            "endpoints": survey.webhook_endpoints.all(),
            "endpoint_form": endpoint_form or EndpointForm(),
            "notification_form": notification_form or NotificationForm(instance=notification),
            "max_endpoints": services.MAX_ENDPOINTS_PER_SURVEY,
            "retry_hours": round(sum(settings.WEBHOOK_RETRY_SCHEDULE) / 3600),
        },
        status=status,
    )


@login_required
def survey(request, pk):
    return _survey_page(request, survey_for_owner(request.user, pk))


@login_required
def endpoint_create(request, pk):
    survey = survey_for_owner(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = services.add_endpoint(survey=survey, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field, error)
        except LimitReached as exc:
            form.add_error(None, exc.message)
        else:
            _show_secret_once(request, endpoint)
            messages.success(request, "Webhook added. Copy its signing secret now.")
            return redirect("integrations:endpoint", endpoint.pk)
    return _survey_page(request, survey, endpoint_form=form, status=400)


@login_required
def notifications(request, pk):
    survey = survey_for_owner(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = NotificationForm(request.POST)
    if not form.is_valid():
        return _survey_page(request, survey, notification_form=form, status=400)
    services.set_notifications(survey=survey, **form.cleaned_data)
    messages.success(request, "Email notifications saved.")
    return redirect("integrations:survey", survey.pk)


@cache_control(private=True, no_store=True)  # it may show the new secret
@login_required
def endpoint(request, pk):
    """The endpoint's settings and its delivery log, newest attempt first."""
    endpoint = endpoint_for_owner(request.user, pk)
    failures_only = request.GET.get("failed") == "1"
    attempts = Attempt.objects.filter(delivery__endpoint=endpoint).select_related(
        "delivery__event"
    )
    if failures_only:
        attempts = attempts.exclude(outcome=Attempt.Outcome.SUCCESS)
    page = Paginator(attempts, ATTEMPTS_PER_PAGE).get_page(request.GET.get("page"))
    deliveries = endpoint.deliveries
    return render(
        request,
        "integrations/endpoint.html",
        {
            "endpoint": endpoint,
            "survey": endpoint.survey,
            "secret": _new_secret(request, endpoint),
            "form": EndpointForm(instance=endpoint),
            "page": page,
            "failures_only": failures_only,
            "page_query": "failed=1" if failures_only else "",
            "waiting": deliveries.filter(status=Delivery.Status.PENDING).count(),
            "given_up": deliveries.filter(status=Delivery.Status.FAILED).count(),
        },
    )


@endpoint_action
def endpoint_update(request, endpoint):
    form = EndpointForm(request.POST, instance=endpoint)
    if form.is_valid():
        try:
            services.update_endpoint(endpoint=endpoint, **form.cleaned_data)
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                for error in errors:
                    messages.error(request, error)
        else:
            messages.success(request, "Webhook saved.")
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}")
    return redirect("integrations:endpoint", endpoint.pk)


@endpoint_action
def endpoint_pause(request, endpoint):
    resume = not endpoint.active
    services.update_endpoint(endpoint=endpoint, active=resume)
    messages.success(
        request,
        "Webhook resumed: what waited is being sent."
        if resume
        else "Webhook paused: events wait for you to resume it.",
    )
    return redirect("integrations:endpoint", endpoint.pk)


@endpoint_action
def endpoint_rotate(request, endpoint):
    endpoint = services.rotate_secret(endpoint=endpoint)
    _show_secret_once(request, endpoint)
    messages.success(
        request, "New signing secret. The old one goes on signing for 24 hours as well."
    )
    return redirect("integrations:endpoint", endpoint.pk)


@endpoint_action
def endpoint_test(request, endpoint):
    services.send_test_event(endpoint=endpoint)
    messages.success(request, "Test event sent: its attempt appears in the log below.")
    return redirect("integrations:endpoint", endpoint.pk)


@endpoint_action
def endpoint_replay_failed(request, endpoint):
    failed = services.replay_failed(endpoint=endpoint)
    messages.success(request, f"{len(failed)} given-up deliveries sent again.")
    return redirect("integrations:endpoint", endpoint.pk)


@login_required
def endpoint_delete(request, pk):
    endpoint = endpoint_for_owner(request.user, pk)
    survey = endpoint.survey
    if request.method == "POST":
        services.delete_endpoint(endpoint=endpoint)
        messages.success(request, "Webhook deleted.")
        return redirect("integrations:survey", survey.pk)
    return render(
        request,
        "surveys/confirm_delete.html",
        {
            "survey": survey,
            "thing": f"the webhook to {endpoint.url}",
            "consequence": "Nothing more is sent there, and its delivery log goes with it.",
            "cancel_url": endpoint.get_absolute_url(),
        },
    )


@login_required
def delivery_replay(request, pk):
    delivery = get_object_or_404(Delivery.objects.owned_by(request.user), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.replay(delivery=delivery)
    messages.success(request, f"Event {delivery.event.event_id} sent again.")
    return redirect("integrations:endpoint", delivery.endpoint_id)


@csrf_exempt  # mail programs' one-click unsubscribe (RFC 8058) POSTs without a page
def unsubscribe(request, token):
    """From a notification email: no log-in needed, the signed link is the key, for
    UNSUBSCRIBE_MAX_AGE. A GET only asks; a POST (the button, or a mail program's
    one-click) unsubscribes. A forged or expired link is a 400 page that says which."""
    try:
        notification = services.notification_behind(token)
    except signing.SignatureExpired:
        logger.warning("unsubscribe link expired")
        return _bad_unsubscribe_link(request, expired=True)
    except signing.BadSignature:
        notification = None
    if notification is None:  # forged, or its notification deleted with its survey
        logger.warning("unsubscribe link not valid")
        return _bad_unsubscribe_link(request, expired=False)
    if request.method != "POST":
        return render(request, "integrations/unsubscribe.html", {"token": token})
    services.unsubscribe(notification=notification)
    return render(request, "integrations/unsubscribed.html", {"notification": notification})


def _bad_unsubscribe_link(request, *, expired):
    return render(
        request,
        "integrations/unsubscribe_refused.html",
        {"expired": expired, "days": services.UNSUBSCRIBE_MAX_AGE.days},
        status=400,
    )
