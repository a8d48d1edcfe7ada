"""File questions: the type decided from the content, images re-encoded without metadata,
every kind of bad file refused with a clear message and nothing stored, files only for
the survey's owner (as attachments), and deleted with their response, survey or account."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from surveys import responses, services, tallies
from surveys.answers import clean_answers
from surveys.models import Answer, Question, Submission, Upload
from surveys.results import stored_files as files_of
from tests.helpers import answer_url, close_response

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def jpeg(size=(1600, 1200), *, orientation=None, color=(200, 120, 40)):
    """A camera-like JPEG: a gradient, with a maker, a model and a GPS position in EXIF."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste(color, (0, 0, size[0] // 3, size[1] // 3))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "CanvassCam", "Secret Model 7"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.0)
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def png(size=(300, 200), mode="RGBA"):
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 30, 128) if mode == "RGBA" else 0).save(out, "PNG")
    return out.getvalue()


def docx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def pdf(size=2000):
    head = b"%PDF-1.4\n"
    return head + b"0" * (size - len(head))


@pytest.fixture
def file_survey(alice):
    survey = services.create_survey(owner=alice, title="Show us")
    services.add_question(
        survey=survey, prompt="Your photo", kind="file", file_types=["image", "pdf"]
    )
    services.add_question(
        survey=survey, prompt="Anything else?", kind="short_text", required=False
    )
    services.start_survey(survey=survey)
    return survey


def question(survey):
    return survey.questions.get(kind="file")


def send(client, survey, content, name="photo.jpg", content_type="image/jpeg", **data):
    """Answer as a new taker (`client` is a browser; each answer its own)."""
    client = Client()
    token = client.get(answer_url(survey)).context["form"].initial["token"]
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(
        answer_url(survey), {"token": token, f"q_{question(survey).pk}": upload, **data}
    )


def test_an_optional_file_left_empty_is_what_a_browser_sends(alice):
    """A browser posts a file input left empty as an empty text part; anything else in
    that part is tampering. The every-kind survey's browser test found the 400."""
    survey = services.create_survey(owner=alice, title="Optional photo")
    photo = services.add_question(survey=survey, prompt="Photo?", kind="file", required=False)
    note = services.add_question(survey=survey, prompt="Note", kind="short_text")
    services.start_survey(survey=survey)

    def post(value):
        client = Client()
        token = client.get(answer_url(survey)).context["form"].initial["token"]
        data = {"token": token, f"q_{photo.pk}": value, f"q_{note.pk}": "hello"}
        return client.post(answer_url(survey), data)

    assert post("").status_code == 302
    assert Submission.objects.count() == 1 and Upload.objects.count() == 0
    assert post("photo.jpg").status_code == 400
    assert Submission.objects.count() == 1


def read(field):
    with field.open("rb") as file:
        return file.read()


def opened(field):
    return Image.open(io.BytesIO(read(field)))


def stored_files(settings):
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_photo_is_stored_re_encoded_without_its_metadata(client, file_survey, settings):
    original = jpeg(size=(4000, 3000))
    assert send(client, file_survey, original).status_code == 302
    upload = Upload.objects.get()
    assert upload.answer.text == "photo.jpg" and upload.content_type == "image/jpeg"
    assert upload.sent_size == len(original) and upload.size < len(original)
    kept = read(upload.file)
    assert b"CanvassCam" in original and b"CanvassCam" not in kept and b"Secret" not in kept
    image = Image.open(io.BytesIO(kept))
    assert image.size == (2048, 1536)  # downscaled to UPLOAD_IMAGE_MAX_SIDE
    assert not image.getexif() and 0x8825 not in image.getexif()
    thumbnail = opened(upload.thumbnail)
    assert max(thumbnail.size) == 320
    assert len(stored_files(settings)) == 2


def test_an_image_is_turned_upright_and_transparency_kept(client, file_survey):
    send(client, file_survey, jpeg(size=(400, 200), orientation=6))  # rotated 90° by EXIF
    assert opened(Upload.objects.get().file).size == (200, 400)
    send(client, file_survey, png(), name="logo.png", content_type="image/png")
    upload = Upload.objects.get(content_type="image/png")
    assert opened(upload.file).mode == "RGBA" and upload.answer.text == "logo.png"


def test_documents_are_decided_by_content_and_kept_as_sent(client, file_survey):
    content = pdf()
    assert send(client, file_survey, content, name="cv.exe", content_type="x/y").status_code == 302
    upload = Upload.objects.get()
    # the name's extension is the content's; the bytes are the taker's
    assert (upload.answer.text, upload.content_type) == ("cv.pdf", "application/pdf")
    assert read(upload.file) == content and not upload.thumbnail


