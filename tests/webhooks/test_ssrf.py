"""Server-side request forgery: deliveries to loopback, private, link-local, multicast and
cloud-metadata addresses are refused by default, checked after the name is resolved, and
no connection is even attempted. No test here sends a packet anywhere but 127.0.0.1: the
sockets are watched, and names resolve from a table, never through DNS."""

import ipaddress
import logging
import socket
import uuid

import pytest
from django.core.exceptions import ValidationError

from integrations import client, policy, services
from integrations.models import Attempt, WebhookEndpoint
from surveys import services as surveys

from .conftest import deliver_everything, listen
from .receiver import Receiver

NAMES = {
    "localhost": ["127.0.0.1", "::1"],
    "hooks.example.com": ["127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
    # One public address and one private: refused all the same.
    "mixed.example.com": ["93.184.216.34", "10.1.2.3"],
}


@pytest.fixture
def connections(monkeypatch):
    """Every connection attempted, by address; any but to 127.0.0.1 fails the test."""
    attempted = []
    real = socket.create_connection

    def watched(address, *args, **kwargs):
        attempted.append(address[0])
        if address[0] != "127.0.0.1":
            pytest.fail(f"a connection to {address[0]} was attempted")
        return real(address, *args, **kwargs)

    def fake_getaddrinfo(host, port, *args, **kwargs):
        try:
            addresses = NAMES.get(host) or [str(ipaddress.ip_address(host))]
        except ValueError:
            try:  # the forms inet_aton reads: "2130706433", "0x7f.1"
                addresses = [socket.inet_ntoa(socket.inet_aton(host))]
            except OSError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port),
            )
            for a in addresses
        ]

    monkeypatch.setattr(socket, "create_connection", watched)
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return attempted


@pytest.fixture
def default_policy(settings):
    """The defaults, but http:// allowed so each case tests the address alone."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    settings.WEBHOOK_ALLOWED_HOSTS = []
    settings.WEBHOOK_ALLOW_HTTP = True


REFUSED = [
    ("http://127.0.0.1:9/", "loopback"),
    ("http://[::1]:9/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fd00:ec2::254]/", "private"),
    ("http://100.64.0.1/", "not a public address"),
    ("http://224.0.0.1/", "multicast"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://localhost:9/", "loopback"),
    ("http://hooks.example.com/", "loopback"),
    ("http://metadata.example.com/", "link-local"),
    ("http://mixed.example.com/", "private"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f.1/", "loopback"),
]


@pytest.mark.parametrize("url, reason", REFUSED)
def test_refused_targets_are_logged_and_never_connected_to(
    url, reason, default_policy, connections, active_survey, caplog
):
    endpoint = WebhookEndpoint.objects.create(
        survey=active_survey, url=url, events=["response.submitted"]
    )
    services.send_test_event(endpoint=endpoint)
    with caplog.at_level(logging.WARNING, logger="canvass.integrations"):
        deliver_everything()
    assert connections == []
    attempt = Attempt.objects.get()
    assert attempt.outcome == "blocked" and reason in attempt.detail
    assert "public addresses only" in attempt.hint
    assert "outcome=blocked" in caplog.text


@pytest.mark.parametrize("url, reason", REFUSED[:11])
def test_an_address_that_is_refused_is_refused_when_added(url, reason, default_policy):
    with pytest.raises(policy.Refused, match=reason):
        policy.check_url(url)


def test_https_is_required_unless_the_operator_allows_http(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(policy.Refused, match="https://"):
        policy.check_url("http://hooks.example.com/")
    for bad in ("ftp://example.com/", "https://user:pw@example.com/", "https:///x"):
        with pytest.raises(policy.Refused):
            policy.check_url(bad)
    assert policy.check_url("https://example.com:8443/in?x=1") == (
        "https",
        "example.com",
        8443,
        "/in?x=1",
    )


def test_add_endpoint_refuses_a_private_address_with_a_clear_message(
    default_policy, active_survey
):
    with pytest.raises(ValidationError) as refused:
        services.add_endpoint(
            survey=active_survey, url="http://10.0.0.1/", events=["response.submitted"]
        )
    assert refused.value.message_dict["url"] == [
        "Webhooks can't be sent there: 10.0.0.1 is a private address."
    ]
    assert not WebhookEndpoint.objects.exists()


def test_a_redirect_to_loopback_is_not_followed(settings, connections, active_survey):
    """The receiver is allowed (by the operator, on 127.0.0.1 only); its redirect to
    another loopback address and to the metadata service go nowhere."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    for target in ("http://127.0.0.2:8080/admin", "http://169.254.169.254/latest/"):
        with Receiver(script=[("redirect", target)]) as receiver:
            endpoint = listen(active_survey, receiver)
            surveys.submit_response(
                survey=active_survey,
                token=uuid.uuid4().hex,
                answers={q.pk: q.options.first().pk for q in active_survey.questions.all()},
            )
            deliver_everything()
        assert set(connections) == {"127.0.0.1"}
        assert Attempt.objects.get().status_code == 302
        services.delete_endpoint(endpoint=endpoint)  # its log goes with it


def test_the_operator_can_allow_a_host_by_name(settings, connections):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]
    with Receiver() as receiver:
        result = client.post(f"http://hooks.example.com:{receiver.port}/in", b"{}", {})
    assert result.succeeded and connections == ["127.0.0.1"]
    assert receiver.requests[0]["headers"]["host"] == f"hooks.example.com:{receiver.port}"


def test_an_unknown_name_is_a_dns_failure(default_policy, connections):
    result = client.post("http://no-such-host.invalid/", b"{}", {})
    assert result.outcome == "dns" and connections == []
