"""A Python client generated from the live schema by openapi-python-client (the most used
generator) imports and works: a creator builds and starts a survey, a taker answers with
JSON and with a file, the creator reads the results. The schema and the implementation
can't drift apart unnoticed. (A submit operation taking JSON or multipart made the
generated package fail to import: generator bug #1451.)"""

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from surveys.models import Upload
from tests.kinds.test_uploads import png

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_package(live_server, tmp_path, monkeypatch):
    cli = Path(sys.executable).parent / "openapi-python-client"
    if not cli.exists():
        pytest.skip("openapi-python-client is not installed")
    env = {**os.environ, "PATH": f"{cli.parent}{os.pathsep}{os.environ['PATH']}"}
    generated = subprocess.run(
        [cli, "generate", "--url", f"{live_server.url}/api/schema/", "--meta", "none",
         "--output-path", "canvass_client"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("canvass_client")
    for name in [name for name in sys.modules if name.startswith("canvass_client")]:
        del sys.modules[name]
    shutil.rmtree(tmp_path / "canvass_client")


def test_a_whole_journey_through_the_generated_client(client_package, live_server, alice):
    from canvass_client import AuthenticatedClient, Client
    from canvass_client.api.v1 import (
        v1_public_surveys_responses_create as submit,
    )
    from canvass_client.api.v1 import (
        v1_public_surveys_responses_with_files_create as submit_with_files,
    )
    from canvass_client.api.v1 import (
        v1_public_surveys_retrieve as public_survey,
    )
    from canvass_client.api.v1 import (
        v1_surveys_create as create,
    )
    from canvass_client.api.v1 import (
        v1_surveys_questions_create as add_question,
    )
    from canvass_client.api.v1 import (
        v1_surveys_results_retrieve as results,
    )
    from canvass_client.api.v1 import (
        v1_surveys_start_create as start,
    )
    from canvass_client.models import (
        FileTypesEnum,
        KindEnum,
        QuestionRequest,
        SubmitAnswerRequest,
        SubmitRequest,
        SubmitWithFilesRequest,
        SurveyDetailRequest,
    )
    from canvass_client.types import File

    token = Token.objects.create(user=alice).key
    with (
        AuthenticatedClient(base_url=live_server.url, token=token, prefix="Token") as creator,
        Client(base_url=live_server.url) as taker,
    ):
        survey = create.sync(
            client=creator, body=SurveyDetailRequest(title="Lunch", contact="x@example.com")
        )
        assert survey.contact == "x@example.com"
        text = add_question.sync(
            survey.id,
            client=creator,
            body=QuestionRequest(prompt="Why?", kind=KindEnum.SHORT_TEXT),
        )
        photo = add_question.sync(
            survey.id,
            client=creator,
            body=QuestionRequest(
                prompt="A photo?",
                kind=KindEnum.FILE,
                required=False,
                file_types=[FileTypesEnum.IMAGE],
            ),
        )
        started = start.sync(survey.id, client=creator)
        public_token = started.public_url.rstrip("/").rsplit("/", 1)[1]

        shown = public_survey.sync(public_token, client=taker)
        assert [q.prompt for q in shown.questions] == ["Why?", "A photo?"]
        answered = submit.sync(
            public_token,
            client=taker,
            body=SubmitRequest(answers=[SubmitAnswerRequest(question_id=text.id, text="Tasty")]),
            idempotency_key="journey-1",
        )
        assert answered.status == "recorded" and answered.receipt_code
        answers = json.dumps(
            [{"questionId": text.id, "text": "Sunny"}, {"questionId": photo.id, "file": "photo"}]
        )
        with_file = submit_with_files.sync(
            public_token,
            client=taker,
            body=SubmitWithFilesRequest(
                answers=answers,
                photo=File(payload=io.BytesIO(png()), file_name="me.png", mime_type="image/png"),
            ),
            idempotency_key="journey-2",
        )
        assert with_file.status == "recorded"
        assert Upload.objects.get().answer.text == "me.png"
        read = results.sync(survey.id, client=creator)
        assert read.submissions == 2
