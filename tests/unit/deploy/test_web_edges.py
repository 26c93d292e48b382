"""The deployment's public edges: the web app's response headers (a CSP without inline script,
HSTS, nosniff, referrer and frame policies) and TLS 1.2 on a custom domain, the user pool's sign-in
rules, the optional WAF on the API, and a web app that never keeps a token in localStorage."""

import re

from harness import ROOT
from iam import expanded

TEMPLATE = expanded()
DOMAIN = {"WebDomainName": "app.example.com"}
DOMAIN["WebCertificateArn"] = (
    "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
)


def properties(template, logical: str) -> dict:
    return template.resolve(template.resources[logical]["Properties"])


def distribution(template, key: str):
    return template.resolve(template.resources["WebDistribution"]["Properties"]["DistributionConfig"][key])


def headers() -> dict:
    return properties(TEMPLATE, "WebSecurityHeaders")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]


def test_every_response_of_the_app_carries_the_security_headers():
    behavior = distribution(TEMPLATE, "DefaultCacheBehavior")
    assert behavior["ResponseHeadersPolicyId"] == TEMPLATE.ref("WebSecurityHeaders")
    config = headers()
    assert all(header["Override"] for header in config.values())
    assert config["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert config["ContentTypeOptions"] == {"Override": True}  # nosniff
    assert config["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert config["FrameOptions"]["FrameOption"] == "DENY"


def test_the_csp_allows_no_inline_or_evaluated_script_and_no_framing():
    csp = headers()["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives = {d.split()[0]: d.split()[1:] for d in re.split(r";\s*", csp.strip()) if d}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert not [d for d in directives.values() if {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(d)]
    bucket = TEMPLATE.ref("ImagesBucket")
    # the app talks to its API, the hosted sign-in and the images bucket, nothing else
    assert directives["connect-src"] == [
        "'self'",
        f"https://*.execute-api.{TEMPLATE.region}.amazonaws.com",
        f"https://{TEMPLATE.ref('UserPoolDomain')}.auth.{TEMPLATE.region}.amazoncognito.com",
        f"https://{bucket}.s3.amazonaws.com",
        f"https://{bucket}.s3.{TEMPLATE.region}.amazonaws.com",
    ]


def test_a_custom_domain_is_served_at_tls_1_2_or_later():
    assert distribution(TEMPLATE, "ViewerCertificate") == {"CloudFrontDefaultCertificate": True}
    with_domain = expanded(**DOMAIN)
    assert distribution(with_domain, "Aliases") == ["app.example.com"]
    assert distribution(with_domain, "ViewerCertificate") == {
        "AcmCertificateArn": DOMAIN["WebCertificateArn"],
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    client = properties(with_domain, "UserPoolClient")
    assert client["CallbackURLs"][0] == "https://app.example.com/"


def test_the_user_pool_hides_who_has_an_account_and_asks_for_strong_passwords():
    assert properties(TEMPLATE, "UserPoolClient")["PreventUserExistenceErrors"] == "ENABLED"
    pool = properties(TEMPLATE, "UserPool")
    password = pool["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] >= 12
    assert password["RequireLowercase"] and password["RequireUppercase"] and password["RequireNumbers"]
    assert pool["MfaConfiguration"] == "OPTIONAL" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    off = properties(expanded(UserMfa="OFF"), "UserPool")
    assert off["MfaConfiguration"] == "OFF" and "EnabledMfas" not in off


def test_the_waf_is_associated_with_the_api_stage_only_when_given():
    assert not TEMPLATE.condition("HasWebAcl")
    arn = "arn:aws:wafv2:ap-southeast-3:123456789012:regional/webacl/api/0a1b2c3d-aaaa"
    with_acl = expanded(WebAclArn=arn)
    assert with_acl.condition("HasWebAcl")
    association = properties(with_acl, "ApiWebAcl")
    assert association["WebACLArn"] == arn
    api, stage = with_acl.ref("Api"), with_acl.ref("ApiStage")
    assert (
        association["ResourceArn"] == f"arn:aws:apigateway:{with_acl.region}::/restapis/{api}/stages/{stage}"
    )


def test_the_web_app_never_writes_localstorage():
    for path in (ROOT / "web" / "src").rglob("*.ts*"):
        assert not re.search(r"localStorage\.setItem", path.read_text()), path
