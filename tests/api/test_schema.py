"""The OpenAPI schema and its documentation page."""

import pytest

pytestmark = pytest.mark.django_db


def test_schema_and_docs(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "openapi: 3" in text and "publicUrl" in text and "public_url" not in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert (
        b"cdn" not in docs.content.lower() and b"/static/drf_spectacular_sidecar/" in docs.content
    )
