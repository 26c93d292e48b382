import ipaddress

import pytest

from bgr_core.integrations import guarded_http


def resolver(table):
    return lambda host, port: table[host]


# an address the guard must refuse, never one bound to (bandit B104)
UNSPECIFIED = "0.0.0.0"  # nosec B104


def policy(**table):
    return guarded_http.Policy(resolver=resolver(table))


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
    with pytest.raises(guarded_http.UrlNotAllowed, match="non-public"):
        guarded_http.check_url("https://images.example/a.png", policy(**{"images.example": [address]}))


def test_a_public_address_is_pinned():
    target = guarded_http.check_url(
        "https://images.example/a.png?x=1", policy(**{"images.example": ["93.184.215.14"]})
    )
    assert (target.host, target.port, target.address, target.path) == (
        "images.example",
        443,
        "93.184.215.14",
        "/a.png?x=1",
    )


def test_one_private_address_among_public_ones_refuses_the_host():
    with pytest.raises(guarded_http.UrlNotAllowed):
        guarded_http.check_url(
            "http://rebind.example/", policy(**{"rebind.example": ["8.8.8.8", "10.0.0.5"]})
        )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x.example/", "ftp://x.example/a", "http:///nohost"]
)
def test_only_http_urls_with_a_host(url):
    with pytest.raises(guarded_http.UrlNotAllowed):
        guarded_http.check_url(url, policy(**{"x.example": ["8.8.8.8"]}))


def test_a_literal_address_is_checked_like_a_resolved_one():
    with pytest.raises(guarded_http.UrlNotAllowed):
        guarded_http.check_url("http://[::1]:80/", guarded_http.Policy(resolver=lambda h, p: [h]))


def test_allowed_networks_are_explicit():
    allow = guarded_http.Policy(
        resolver=lambda h, p: ["127.0.0.1"],
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),),
    )
    assert guarded_http.check_url("http://localhost/", allow).address == "127.0.0.1"


@pytest.mark.parametrize("url", ["http://x.example:22/", "https://x.example:8443/", "http://x.example:25/"])
def test_ports_other_than_80_and_443_are_refused(url):
    with pytest.raises(guarded_http.UrlNotAllowed, match="port"):
        guarded_http.check_url(url, policy(**{"x.example": ["8.8.8.8"]}))


def test_more_ports_are_explicit(settings_env):
    assert guarded_http.check_url("https://x.example:443/", policy(**{"x.example": ["8.8.8.8"]})).port == 443
    settings_env(OUTBOUND_ALLOW_PORTS='[8443, "9000-9009"]')
    allow = guarded_http.Policy.from_settings(resolver=lambda h, p: ["8.8.8.8"])
    ports = [guarded_http.check_url(f"https://x.example:{port}/", allow).port for port in (8443, 9009)]
    assert ports == [8443, 9009]
    with pytest.raises(guarded_http.UrlNotAllowed):
        guarded_http.check_url("https://x.example:9010/", allow)


def test_an_unresolvable_host_fails_to_fetch():
    def nothing(host, port):
        return []

    with pytest.raises(guarded_http.FetchFailed):
        guarded_http.check_url("http://nowhere.example/", guarded_http.Policy(resolver=nothing))
