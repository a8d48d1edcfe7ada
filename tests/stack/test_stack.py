"""Canvass through NGINX → Gunicorn → PostgreSQL, as deployed. Tests that stop a process
come last in this module; the stack is shared by all of them."""

import http.client
import json
import os
import re
import shutil
import signal
import threading
import time
import uuid

import pytest

from .conftest import (
    Browser,
    answer_form,
    answered_by_answer_form,
    log,
    logged,
    raw_https,
    wait_until,
)


def test_creator_and_taker_journeys(stack, browser, sql):
    page, fields = browser.form_fields("/accounts/signup/")
    assert page.status == 200
    password = "a-long-pass-phrase"
    response = browser.post(
        "/accounts/signup/",
        {
            **fields,
            "username": "grace",
            "email": "grace@example.com",
            "password1": password,
            "password2": password,
        },
    )
    assert response.url == f"{stack.url}/surveys/" and "Hello grace" in response.text

    _, fields = browser.form_fields("/surveys/new/")
    response = browser.post("/surveys/new/", {**fields, "title": "Through the proxy"})
    survey_id = int(re.search(r"/surveys/(\d+)/edit/$", response.url).group(1))
    _, fields = browser.form_fields(f"/surveys/{survey_id}/questions/new/")
    response = browser.post(
        f"/surveys/{survey_id}/questions/new/",
        {**fields, "prompt": "Works?", "kind": "single", "required": "on"},
    )
    options_path = response.url.removeprefix(stack.url)
    for text in ("Yes", "No"):
        _, fields = browser.form_fields(options_path)
        browser.post(options_path, {**fields, "text": text})
    _, fields = browser.form_fields(f"/surveys/{survey_id}/edit/")
    share = browser.post(f"/surveys/{survey_id}/start/", fields)
    assert share.url == f"{stack.url}/surveys/{survey_id}/share/"

    # The link creators share has the scheme and host the taker used, not Gunicorn's.
    public_url = re.search(r'id="public-url" type="text" value="([^"]+)"', share.text).group(1)
    assert public_url.startswith(f"https://127.0.0.1:{stack.https_port}/s/")

    taker = Browser(stack.url)
    assert "You have been invited" in taker.get(public_url).text
    token = public_url.rstrip("/").rsplit("/", 1)[1]
    thanks = taker.post(f"/s/{token}/answer/", answer_form(taker, token))
    assert thanks.url == f"{public_url}thanks/" and "Thank you!" in thanks.text
    assert sql(
        "SELECT count(*) FROM surveys_submission s JOIN surveys_answer a ON a.submission_id = s.id"
        " WHERE s.survey_id = %s",
        survey_id,
    ) == [(1,)]


def test_http_redirects_to_https(stack):
    status, _, headers = raw_https(stack, "GET", "/surveys/?x=1", port=stack.http_port)
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{stack.https_port}/surveys/?x=1"


def test_security_headers_and_cookies(stack, browser):
    page, _ = browser.form_fields("/accounts/login/")
    headers = page.headers
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Server"] == "nginx"  # server_tokens off: no version
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("__Host-csrftoken=") and "Secure" in cookie and "HttpOnly" in cookie


def test_django_sees_the_client_address_from_the_proxy_only(stack, demo_token):
    # 127.0.0.2 is a loopback address of its own: the client, distinct from NGINX (127.0.0.1).
    # It forges an X-Forwarded-For entry; NGINX appends the address it really saw.
    browser = Browser(stack.url, source="127.0.0.2")
    browser.opener.addheaders = [("X-Forwarded-For", "198.51.100.7")]
    fields = answer_form(browser, demo_token)
    fields["token"] = "forged"
    response = browser.post(f"/s/{demo_token}/answer/", fields)
    assert response.status == 400
    request_id = response.headers["X-Request-ID"]

    def django_line():
        lines = log(stack, "gunicorn.error.log").splitlines()
        return next(
            (line for line in lines if f"rid={request_id}" in line and "rejected" in line), None
        )

    assert wait_until(django_line)
    # A rejected submission is logged with the address Django believes.
    assert "ip=127.0.0.2 " in django_line() and "198.51.100.7" not in django_line()
    assert logged(stack, "nginx.access.log", request_id)
    nginx_line = next(
        line for line in log(stack, "nginx.access.log").splitlines() if request_id in line
    )
    assert nginx_line.startswith("127.0.0.2 ")


