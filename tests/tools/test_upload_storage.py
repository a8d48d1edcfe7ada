"""Uploaded files in S3 (django-storages against moto's S3 server, authentication on): a
taker's photo is stored there re-encoded, its owner downloads it through Canvass, and
withdrawing the response deletes the objects."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from surveys import responses, services
from surveys.answers import clean_answers
from surveys.models import Upload
from tests.helpers import close_response

from .conftest import BUCKET

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_storage(settings, s3):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "location": "private-test",
                "endpoint_url": s3["endpoint"],
                "access_key": s3["aws_access_key_id"],
                "secret_key": s3["aws_secret_access_key"],
                "region_name": "us-east-1",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    return s3["client"]


def keys(client):
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="private-test/uploads/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_an_upload_lives_in_s3_and_goes_with_its_response(
    s3_storage, alice, alice_client, django_capture_on_commit_callbacks
):
    survey = services.create_survey(owner=alice, title="Photos")
    question = services.add_question(survey=survey, prompt="Photo", kind="file")
    services.start_survey(survey=survey)
    photo = io.BytesIO()
    Image.linear_gradient("L").resize((3000, 2000)).convert("RGB").save(photo, "JPEG")
    submission, _ = responses.submit_response(
        survey=survey,
        token="t",
        answers=clean_answers(
            survey, {question.pk: SimpleUploadedFile("p.jpg", photo.getvalue(), "image/jpeg")}
        ),
    )
    upload = Upload.objects.get()
    stored = keys(s3_storage)
    assert len(stored) == 2 and all(
        key.startswith(f"private-test/uploads/{survey.pk}/") for key in stored
    )
    body = s3_storage.get_object(Bucket=BUCKET, Key=f"private-test/{upload.file.name}")["Body"]
    assert Image.open(io.BytesIO(body.read())).size == (2048, 1365)

    response = alice_client.get(reverse("surveys:upload_download", args=[upload.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    close_response(response)

    with django_capture_on_commit_callbacks(execute=True):
        responses.delete_response(submission=submission, reason="withdrawn")
    assert keys(s3_storage) == []
