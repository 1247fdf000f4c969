"""Whatever a client sends, the provider answers with an OAuth error or a page, never a crash or a token."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import OIDC, register

NAMES = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "auth_req_id",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "login_hint",
    "prompt",
    "token",
    "token_type_hint",
    "id_token_hint",
    "post_logout_redirect_uri",
    "binding_message",
    "channel",
    "requested_expiry",
]
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "authorization_code",
            "refresh_token",
            "urn:openid:params:grant-type:ciba",
            "code",
            "openid scope_all",
            "S256",
            "plain",
            "eidas1",
            "none",
            "a.b.c",
            "https://rp.example/callback",
        ]
    ),
)
FORMS = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(form=FORMS)
def test_token_endpoint_never_fails_open(psc: TestClient, form: dict[str, str]) -> None:
    client = getattr(psc, "_fuzz_client", None) or register(psc)
    psc._fuzz_client = client  # type: ignore[attr-defined]
    response = psc.post(OIDC + "/token", data=form, auth=(client["client_id"], client["client_secret"]))
    assert response.status_code in (400, 401)
    assert "access_token" not in response.json() and response.json()["error"]


@FUZZ
@given(
    form=FORMS, path=st.sampled_from(["/auth", "/token/introspect", "/revoke", "/logout", "/ext/ciba/auth"])
)
def test_other_endpoints_answer_without_crashing(psc: TestClient, form: dict[str, str], path: str) -> None:
    psc.cookies.clear()
    response = psc.post(OIDC + path, data=form)
    assert response.status_code < 500, (path, form, response.text[:300])
    if response.status_code == 302:
        assert response.headers["location"].startswith("https://rp.example/"), "only registered URIs"


@FUZZ
@given(form=FORMS)
def test_authorization_requests_of_a_real_client(psc: TestClient, form: dict[str, str]) -> None:
    client = getattr(psc, "_fuzz_client", None) or register(psc)
    psc._fuzz_client = client  # type: ignore[attr-defined]
    psc.cookies.clear()
    params = {**form, "client_id": client["client_id"], "redirect_uri": "https://rp.example/callback"}
    response = psc.get(OIDC + "/auth", params=params)
    assert response.status_code < 500, (params, response.text[:300])
    if response.status_code == 302:
        location = response.headers["location"]
        assert location.startswith("https://rp.example/callback?")
        assert ("code=" in location) == (form.get("response_type") == "code" and "error=" not in location)