def test_forwarded_headers_from_elsewhere_are_ignored(stack):
    # Straight to Gunicorn from an address that is not a trusted proxy: the forged
    # X-Forwarded-Proto is not believed, so Django still redirects to HTTPS.
    status, _, headers = raw_https(
        stack,
        "GET",
        "/surveys/",
        source="127.0.0.2",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "Host": "127.0.0.1",
        },
        port=stack.node_ports[0],
    )
    assert status == 301 and headers["Location"].startswith("https://")


def test_static_files_come_from_nginx(stack, browser):
    page = browser.get("/")
    css = re.search(r'href="(/static/css/canvass\.[0-9a-f]+\.css)"', page.text).group(1)
    response = browser.get(css)
    assert response.status == 200 and b".status-active" in response.body
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert logged(stack, "nginx.access.log", css)
    assert "/static/" not in log(stack, "gunicorn.access.log")


def test_body_over_nginx_limit_is_413_and_never_reaches_django(stack, browser, demo_token):
    marker = uuid.uuid4().hex
    path = f"/s/{demo_token}/answer/?m={marker}"
    limit = int(stack.body_limit)  # rendered from the nodes' UPLOAD_MAX_MB
    assert limit == (1 * 5 + 2) * 1024 * 1024
    response = browser.post(path, {"padding": "x" * (limit + 1)})
    assert response.status == 413
    assert "That was too large to send" in response.text  # a page that says so
    assert logged(stack, "nginx.error.log", "client intended to send too large body")
    assert logged(stack, "nginx.access.log", marker)
    assert marker not in log(stack, "gunicorn.access.log")


def test_body_between_the_limits_gets_djangos_400(stack, browser, demo_token, sql):
    before = sql("SELECT count(*) FROM surveys_submission")
    fields = answer_form(browser, demo_token)
    fields["padding"] = "x" * (1536 * 1024)  # over Django's 1 MiB, under NGINX's 2 MiB
    response = browser.post(f"/s/{demo_token}/answer/", fields)
    assert response.status == 400
    assert "couldn't read that request" in response.text
    assert wait_until(lambda: "RequestDataTooBig" in log(stack, "gunicorn.error.log"))
    assert sql("SELECT count(*) FROM surveys_submission") == before


