import pytest
from django.core.management import call_command
from django.urls import reverse

from surveys.management.commands.load_demo_data import DEMO_PASSWORD, DEMO_USERNAME
from surveys.models import Submission, Survey

pytestmark = pytest.mark.django_db


def test_loads_once_and_the_printed_login_works(client, capsys):
    call_command("load_demo_data", submissions=250)
    first = capsys.readouterr().out
    call_command("load_demo_data", submissions=250)
    second = capsys.readouterr().out

    assert "Demo data loaded." in first and "already loaded" in second
    for out in (first, second):
        assert f"username '{DEMO_USERNAME}', password '{DEMO_PASSWORD}'" in out

    surveys = Survey.objects.filter(owner__username=DEMO_USERNAME)
    assert sorted(surveys.values_list("status", flat=True)) == ["active", "draft"]
    running = surveys.get(status="active")
    assert Submission.objects.filter(survey=running).count() == 250
    assert Submission.objects.count() == 250  # the second run added nothing

    response = client.post(
        reverse("accounts:login"), {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    )
    assert response.url == reverse("surveys:list")
    results = client.get(reverse("surveys:results", args=[running.pk])).context["results"]
    counts = [o.count for o in results.questions[0].bars]
    assert sum(counts) == 250
    assert max(counts) > 1.5 * min(counts)  # skewed like real opinions (5:3:2), not uniform
