"""Locust model of Canvass traffic: many takers, a few creators watching results.

    .venv/bin/locust -f loadtest/locustfile.py --host https://127.0.0.1:PORT \\
        --headless -u 50 -r 10 -t 60s

Set SURVEY_PATH to a running survey's public path (/s/<token>/) and CREATOR_USERNAME /
CREATOR_PASSWORD to its owner (`make stack` prints a demo login; `setup_test_data` users
have the password 'correct-horse-battery'). Point it only at 127.0.0.1.
"""

import os
import re

from locust import HttpUser, between, task

SURVEY_PATH = os.environ.get("SURVEY_PATH", "/s/unknown/")
FIELD = re.compile(r'name="(q_\d+)" value="(\d+)"')
HIDDEN = re.compile(r'name="(csrfmiddlewaretoken|token)" value="([^"]+)"')


class Taker(HttpUser):
    """Opens the link, answers every question, submits, sees the thank-you page."""

    weight = 20
    wait_time = between(1, 5)

    def on_start(self):
        self.client.verify = False  # the loopback stack's self-signed certificate

    @task
    def take_survey(self):
        self.client.cookies.clear()  # a new taker each time
        self.client.get(SURVEY_PATH, name="start")
        page = self.client.get(SURVEY_PATH + "answer/", name="answer form").text
        data = dict(HIDDEN.findall(page))
        for name, value in FIELD.findall(page):
            data.setdefault(name, value)  # the first option of each question
        with self.client.post(
            SURVEY_PATH + "answer/",
            data=data,
            headers={"Referer": self.host + SURVEY_PATH + "answer/"},
            name="submit",
            catch_response=True,
        ) as response:
            if not response.url.endswith("/thanks/"):
                response.failure(f"submission not acknowledged: {response.status_code}")


class Creator(HttpUser):
    """Logs in, glances at the survey list, reloads a results page now and then."""

    weight = 1
    wait_time = between(2, 10)

    def on_start(self):
        self.client.verify = False
        page = self.client.get("/accounts/login/").text
        csrf = HIDDEN.search(page).group(2)
        self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": csrf,
                "username": os.environ.get("CREATOR_USERNAME", "demo"),
                "password": os.environ.get("CREATOR_PASSWORD", "canvass-demo"),
            },
            headers={"Referer": self.host + "/accounts/login/"},
        )
        listing = self.client.get("/surveys/", name="survey list").text
        self.results = re.findall(r'href="(/surveys/\d+/)"', listing) or ["/surveys/"]

    @task(3)
    def results(self):
        for path in self.results:
            self.client.get(path, name="results")

    @task(1)
    def survey_list(self):
        self.client.get("/surveys/", name="survey list")