def multipart(fields, files):
    """A multipart/form-data body, as a browser sends a form with files."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + f"{value}\r\n".encode()
        for name, value in fields.items()
    ]
    for name, (filename, content) in files.items():
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_an_upload_at_its_limit_is_stored_and_one_byte_over_is_told_clearly(stack, sql):
    token = stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; from surveys import services; "
        "owner = get_user_model().objects.get(username='demo'); "
        "survey = services.create_survey(owner=owner, title='Files'); "
        "services.add_question(survey=survey, prompt='Your CV', kind='file', "
        "file_types=['pdf']); "
        "services.start_survey(survey=survey); print(survey.public_token)",
    ).stdout.split()[-1]  # after the shell's own note of what it imported
    megabyte = 1024 * 1024  # the stack's UPLOAD_MAX_MB, so every file question's limit

    def send(size):
        taker = Browser(stack.url)
        page, fields = taker.form_fields(f"/s/{token}/answer/")
        assert 'data-max-bytes="1048576"' in page.text  # the form says it before upload
        name = re.search(r'name="(q_\d+)" id="id_q_\d+" type="file"', page.text).group(1)
        content = b"%PDF-1.4\n" + b"0" * (size - 9)
        body, headers = multipart(fields, {name: ("cv.pdf", content)})
        return taker.post(f"/s/{token}/answer/", body, headers)

    over = send(megabyte + 1)
    assert over.status == 200
    assert "The file is 1,048,577 bytes, over this question&#x27;s limit of 1 MB." in over.text
    assert wait_until(
        lambda: "upload refused reason=too_large" in log(stack, "gunicorn.error.log")
    )
    stored = "SELECT count(*) FROM surveys_upload u JOIN surveys_answer a ON a.id = u.answer_id"
    assert sql(stored) == [(0,)]
    under = send(megabyte)
    assert under.status == 200 and "Thank you!" in under.text
    assert sql(stored + " WHERE u.size = %s", megabyte) == [(1,)]


def test_one_request_id_in_all_three_logs(stack, browser):
    response = browser.get(f"/s/no-such-survey-{uuid.uuid4().hex}/")
    assert response.status == 404
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert wait_until(lambda: f"rid={request_id}" in log(stack, "gunicorn.error.log"))
    assert logged(stack, "nginx.access.log", f"rid={request_id}")
    assert logged(stack, "gunicorn.access.log", f"rid={request_id}")
    django_line = next(
        line for line in log(stack, "gunicorn.error.log").splitlines() if request_id in line
    )
    assert "WARNING" in django_line and "Not Found" in django_line


def test_killed_worker_loses_no_acknowledged_submission(stack, demo_token, sql):
    acknowledged, failed, crashed = [], [], []
    stop = threading.Event()

    def taker(source):
        while not stop.is_set():
            try:
                browser = Browser(stack.url, source=source)
                fields = answer_form(browser, demo_token)
                response = browser.post(f"/s/{demo_token}/answer/", fields)
            except (OSError, http.client.HTTPException) as exc:  # cut off by the kill
                failed.append(type(exc).__name__)
                continue
            except BaseException as exc:  # anything else is a bug in the test or the app
                crashed.append(exc)
                raise
            if response.status == 200 and response.url.endswith("/thanks/"):
                acknowledged.append(fields["token"].split(":")[0])
            else:
                failed.append(response.status)

    workers_before = stack.gunicorn_worker_pids()
    # Each taker from its own address: on a fast machine six takers from one would pass
    # the per-address limit (120 a minute) within the seconds this runs.
    threads = [threading.Thread(target=taker, args=(f"127.0.2.{n}",)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    os.kill(workers_before[0], signal.SIGKILL)
    time.sleep(2.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    assert not crashed and not any(thread.is_alive() for thread in threads)
    # The killed worker was serving at most one request; NGINX answers it with its
    # "back in a moment" page (503): a POST is never sent to another worker or node.
    assert len(failed) <= 1 and set(failed) <= {503}, failed
    assert len(acknowledged) > 20
    stored = dict(
        sql(
            "SELECT token, count(*) FROM surveys_submission WHERE token = ANY(%s) GROUP BY token",
            acknowledged,
        )
    )
    assert all(stored.get(token) == 1 for token in acknowledged)
    answers = sql(
        "SELECT count(*) FROM surveys_answer a JOIN surveys_submission s ON s.id = a.submission_id"
        " WHERE s.token = ANY(%s)",
        acknowledged,
    )[0][0]
    questions = answered_by_answer_form(sql, demo_token)
    assert questions == 9 and answers == questions * len(acknowledged)
    # The master replaces the killed worker.
    assert wait_until(
        lambda: (
            len(stack.gunicorn_worker_pids()) == 2
            and workers_before[0] not in stack.gunicorn_worker_pids()
        )
    )


@pytest.mark.parametrize("reopen", [signal.SIGUSR1, signal.SIGHUP])
def test_gunicorn_survives_its_log_folder_vanishing(stack, browser, reopen):
    """logrotate's USR1 (or a reload's HUP) with the log folder gone used to kill Gunicorn;
    now it makes the folder again and goes on logging."""
    folder = stack.node_log_dir(0)
    shutil.rmtree(folder)
    master = stack.nodes[0]
    master.send_signal(reopen)
    assert wait_until(lambda: (folder / "gunicorn.error.log").exists())
    time.sleep(1)
    assert master.poll() is None
    marker = uuid.uuid4().hex
    assert wait_until(
        lambda: raw_https(stack, "GET", f"/ping/?m={marker}", port=stack.node_ports[0])[0] == 200
    )
    assert logged(stack, "gunicorn.access.log", marker)


def test_health_names_the_database_when_postgres_stops_and_recovers(stack, browser):
    healthy = browser.get("/health/")
    assert healthy.status == 200
    body = json.loads(healthy.body)
    assert (body["status"], body["checks"]) == (
        "ok",
        {"database": "ok", "migrations": "ok", "cache": "ok", "broker": "ok", "worker": "ok"},
    )
    assert 0 <= body["workerHeartbeatSeconds"] < 90
    masters = [node.pid for node in stack.nodes]

    stack.postgres.stop()
    try:
        down = browser.get("/health/")
        assert down.status == 503
        body = json.loads(down.body)
        assert body["failing"] == ["database"] and body["checks"]["database"] == "failing"
        assert "Traceback" not in down.text
    finally:
        stack.postgres.start()

    assert wait_until(lambda: browser.get("/health/").status == 200)
    assert [node.pid for node in stack.nodes] == masters
    assert all(node.poll() is None for node in stack.nodes)
