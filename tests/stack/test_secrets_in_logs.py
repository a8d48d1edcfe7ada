"""No secret link is written to any log of the real stack: NGINX's access and error logs,
both nodes' Gunicorn logs (and Django's lines in them), the Celery worker's and beat's,
PostgreSQL's. Each secret-bearing route is driven through NGINX, as a respondent or a
stranger would, referers included; then every log file is searched for the secrets."""

import re
import secrets
import uuid

import psycopg

from .conftest import Browser, answer_form, log, sent_mail, wait_until


def _every_log(stack):
    """(path, bytes) of every file of the stack that is not an email or a database file."""
    for path in sorted(stack.root.rglob("*")):
        parts = set(path.relative_to(stack.root).parts)
        if not path.is_file() or "mail" in parts or "static" in parts:
            continue
        if path.suffix == ".log" or "logs" in parts or "log" in parts:
            yield path, path.read_bytes()


def test_no_secret_link_reaches_any_log(stack, demo_token):
    taker = Browser(stack.url)
    thanks = taker.post(f"/s/{demo_token}/answer/", answer_form(taker, demo_token))
    receipt = re.search(r'value="https://[^/"]+(/r/([^/"]+)/)"', thanks.text)
    path, link = receipt[1], receipt[2]
    secret = link.split(":")[0]
    made_up = {name: secrets.token_urlsafe(18) for name in ("unsubscribe", "verify", "reset")}

    # The respondent: the receipt, its edit page, an email of the link, the withdraw page.
    assert taker.get(path).status == 200
    assert taker.get(f"{path}edit/").status == 200
    _, fields = taker.form_fields(path)
    email = taker.post(f"{path}email/", {**fields, "email": "own@example.com"})
    assert "The link is on its way." in email.text
    assert wait_until(lambda: secret in sent_mail(stack))
    # A stranger with the link: no CSRF cookie (Django's CSRF warning), a link one letter
    # off (Not Found), and made-up unsubscribe, confirmation and reset links.
    stranger = Browser(stack.url)
    assert stranger.post(f"{path}edit/", {"q": "x"}).status == 403
    one_off = link[:-1] + ("A" if link[-1] != "A" else "B")
    assert stranger.get(f"/r/{one_off}/").status == 404
    assert stranger.get(f"/notifications/unsubscribe/{made_up['unsubscribe']}/").status == 400
    stranger.get(f"/accounts/verify/{made_up['verify']}/")
    stranger.get(f"/accounts/reset/MQ/{made_up['reset']}/")
    # A real password reset link, from its email, opened.
    address = f"reset-{uuid.uuid4().hex[:8]}@example.org"
    with psycopg.connect(stack.database_url) as conn:
        conn.execute("UPDATE auth_user SET email = %s WHERE username = 'demo'", (address,))
    _, fields = stranger.form_fields("/accounts/password-reset/")
    stranger.post("/accounts/password-reset/", {**fields, "email": address})
    assert wait_until(lambda: address in sent_mail(stack))
    mail = sent_mail(stack)
    reset_path = re.search(r"https://[^/\s]+(/accounts/reset/[^/\s]+/([^/\s]+)/)", mail)
    assert stranger.get(reset_path[1]).status == 200
    # Last, the respondent withdraws: the link is gone, its lines are logged.
    _, fields = taker.form_fields(f"{path}withdraw/")
    assert taker.post(f"{path}withdraw/", fields).status == 200

    tokens = [secret, *made_up.values(), reset_path[2]]
    assert wait_until(lambda: log(stack, "nginx.access.log").count("/r/[redacted]/") >= 8)
    assert wait_until(lambda: "/r/[redacted]/withdraw/" in log(stack, "gunicorn.access.log"))
    assert wait_until(lambda: "Not Found: /r/[redacted]/" in log(stack, "gunicorn.error.log"))
    assert "Forbidden (CSRF cookie not set.): /r/[redacted]/edit/" in log(
        stack, "gunicorn.error.log"
    )
    searched = dict(_every_log(stack))
    assert {p.name for p in searched} >= {
        "nginx.access.log",
        "gunicorn.access.log",
        "gunicorn.error.log",
        "celery.worker.log",
    }
    for file, text in searched.items():
        for token in tokens:
            assert token.encode() not in text, f"a secret link's token is in {file}"
