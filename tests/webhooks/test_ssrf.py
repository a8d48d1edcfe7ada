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
from surveys import responses
from surveys.answers import clean_answers

from .conftest import deliver_everything, listen
from .receiver import Receiver

NAMES = {
    "localhost": ["127.0.0.1", "::1"],
    "hooks.example.com": ["127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
    # One public address and one private: refused all the same.
    "mixed.example.com": ["93.184.216.34", "10.1.2.3"],
    # IPv6 addresses standing for the metadata service and a private IPv4 address.
    "sixtofour.example.com": ["2002:a9fe:a9fe::1"],
    "nat64.example.com": ["64:ff9b::a00:1"],
    "public.example.com": ["93.184.216.34"],
}


@pytest.fixture
def connections(monkeypatch):
    """Every connection attempted, by address; any but to 127.0.0.1 fails the test."""
    attempted = []
    real = client._open  # every socket the client's curl connects with

    def watched(family, socktype, protocol, address, checked):
        attempted.append(address)
        if address != "127.0.0.1":
            pytest.fail(f"a connection to {address} was attempted")
        return real(family, socktype, protocol, address, checked)

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

    monkeypatch.setattr(client, "_open", watched)
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
    # Site-local, the 6to4 relays, and IPv6 addresses that stand for an IPv4 address that
    # is refused: 6to4 (2002::/16), NAT64 (64:ff9b::/96), Teredo (2001::/32).
    ("http://[fec0::1]/", "site-local"),
    ("http://192.88.99.1/", "not a public address"),
    ("http://[2002:7f00:1::]/", "6to4 for 127.0.0.1, a loopback"),
    ("http://[2002:a9fe:a9fe::]/", "6to4 for 169.254.169.254, a link-local"),
    ("http://[2002:a00:1::]/", "6to4 for 10.0.0.1, a private"),
    ("http://[2002:c058:6301::]/", "6to4 for 192.88.99.1, not a public"),
    ("http://[64:ff9b::7f00:1]/", "NAT64 for 127.0.0.1, a loopback"),
    ("http://[64:ff9b::a9fe:a9fe]/", "NAT64 for 169.254.169.254, a link-local"),
    ("http://[64:ff9b::c0a8:101]/", "NAT64 for 192.168.1.1, a private"),
    ("http://[64:ff9b:1::a00:1]/", "reserved"),  # local-use NAT64: the operator's network
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "Teredo for 127.0.0.1, a loopback"),
    ("http://[::ffff:a9fe:a9fe]/", "maps to 169.254.169.254, a link-local"),
    ("http://sixtofour.example.com/", "6to4 for 169.254.169.254"),
    ("http://nat64.example.com/", "NAT64 for 10.0.0.1"),
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


@pytest.mark.parametrize("url, reason", REFUSED)
def test_an_address_that_is_refused_is_refused_when_added(
    url, reason, default_policy, connections, active_survey
):
    """Names too: resolved when added, every address checked, nothing connected to."""
    with pytest.raises(ValidationError) as refused:
        services.add_endpoint(survey=active_survey, url=url, events=["response.submitted"])
    (message,) = refused.value.message_dict["url"]
    assert message.startswith("Webhooks can't be sent there: ") and reason in message
    assert not WebhookEndpoint.objects.exists() and connections == []


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "2606:2800:220:1:248:1893:25c8:1946",
        "::ffff:93.184.216.34",  # IPv4-mapped: judged as the IPv4 address
        "64:ff9b::5db8:d822",  # NAT64 for 93.184.216.34: how IPv6-only networks reach IPv4
        "2002:5db8:d822::1",  # 6to4 for 93.184.216.34
    ],
)
def test_a_public_address_however_spelled_is_allowed(address, default_policy):
    assert policy.forbidden_address(ipaddress.ip_address(address)) is None


