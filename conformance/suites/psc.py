"""Pro Santé Connect checks: how the software logs professionals in (psc.md §2, §4.2, §6).

Evidence is the traffic the software sent to PSC with the run's client: the authorization request
(its query, where nothing secret travels), the token request (form keys; secret values read ``***``),
userinfo and logout.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

from ..checks import check, expect, fail, not_tested
from ..evidence import Exchange, ScenarioEvidence
from ..scenarios import ADVERSARIAL_LOGINS, USERINFO_MODES

AUTH = "/protocol/openid-connect/auth"
TOKEN = "/protocol/openid-connect/token"
USERINFO = "/protocol/openid-connect/userinfo"
LOGOUT = "/protocol/openid-connect/logout"
LOGIN_SCENARIOS = ["psc-login", "ins-lookup", "dmp-feed", "mss-send", "parcours"]
NEGATIVE_SCENARIOS = [f"psc-{mode.replace('_', '-')}" for mode, _ in ADVERSARIAL_LOGINS]


def authorization_requests(ev: ScenarioEvidence) -> list[tuple[Exchange, dict[str, str]]]:
    found = ev.require("a PSC authorization request", service="prosanteconnect", path=AUTH)
    return [(ex, ex.query if ex.method == "GET" else ex.form) for ex in found]


def code_token_requests(ev: ScenarioEvidence) -> list[Exchange]:
    found = ev.require("a PSC token request", service="prosanteconnect", method="POST", path=TOKEN)
    code = [ex for ex in found if ex.form.get("grant_type") == "authorization_code"]
    expect(code, "no token request with grant_type=authorization_code")
    return code


@check("PSC-01", ["PSC-FLOW-01"], scenarios=LOGIN_SCENARIOS, title="Authorization code flow completed")
def code_flow(ev: ScenarioEvidence) -> str:
    """The software sends response_type=code to the authorization endpoint and redeems the code."""
    for _, params in authorization_requests(ev):
        expect(params.get("response_type") == "code", f"response_type is {params.get('response_type')!r}")
        expect("openid" in params.get("scope", "").split(), "scope does not contain openid")
    redeemed = [ex for ex in code_token_requests(ev) if ex.ok]
    expect(redeemed, "the code was never redeemed successfully at the token endpoint")
    return f"{len(redeemed)} code(s) redeemed"


@check("PSC-02", ["PSC-FLOW-02"], scenarios=LOGIN_SCENARIOS, title="PKCE with S256")
def pkce(ev: ScenarioEvidence) -> None:
    """Every authorization request carries a code_challenge with method S256; every code redemption a verifier."""
    for ex, params in authorization_requests(ev):
        expect(params.get("code_challenge"), f"{ex.summary()}: no code_challenge")
        method = params.get("code_challenge_method")
        expect(method == "S256", f"{ex.summary()}: code_challenge_method is {method!r}, not S256")
    for ex in code_token_requests(ev):
        expect("code_verifier" in ex.form, f"{ex.summary()}: no code_verifier")


@check("PSC-03", ["PSC-FLOW-03"], scenarios=LOGIN_SCENARIOS, title="acr_values=eidas1")
def acr_values(ev: ScenarioEvidence) -> None:
    """PSC.08: the authorization request asks for eIDAS level 1, the only level PSC accepts."""
    for ex, params in authorization_requests(ev):
        value = params.get("acr_values")
        expect(value == "eidas1", f"{ex.summary()}: acr_values is {value!r}, not 'eidas1'")


@check("PSC-04", ["PSC-FLOW-04"], scenarios=LOGIN_SCENARIOS, title="nonce and state sent")
def nonce_and_state(ev: ScenarioEvidence) -> None:
    """A nonce binds the ID token to this login, a state the redirect to this browser session."""
    for ex, params in authorization_requests(ev):
        nonce, state = params.get("nonce", ""), params.get("state", "")
        expect(len(nonce) >= 16, f"{ex.summary()}: nonce missing or shorter than 16 characters")
        expect(len(state) >= 16, f"{ex.summary()}: state missing or shorter than 16 characters")


@check("PSC-05", ["PSC-FLOW-05"], scenarios=LOGIN_SCENARIOS, title="Registered redirect URI, exactly")
def redirect_uri(ev: ScenarioEvidence) -> None:
    """PSC redirects back only to a registered URI; the token request repeats the same one."""
    sent = set()
    for ex, params in authorization_requests(ev):
        uri = params.get("redirect_uri", "")
        location = ex.response_headers.get("location", "")
        expect(uri, f"{ex.summary()}: no redirect_uri")
        sent.add(uri)
        if ex.status == 200:  # PSC showed its login page; the login form's answer redirects
            continue
        expect(
            ex.status in (302, 303) and location.startswith(uri),
            f"{ex.summary()}: PSC refused the redirect URI",
        )
        expect("error=" not in location, f"{ex.summary()}: PSC answered an error: {location}")
    for ex in code_token_requests(ev):
        expect(
            ex.form.get("redirect_uri") in sent,
            f"{ex.summary()}: redirect_uri differs from the authorization request",
        )


@check("PSC-06", ["PSC-TOKEN-02"], scenarios=["psc-login"], title="Userinfo read with the access token")
def userinfo(ev: ScenarioEvidence) -> None:
    """The professional's identity (idNat, profession, activities) comes from userinfo, not from guesses."""
    calls = ev.require("a userinfo request", service="prosanteconnect", path=USERINFO)
    expect(all(ex.bearer for ex in calls), "a userinfo request did not use the Bearer scheme")
    expect(any(ex.status == 200 for ex in calls), "no userinfo request succeeded")


