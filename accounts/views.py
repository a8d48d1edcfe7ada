import io
import json
import logging
import tempfile
import zipfile

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.text import slugify
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from config.middleware import client_ip
from config.ratelimit import too_many
from surveys.exports import survey_structure, write_responses_csv
from surveys.models import Survey

from .emails import read_verification_token, send_verification
from .forms import EmailChangeForm, PasswordConfirmForm, SignUpForm
from .models import VerifiedEmail, email_is_verified

logger = logging.getLogger("canvass.accounts")

RESET_LIMIT_PER_HOUR = 5
# Usernames are public (docs/security.md): sign-up says when one is taken. Every sign-up
# POST counts, so checking names in bulk from one address is slow.
SIGNUP_ATTEMPTS_PER_HOUR = 20


def signup(request):
    if request.user.is_authenticated:
        return redirect("surveys:list")
    if request.method == "POST":
        ip = client_ip(request)
        if too_many(f"signup:ip:{ip}", limit=SIGNUP_ATTEMPTS_PER_HOUR, window=3600):
            logger.warning("sign-up rate-limited ip=%s", ip)
            return render(request, "accounts/rate_limited.html", {"minutes": 60}, status=429)
    form = SignUpForm(request.POST or None)
    if form.is_valid():
        # Email addresses need not be unique: refusing a known one would tell anyone which
        # addresses have accounts. Verification proves who owns the address.
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        send_verification(request, user)
        messages.success(
            request,
            f"Welcome to Canvass, {user.username}. We sent a link to {user.email} to confirm "
            "your address.",
        )
        return redirect("surveys:list")
    return render(request, "registration/signup.html", {"form": form})


def verify_email(request, token):
    found = read_verification_token(token)
    user = None
    if found:
        user_id, email = found
        user = get_user_model().objects.filter(pk=user_id, email=email).first()
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    VerifiedEmail.objects.update_or_create(user=user, defaults={"email": email})
    messages.success(request, f"Thank you: {email} is confirmed.")
    return redirect("accounts:settings" if request.user == user else "accounts:login")


@login_required
@require_POST
def resend_verification(request):
    if too_many(f"verify:{request.user.pk}", limit=5, window=3600):
        return render(request, "accounts/rate_limited.html", {"minutes": 60}, status=429)
    send_verification(request, request.user)
    messages.success(request, f"We sent a new link to {request.user.email}.")
    return redirect("accounts:settings")


def _settings_page(request, email_form, status=200):
    return render(
        request,
        "accounts/settings.html",
        {
            "email_form": email_form,
            "verified": email_is_verified(request.user),
            "api_token": Token.objects.filter(user=request.user).first(),
        },
        status=status,
    )


@login_required
def account_settings(request):
    return _settings_page(request, EmailChangeForm(user=request.user))


@login_required
@require_POST
def api_token(request):
    """Create (or replace) the personal API token, or revoke it."""
    Token.objects.filter(user=request.user).delete()
    if request.POST.get("action") == "revoke":
        messages.success(request, "API token revoked: programs using it can no longer sign in.")
    else:
        Token.objects.create(user=request.user)
        messages.success(
            request, "New API token created. The previous one, if any, stops working."
        )
    logger.info("api token %s user=%s", request.POST.get("action", "create"), request.user.pk)
    return redirect("accounts:settings")


@login_required
@require_POST
def change_email(request):
    form = EmailChangeForm(request.POST, user=request.user)
    if not form.is_valid():
        return _settings_page(request, form, status=400)
    request.user.email = form.cleaned_data["email"]
    request.user.save(update_fields=["email"])
    send_verification(request, request.user)
    messages.success(
        request, f"Email changed. Confirm {request.user.email} with the link we sent."
    )
    return redirect("accounts:settings")


@login_required
def download_data(request):
    """A zip of the user's account, every survey's structure (JSON) and responses (CSV)."""
    surveys = Survey.objects.owned_by(request.user).order_by("pk")
    # In memory up to 8 MB, then on disk; FileResponse closes it once it is sent.
    archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        user = request.user
        account = {"username": user.username, "email": user.email, "joined": user.date_joined}
        zf.writestr("account.json", json.dumps(account, default=str, indent=2))
        for survey in surveys:
            questions = list(survey.questions.prefetch_related("options"))
            name = f"surveys/{survey.pk}-{slugify(survey.title)[:50] or 'survey'}"
            zf.writestr(f"{name}.json", json.dumps(survey_structure(survey, questions), indent=2))
            with (
                zf.open(f"{name}.csv", "w") as raw,
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
            ):
                write_responses_csv(survey, questions, text)
    archive.seek(0)
    logger.info("data download user=%s surveys=%d", request.user.pk, len(surveys))
    return FileResponse(archive, as_attachment=True, filename=f"canvass-{user.username}.zip")


@login_required
def delete_account(request):
    form = PasswordConfirmForm(request.POST or None, user=request.user)
    if form.is_valid():
        user = request.user
        logout(request)
        logger.info("account deleted user=%s", user.pk)
        user.delete()
        messages.success(request, "Your account and all its surveys and responses are deleted.")
        return redirect("landing")
    surveys = Survey.objects.owned_by(request.user).with_submission_counts()
    return render(
        request,
        "accounts/delete_account.html",
        {
            "form": form,
            "surveys": len(surveys),
            "responses": sum(s.num_submissions for s in surveys),
        },
        status=400 if form.is_bound else 200,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, with a per-address and per-client limit against mail bombing. The
    page a visitor sees afterwards is the same whether or not the address has an account."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"].lower()
        ip = client_ip(self.request)
        if too_many(f"reset:email:{email}", limit=RESET_LIMIT_PER_HOUR, window=3600) or too_many(
            f"reset:ip:{ip}", limit=4 * RESET_LIMIT_PER_HOUR, window=3600
        ):
            logger.warning("password reset rate-limited ip=%s", ip)
            return render(self.request, "accounts/rate_limited.html", {"minutes": 60}, status=429)
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form):
        # Django keeps this session and ends every other one: their stored password hash
        # no longer matches.
        response = super().form_valid(form)
        messages.success(self.request, "Password changed. Other devices have been logged out.")
        return response