def test_a_name_is_resolved_when_added_and_when_changed(
    default_policy, connections, active_survey, monkeypatch
):
    """Refused with the name and the address it resolves to; pausing an endpoint whose
    name no longer resolves still works (an unchanged address isn't resolved again)."""
    endpoint = services.add_endpoint(
        survey=active_survey, url="http://public.example.com/in", events=["response.submitted"]
    )
    with pytest.raises(ValidationError) as refused:
        services.update_endpoint(endpoint=endpoint, url="http://localhost/in")
    assert refused.value.message_dict["url"] == [
        "Webhooks can't be sent there: 127.0.0.1 is a loopback address (localhost resolves to it)."
    ]
    with pytest.raises(ValidationError) as unknown:
        services.update_endpoint(endpoint=endpoint, url="https://no-such-host.invalid/")
    assert unknown.value.message_dict["url"] == [
        "no-such-host.invalid could not be resolved: Name or service not known: check the address."
    ]
    endpoint.refresh_from_db()
    assert endpoint.url == "http://public.example.com/in"
    monkeypatch.setitem(NAMES, "public.example.com", ["10.9.9.9"])  # changed since
    services.update_endpoint(endpoint=endpoint, active=False)
    endpoint.refresh_from_db()
    assert not endpoint.active and connections == []


def test_https_is_required_unless_the_operator_allows_http(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(policy.AddressRefused, match="https://"):
        policy.check_url("http://hooks.example.com/")
    for bad in ("ftp://example.com/", "https://user:pw@example.com/", "https:///x"):
        with pytest.raises(policy.AddressRefused):
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
            responses.submit_response(
                survey=active_survey,
                token=uuid.uuid4().hex,
                answers=clean_answers(
                    active_survey,
                    {q.pk: q.options.first().pk for q in active_survey.questions.all()},
                ),
            )
            deliver_everything()
        assert set(connections) == {"127.0.0.1"}
        assert Attempt.objects.get().status_code == 302
        services.delete_endpoint(endpoint=endpoint)  # its log goes with it


def test_the_operator_can_allow_a_host_by_name_on_a_port(settings, connections):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with Receiver() as receiver:
        settings.WEBHOOK_ALLOWED_HOSTS = [f"hooks.example.com:{receiver.port}"]
        result = client.post(f"http://hooks.example.com:{receiver.port}/in", b"{}", {})
    assert result.succeeded and connections == ["127.0.0.1"]
    assert receiver.requests[0]["headers"]["host"] == f"hooks.example.com:{receiver.port}"


def test_a_host_allowed_by_name_alone_opens_its_default_ports_only(settings, connections):
    """Not every port of the machine: its database's or its admin's."""
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]
    assert policy.resolve("hooks.example.com", 443) == [ipaddress.ip_address("127.0.0.1")]
    result = client.post("http://hooks.example.com:5432/", b"{}", {})
    assert result.outcome == "blocked" and "loopback" in result.detail and connections == []


@pytest.mark.parametrize(
    "allowed, host, port, expected",
    [
        (["hooks.example.com"], "hooks.example.com", 443, True),
        (["hooks.example.com"], "HOOKS.example.com", 80, True),
        (["hooks.example.com"], "hooks.example.com", 8443, False),
        (["hooks.example.com:8443"], "hooks.example.com", 8443, True),
        (["hooks.example.com:8443"], "hooks.example.com", 443, False),
        (["hooks.example.com:8443"], "other.example.com", 8443, False),
        (["[fd00::1]:8080"], "fd00::1", 8080, True),
    ],
)
def test_allowed_hosts_name_a_host_and_its_port(settings, allowed, host, port, expected):
    settings.WEBHOOK_ALLOWED_HOSTS = allowed
    assert policy.host_allowed(host, port) is expected


def test_an_unknown_name_is_a_dns_failure(default_policy, connections):
    result = client.post("http://no-such-host.invalid/", b"{}", {})
    assert result.outcome == "dns" and connections == []


def test_curl_connects_to_checked_addresses_only(settings, monkeypatch):
    """Were curl to reach for another address than the checked ones (a name resolved
    again, rebound meanwhile), the socket is refused before it connects."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    real = client._handle

    def rebound(url, body, headers, host, port, addresses, exchange):
        return real(url, body, headers, host, port, [ipaddress.ip_address("127.0.0.2")], exchange)

    monkeypatch.setattr(client, "_handle", rebound)
    with Receiver() as receiver:
        result = client.post(receiver.url, b"{}", {})
    assert result.outcome == "blocked" and "127.0.0.2, not a checked address" in result.detail
    assert receiver.requests == []