@check("PSC-07", ["PSC-LOGOUT-01"], scenarios=["psc-login"], title="Logout at PSC with id_token_hint")
def logout(ev: ScenarioEvidence) -> None:
    """Logging out of the software ends the PSC session too (end_session with the ID token as hint)."""
    calls = ev.require("a PSC logout request", service="prosanteconnect", path=LOGOUT)
    for ex in calls:
        params = ex.query if ex.method == "GET" else ex.form
        expect("id_token_hint" in params, f"{ex.summary()}: no id_token_hint")
        expect(ex.status < 400, f"{ex.summary()}: PSC refused the logout")


@check("PSC-08", ["PSC-TOKEN-01"], scenarios=NEGATIVE_SCENARIOS, title="Wrong ID token refused")
def refuses_bad_id_token(ev: ScenarioEvidence) -> str:
    """PSC returned an ID token that breaks one validation rule (OIDC Core §3.1.3.7, PSC acr eidas1), or a
    userinfo about another subject (§5.3.2); the software must refuse the login: say so, and never use the
    tokens (no userinfo after a wrong ID token, no service call at all)."""
    tokens = [ex for ex in code_token_requests(ev) if ex.ok]
    if not tokens:
        not_tested("the software never received the ID token to judge")
    delivered = tokens[0].id
    userinfo_mode = ev.scenario.removeprefix("psc-").replace("-", "_") in USERINFO_MODES
    used = [
        ex
        for ex in ev.exchanges
        if ex.id > delivered and ex.bearer and not (userinfo_mode and ex.path.endswith(USERINFO))
    ]
    if used:
        fail(f"the software accepted the wrong ID token and went on: {used[0].summary()}")
    expect(ev.driver.refused, f"the software did not report a refused login ({ev.driver.describe()})")
    return "login refused, tokens not used"


CIBA_AUTH = "/protocol/openid-connect/ext/ciba/auth"
CIBA_GRANT = "urn:openid:params:grant-type:ciba"
TOLERANCE = 0.95
"""Share of the interval a poll may come early (timer resolution), before it counts as too fast."""


def started(ex: Exchange) -> datetime:
    """When the service began handling the request: recorded end minus the recorded duration."""
    return datetime.fromisoformat(ex.raw["time"]) - timedelta(
        milliseconds=float(ex.raw.get("duration_ms", 0))
    )


@check("PSC-09", ["PSC-CIBA-01"], scenarios=["psc-ciba"], title="CIBA request and polling as PSC wants them")
def ciba(ev: ScenarioEvidence) -> str:
    """CIBA (psc.md §4.1): login_hint is the idNat, acr_values eidas1, a 2-digit binding message; the token
    endpoint is polled no faster than the interval PSC answered (never a slow_down), until tokens come."""
    requests = ev.require(
        "a CIBA authentication request", service="prosanteconnect", method="POST", path=CIBA_AUTH
    )
    first = requests[0]
    form = first.form
    expect(form.get("login_hint") == ev.professional, f"{first.summary()}: login_hint is not the idNat")
    expect(form.get("acr_values") == "eidas1", f"{first.summary()}: acr_values is {form.get('acr_values')!r}")
    expect(
        re.fullmatch(r"\d\d", form.get("binding_message", "")),
        f"{first.summary()}: binding_message is not 2 digits",
    )
    expect(first.ok, f"{first.summary()}: PSC refused the CIBA request")
    interval = float((first.json() or {}).get("interval", 5))
    polls = [
        ex
        for ex in ev.http("prosanteconnect", method="POST", path=TOKEN)
        if ex.form.get("grant_type") == CIBA_GRANT
    ]
    expect(polls, "the software never polled the token endpoint")
    slowed = [ex for ex in polls if "slow_down" in (ex.raw.get("response_body") or "")]
    expect(not slowed, f"PSC had to answer slow_down: {slowed[0].summary() if slowed else ''}")
    times = [started(ex) for ex in [first, *polls]]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    expect(
        min(gaps) >= interval * TOLERANCE, f"polled {min(gaps):.2f} s apart, the interval is {interval:g} s"
    )
    expect(any(ex.ok for ex in polls), "no poll returned tokens")
    return f"{len(polls)} poll(s), at least {min(gaps):.2f} s apart"
