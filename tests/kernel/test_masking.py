"""Recorded traffic never holds a usable secret, yet still shows which secrets were sent."""

from __future__ import annotations

import json

from services.kernel.masking import MASK, mask_body, mask_headers, mask_query


def test_authorization_keeps_its_scheme_only() -> None:
    headers = mask_headers(
        [(b"Authorization", b"Bearer eyJabc.def.ghi"), (b"ESANTE-API-KEY", b"k"), (b"Accept", b"*/*")]
    )
    assert headers == {"authorization": f"Bearer {MASK}", "esante-api-key": MASK, "accept": "*/*"}


def test_form_and_query_secrets_are_masked_with_keys_kept() -> None:
    body = b"grant_type=authorization_code&code=abc&code_verifier=xyz&client_secret=s&redirect_uri=http%3A%2F%2Fx"
    masked = mask_body(body, "application/x-www-form-urlencoded", limit=1000, truncated=False)
    assert masked is not None
    assert (
        "code=%2A%2A%2A" in masked
        and "code_verifier=%2A%2A%2A" in masked
        and "client_secret=%2A%2A%2A" in masked
    )
    assert "grant_type=authorization_code" in masked and "abc" not in masked
    assert mask_query("state=s1&id_token_hint=tok") == "state=s1&id_token_hint=%2A%2A%2A"


def test_json_secrets_are_masked_at_any_depth() -> None:
    body = json.dumps({"access_token": "a", "nested": [{"refresh_token": "r", "scope": "openid"}]}).encode()
    masked = json.loads(mask_body(body, "application/json", limit=1000, truncated=False) or "")
    assert masked == {"access_token": MASK, "nested": [{"refresh_token": MASK, "scope": "openid"}]}


def test_large_and_binary_bodies_are_summarised() -> None:
    assert mask_body(b"x" * 10, "text/plain", limit=4, truncated=True) == "xxxx …[truncated]"
    assert (
        mask_body(b"\x00\x01", "application/pdf", limit=100, truncated=False)
        == "<2 bytes of application/pdf>"
    )
    assert mask_body(b"", "text/plain", limit=4, truncated=False) is None


def test_fhir_codes_stay_visible_and_jwk_private_members_do_not() -> None:
    resource = {"resourceType": "DocumentReference", "type": {"coding": [{"code": "11488-4"}]}}
    masked = json.loads(
        mask_body(json.dumps(resource).encode(), "application/fhir+json", limit=1000, truncated=False) or ""
    )
    assert masked == resource
    jwks = {"keys": [{"kty": "RSA", "n": "abc", "e": "AQAB", "d": "private", "p": "x"}]}
    masked = json.loads(
        mask_body(json.dumps(jwks).encode(), "application/json", limit=1000, truncated=False) or ""
    )
    assert masked["keys"][0] == {"kty": "RSA", "n": "abc", "e": "AQAB", "d": MASK, "p": MASK}
    assert mask_query("code=abc&state=s") == "code=%2A%2A%2A&state=s"


def test_json_without_secrets_is_recorded_as_sent_and_escaped_names_are_still_masked() -> None:
    bundle = b'{\n  "resourceType": "Bundle",\n  "entry": [{"resource": {"status": "current"}}]\n}'
    assert mask_body(bundle, "application/fhir+json", limit=1000, truncated=False) == bundle.decode()
    escaped = b'{"\\u0061ccess_token": "live-secret", "note": "caf\\u00e9"}'
    masked = mask_body(escaped, "application/json", limit=1000, truncated=False) or ""
    assert "live-secret" not in masked and json.loads(masked) == {"access_token": MASK, "note": "café"}