BAD = {
    "empty": (b"", "photo.jpg", "The file is empty."),
    "svg as an image": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "photo.svg",
        "That is not a file this question takes",
    ),
    "html named .jpg": (b"<html><script>alert(1)</script></html>", "photo.jpg", "not a file"),
    "a renamed executable": (b"MZ\x90\x00\x03" + b"\x00" * 500, "photo.png", "not a file"),
    "a word document where images and pdf are asked": (docx(), "photo.jpg", "not a file"),
    "a truncated jpeg": (jpeg()[:3000], "photo.jpg", "The image is damaged or incomplete."),
    "a jpeg header on junk": (b"\xff\xd8\xff\xe0" + b"junk" * 300, "x.jpg", "damaged"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_files_are_refused_clearly_and_nothing_is_stored(client, file_survey, settings, name):
    content, filename, message = BAD[name]
    response = send(client, file_survey, content, name=filename)
    assert response.status_code == 200 and message in response.content.decode()
    assert Submission.objects.count() == 0 and Answer.objects.count() == 0
    assert stored_files(settings) == []


def test_a_decompression_bomb_is_refused_before_it_is_unpacked(client, file_survey, settings):
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    for size in [(1100, 1000), (3000, 3000)]:  # Pillow warns over the limit, raises over twice it
        response = send(client, file_survey, png(size, mode="1"), name="bomb.png")
        assert "The image has too many pixels to process." in response.content.decode()
    assert Upload.objects.count() == 0 and stored_files(settings) == []


def test_the_size_limit_holds_to_the_byte(client, file_survey, settings):
    Question.objects.filter(kind="file").update(max_file_mb=1)
    cache.clear()  # the cached structure had the old limit
    response = send(client, file_survey, pdf(MB + 1), name="big.pdf")
    message = "The file is 1,048,577 bytes, over this question&#x27;s limit of 1 MB."
    assert message in response.content.decode()
    assert "The file is 3 MB, over" in send(client, file_survey, pdf(3 * MB)).content.decode()
    assert Upload.objects.count() == 0
    assert send(client, file_survey, pdf(MB), name="ok.pdf").status_code == 302
    assert Upload.objects.get().size == MB


def test_the_form_states_the_limits_before_upload(client, file_survey):
    page = client.get(answer_url(file_survey)).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and f'data-max-bytes="{10 * MB}"' in page
    assert "One file: Images (JPEG, PNG, WebP, GIF), PDF; up to 10 MB." in page
    assert 'accept="image/jpeg,image/png,image/webp,image/gif,application/pdf,.pdf"' in page


def test_what_the_form_cannot_send_is_a_400(client, file_survey, settings):
    token = client.get(answer_url(file_survey)).context["form"].initial["token"]
    name = f"q_{question(file_survey).pk}"
    text = file_survey.questions.get(kind="short_text")
    image = SimpleUploadedFile("a.png", png(), "image/png")
    cases = [
        {name: "just text"},
        {name: [image, SimpleUploadedFile("b.png", png(), "image/png")]},
        {f"q_{text.pk}": SimpleUploadedFile("c.png", png(), "image/png")},
        {name: image, "q_999": SimpleUploadedFile("d.png", png(), "image/png")},
        {f"file{n}": SimpleUploadedFile(f"{n}.png", png(), "image/png") for n in range(6)},
    ]
    for data in cases:
        for value in data.values():
            for each in value if isinstance(value, list) else [value]:
                if hasattr(each, "seek"):
                    each.seek(0)
        response = client.post(answer_url(file_survey), {"token": token, **data})
        assert response.status_code == 400, data
    assert Upload.objects.count() == 0 and stored_files(settings) == []


def test_a_body_over_the_limit_is_a_clear_413(client, file_survey, settings):
    settings.REQUEST_MAX_BYTES = 5000
    response = send(client, file_survey, pdf(6000), name="big.pdf")
    assert response.status_code == 413
    assert "That was too large to send" in response.content.decode()
    assert Upload.objects.count() == 0


def test_a_failure_after_the_files_are_written_leaves_none(
    client, file_survey, settings, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the tallies are down")

    monkeypatch.setattr(tallies, "count_submission", broken)
    photo = SimpleUploadedFile("photo.jpg", jpeg(), "image/jpeg")
    with pytest.raises(RuntimeError):
        responses.submit_response(
            survey=file_survey,
            token="t",
            answers=clean_answers(file_survey, {question(file_survey).pk: photo}),
        )
    assert Upload.objects.count() == 0 and stored_files(settings) == []


def test_only_the_owner_downloads_and_always_as_an_attachment(
    client, alice_client, bob_client, file_survey
):
    send(client, file_survey, jpeg())
    upload = Upload.objects.get()
    url = reverse("surveys:upload_download", args=[upload.pk])
    response = alice_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith('attachment; filename="photo.jpg"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    close_response(response)
    thumbnail = alice_client.get(reverse("surveys:upload_thumbnail", args=[upload.pk]))
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    close_response(thumbnail)
    assert bob_client.get(url).status_code == 404
    assert client.get(url).status_code == 302  # to the log-in page
    send(client, file_survey, pdf(), name="doc.pdf")
    document = Upload.objects.get(content_type="application/pdf")
    missing = alice_client.get(reverse("surveys:upload_thumbnail", args=[document.pk]))
    assert missing.status_code == 404


def test_pages_and_exports_show_the_files(client, alice_client, alice_api, file_survey):
    send(client, file_survey, jpeg())
    upload = Upload.objects.get()
    results = alice_client.get(reverse("surveys:results", args=[file_survey.pk])).content.decode()
    assert reverse("surveys:upload_thumbnail", args=[upload.pk]) in results
    responses = alice_client.get(reverse("surveys:responses", args=[file_survey.pk]))
    assert reverse("surveys:upload_download", args=[upload.pk]) in responses.content.decode()
    export = alice_client.get(reverse("surveys:export_csv", args=[file_survey.pk]))
    assert "photo.jpg" in b"".join(export.streaming_content).decode()
    api = alice_api.get(f"/api/v1/surveys/{file_survey.pk}/responses/").json()
    (answer,) = api["results"][0]["answers"]
    assert answer["text"] == "photo.jpg"
    assert answer["fileUrl"].endswith(reverse("surveys:upload_download", args=[upload.pk]))


def api_submit(survey, data, key, format="multipart"):
    where = "with-files/" if format == "multipart" else ""
    return APIClient().post(
        f"/api/v1/public/surveys/{survey.public_token}/responses/{where}",
        data,
        format=format,
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_the_api_takes_a_file_as_a_multipart_part(file_survey):
    answers = json.dumps([{"questionId": question(file_survey).pk, "file": "photo"}])
    photo = SimpleUploadedFile("me.jpg", jpeg(), "image/jpeg")
    response = api_submit(file_survey, {"answers": answers, "photo": photo}, "one")
    assert response.status_code == 201, response.json()
    upload = Upload.objects.get()
    assert upload.answer.text == "me.jpg" and upload.content_type == "image/jpeg"
    assert b"CanvassCam" not in read(upload.file)


def test_the_api_refuses_a_file_it_cannot_take_in_json(file_survey, settings):
    q = question(file_survey).pk
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = {
        "text for a file": ([{"questionId": q, "text": "photo.jpg"}], {}, "multipart part"),
        "no such part": ([{"questionId": q, "file": "photo"}], {}, "part named 'photo'"),
        "an svg": (
            [{"questionId": q, "file": "photo"}],
            {"photo": SimpleUploadedFile("a.png", svg, "image/png")},
            "not a file this question takes",
        ),
    }
    for name, (answers, files, message) in cases.items():
        response = api_submit(
            file_survey, {"answers": json.dumps(answers), **files}, name.replace(" ", "-")
        )
        assert response.status_code == 400, name
        assert message in json.dumps(response.json()), (name, response.json())
    response = api_submit(file_survey, {"answers": "[{not json"}, "broken")
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]
    settings.REQUEST_MAX_BYTES = 5000
    big = SimpleUploadedFile("big.pdf", pdf(6000), "application/pdf")
    answers = json.dumps([{"questionId": q, "file": "doc"}])
    response = api_submit(file_survey, {"answers": answers, "doc": big}, "big")
    assert response.status_code == 413 and "detail" in response.json()
    assert Upload.objects.count() == 0 and stored_files(settings) == []


def test_withdrawing_deleting_the_survey_or_the_account_deletes_the_files(
    client, file_survey, settings, django_capture_on_commit_callbacks, alice
):
    send(client, file_survey, jpeg())
    send(client, file_survey, pdf(), name="b.pdf")
    assert len(stored_files(settings)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        responses.delete_response(
            submission=Upload.objects.get(content_type="image/jpeg").answer.submission,
            reason="withdrawn",
        )
    assert len(stored_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_survey(survey=file_survey)
    assert stored_files(settings) == []
    survey = services.create_survey(owner=alice, title="Again")
    services.add_question(survey=survey, prompt="Photo", kind="file")
    services.start_survey(survey=survey)
    send(client, survey, jpeg())
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert stored_files(settings) == []


def test_a_respondent_keeps_or_replaces_the_file_when_changing_answers(
    client, file_survey, settings, django_capture_on_commit_callbacks
):
    file_survey.respondents_can_edit = True
    file_survey.save()
    send(client, file_survey, jpeg())
    submission = Submission.objects.get()
    first = Upload.objects.get().file.name
    text = file_survey.questions.get(kind="short_text")
    kept = files_of(submission)
    note = clean_answers(file_survey, {text.pk: "now with a note"}, kept=kept)
    responses.edit_response(submission=submission, answers=note)
    assert Upload.objects.get().file.name == first  # left out: kept
    assert tallies.recount([file_survey]) == []
    replacement = SimpleUploadedFile("new.png", png(), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        answers = clean_answers(file_survey, {question(file_survey).pk: replacement}, kept=kept)
        responses.edit_response(submission=submission, answers=answers)
    upload = Upload.objects.get()
    assert upload.answer.text == "new.png" and upload.file.name != first
    assert len(stored_files(settings)) == 2  # the new image and its thumbnail only


def test_the_builder_and_api_set_types_and_a_size_within_the_site_limit(
    alice_client, alice_api, draft_survey, settings
):
    url = reverse("surveys:question_create", args=[draft_survey.pk])
    data = {"prompt": "Your CV", "kind": "file", "file_types": ["pdf", "office"]}
    response = alice_client.post(url, {**data, "max_file_mb": "11"})
    assert "From 1 to 10 MB on this site." in response.content.decode()
    alice_client.post(url, {**data, "max_file_mb": "2"})
    created = draft_survey.questions.get(kind="file")
    assert (created.file_types, created.max_file_mb) == (["pdf", "office"], 2)
    response = alice_api.post(
        f"/api/v1/surveys/{draft_survey.pk}/questions/",
        {"prompt": "Photo", "kind": "file", "fileTypes": ["exe"]},
        format="json",
    )
    assert response.status_code == 400 and "fileTypes" in response.json()


def test_a_survey_takes_a_few_file_questions_at_most(draft_survey, settings):
    for n in range(settings.FILE_QUESTIONS_PER_SURVEY):
        services.add_question(survey=draft_survey, prompt=f"File {n}", kind="file")
    from surveys.errors import LimitReached

    with pytest.raises(LimitReached, match="at most 5 file questions"):
        services.add_question(survey=draft_survey, prompt="One more", kind="file")


PAYLOAD = b"<script>alert(1)</script> Ada Lovelace GPS 51.5N"


def _icc():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes() + PAYLOAD  # a real profile, a crafted tail


def _with_payload_everywhere(fmt):
    """An image of `fmt` with PAYLOAD in each metadata chunk that format has."""
    from PIL import PngImagePlugin

    image = Image.new("RGB", (64, 48), (30, 140, 220))
    exif = Image.Exif()
    exif[0x010E] = PAYLOAD.decode()  # ImageDescription
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + PAYLOAD + b"</x:xmpmeta>"
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", comment=PAYLOAD, exif=exif, icc_profile=_icc(), xmp=xmp)
    elif fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", PAYLOAD.decode())
        text.add_text("Author", PAYLOAD.decode(), zip=True)  # zTXt
        text.add_itxt("Description", PAYLOAD.decode(), lang="en")
        image.save(out, "PNG", pnginfo=text, exif=exif, icc_profile=_icc())
    elif fmt == "GIF":
        image.save(out, "GIF", comment=PAYLOAD)
    else:
        image.save(out, "WEBP", exif=exif, icc_profile=_icc(), xmp=xmp)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_no_metadata_chunk_survives_into_the_stored_image_or_thumbnail(client, file_survey, fmt):
    """Comments, text chunks, ICC profiles, EXIF and XMP: only the pixels are kept."""
    sent = _with_payload_everywhere(fmt)
    assert PAYLOAD in sent or fmt == "PNG"  # a zTXt chunk is compressed
    assert send(client, file_survey, sent, name=f"p.{fmt.lower()}").status_code == 302
    upload = Upload.objects.get()
    for field in (upload.file, upload.thumbnail):
        kept = read(field)
        assert PAYLOAD not in kept and b"Lovelace" not in kept
        image = Image.open(io.BytesIO(kept))
        leftover = set(image.info) & {"comment", "icc_profile", "exif", "xmp", "Comment"}
        assert not leftover and not getattr(image, "text", {}), image.info
        # An sRGB profile changes nothing: the colour is the one sent.
        red, green, blue = image.convert("RGB").getpixel((10, 10))
        assert abs(red - 30) < 8 and abs(green - 140) < 8 and abs(blue - 220) < 8
