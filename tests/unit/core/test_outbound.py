import ipaddress

import pytest

from bgr_core import outbound


def resolver(table):
    return lambda host, port: table[host]


# an address the guard must refuse, never one bound to (bandit B104)
UNSPECIFIED = "0.0.0.0"  # nosec B104


def policy(**table):
    return outbound.Policy(resolver=resolver(table))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        UNSPECIFIED,
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
)
def test_non_public_addresses_are_refused(address):
    with pytest.raises(outbound.UrlNotAllowed, match="non-public"):
        outbound.check_url("https://images.example/a.png", policy(**{"images.example": [address]}))


def test_a_public_address_is_pinned():
    target = outbound.check_url(
        "https://images.example:8443/a.png?x=1", policy(**{"images.example": ["93.184.215.14"]})
    )
    assert (target.host, target.port, target.address, target.path) == (
        "images.example",
        8443,
        "93.184.215.14",
        "/a.png?x=1",
    )


def test_one_private_address_among_public_ones_refuses_the_host():
    with pytest.raises(outbound.UrlNotAllowed):
        outbound.check_url("http://rebind.example/", policy(**{"rebind.example": ["8.8.8.8", "10.0.0.5"]}))


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x.example/", "ftp://x.example/a", "http:///nohost"]
)
def test_only_http_urls_with_a_host(url):
    with pytest.raises(outbound.UrlNotAllowed):
        outbound.check_url(url, policy(**{"x.example": ["8.8.8.8"]}))


def test_a_literal_address_is_checked_like_a_resolved_one():
    with pytest.raises(outbound.UrlNotAllowed):
        outbound.check_url("http://[::1]:80/", outbound.Policy(resolver=lambda h, p: [h]))


def test_allowed_networks_are_explicit():
    allow = outbound.Policy(
        resolver=lambda h, p: ["127.0.0.1"],
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
    )
    assert outbound.check_url("http://localhost:8080/", allow).address == "127.0.0.1"


def test_an_unresolvable_host_fails_to_fetch():
    def nothing(host, port):
        return []

    with pytest.raises(outbound.FetchFailed):
        outbound.check_url("http://nowhere.example/", outbound.Policy(resolver=nothing))
