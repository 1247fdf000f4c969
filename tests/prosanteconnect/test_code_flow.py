"""The authorization code flow as a relying party sees it: discovery, keys, code + PKCE, tokens, userinfo."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi.testclient import TestClient

from .helpers import (
    FIRST,
    ISSUER,
    OIDC,
    auth_params,
    authorize,
    bearer,
    claims,
    code_form,
    login,
    redeem,
    register,
)

REALM = "/auth/realms/esante-wallet"


def test_discovery_at_both_paths_names_the_keycloak_endpoints(psc: TestClient) -> None:
    standard = psc.get(REALM + "/.well-known/openid-configuration").json()
    wallet = psc.get(REALM + "/.well-known/wallet-openid-configuration").json()
    assert standard == wallet
    assert standard["issuer"] == ISSUER
    assert standard["token_endpoint"] == ISSUER + "/protocol/openid-connect/token"
    assert standard["jwks_uri"] == ISSUER + "/protocol/openid-connect/certs"
    assert standard["introspection_endpoint"] == ISSUER + "/protocol/openid-connect/token/introspect"
    assert (
        standard["backchannel_authentication_endpoint"] == ISSUER + "/protocol/openid-connect/ext/ciba/auth"
    )
    assert standard["registration_endpoint"] == ISSUER + "/clients-registrations/openid-connect"
    assert "S256" in standard["code_challenge_methods_supported"]
    assert standard["authorization_response_iss_parameter_supported"] is True
    assert {"private_key_jwt", "client_secret_basic", "client_secret_post"} <= set(
        standard["token_endpoint_auth_methods_supported"]
    )


def test_jwks_publishes_rs256_keys_with_keycloak_like_kids(psc: TestClient) -> None:
    keys = psc.get(OIDC + "/certs").json()["keys"]
    assert keys
    assert all(k["kty"] == "RSA" and k["alg"] == "RS256" and len(k["kid"]) == 43 for k in keys)
    assert all("d" not in k for k in keys)


def test_code_flow_returns_keycloak_shaped_tokens(psc: TestClient) -> None:
    client = register(psc)
    params = auth_params(client)
    answer = authorize(psc, params)
    assert answer["state"] == params["state"]
    assert answer["iss"] == ISSUER
    response = redeem(psc, client, answer["code"], params["_verifier"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 120
    assert tokens["refresh_expires_in"] == 1800
    assert {"session_state", "not-before-policy", "scope", "id_token", "refresh_token"} <= set(tokens)

    access = claims(psc, tokens["access_token"])
    assert access["iss"] == ISSUER
    assert access["typ"] == "Bearer"
    assert access["azp"] == client["client_id"]
    assert access["acr"] == "eidas3"
    assert access["exp"] - access["iat"] == 120
    assert access["preferred_username"] == FIRST
    assert access["sub"].endswith(":" + FIRST) and access["sub"].startswith("f:")
    assert access["authMode"] == "CARD"
    assert access["otherIds"] == [{"identifiant": FIRST, "origine": "RPPS", "qualite": 1}]
    assert access["sid"] == access["session_state"] == tokens["session_state"]
    assert "aud" not in access

    id_token = claims(psc, tokens["id_token"])
    assert id_token["aud"] == client["client_id"]
    assert id_token["acr"] == "eidas1"
    assert id_token["typ"] == "ID"
    assert id_token["nonce"] == params["nonce"]
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert id_token["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_login_hint_picks_the_professional(psc: TestClient) -> None:
    client = register(psc)
    pharmacist = "810000000033"
    tokens = login(psc, client, login_hint=pharmacist)
    info = psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).json()
    assert info["SubjectNameID"] == pharmacist
    assert info["SubjectRefPro"]["exercices"][0]["codeProfession"] == "21"


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path + "[]")]
    return [(path, value)]


def test_userinfo_has_the_exact_psc_shape(psc: TestClient) -> None:
    tokens = login(psc, register(psc))
    response = psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    info = response.json()
    assert info["SubjectNameID"] == info["preferred_username"] == FIRST
    assert info["Secteur_Activite"] == "SA07^1.2.250.1.71.4.2.4"
    assert info["SubjectOrganization"] == "CABINET MEDICAL DU SOCLE"
    assert info["SubjectRole"] == ["10^1.2.250.1.213.1.1.5.5"]
    assert info["Acces_Regulation_Medicale"] == "FAUX"
    assert info["Palier_Authentification"] == "APPPRIP3^1.2.250.1.213.1.5.1.1.1"
    exercice = info["SubjectRefPro"]["exercices"][0]
    assert exercice["codeSavoirFaire"] == "SM54" and exercice["codeTypeSavoirFaire"] == "S"
    activity = exercice["activities"][0]
    assert len(activity) == 30
    assert activity["codeSecteurDactivite"] == "SA07"
    assert activity["identifiantTechniqueDeLaStructure"] == info["SubjectOrganizationID"]
    assert activity["codePostal"] == "63000" and activity["codeTypeDeVoie"] == "R"
    assert activity["numeroFinessetablissementJuridique"] == ""
    non_strings = [(p, v) for p, v in _leaves(info) if not isinstance(v, str)]
    assert non_strings == [(".otherIds[].qualite", 1)]


def test_hospital_activity_carries_finess_site_and_legal_entity(psc: TestClient) -> None:
    cardiologist = "810000000025"
    tokens = login(psc, register(psc), login_hint=cardiologist)
    info = psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).json()
    activity = info["SubjectRefPro"]["exercices"][0]["activities"][0]
    assert activity["codeSecteurDactivite"] == "SA01"
    assert activity["numeroFinessSite"] and activity["numeroFinessetablissementJuridique"]
    assert activity["identifiantTechniqueDeLaStructure"] == "F" + activity["numeroFinessSite"]


def test_signed_userinfo_for_a_client_that_registered_an_alg(psc: TestClient) -> None:
    client = register(psc, userinfo_signed_response_alg="RS256")
    tokens = login(psc, client)
    response = psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"]))
    assert response.headers["content-type"].startswith("application/jwt")
    signed = claims(psc, response.text)
    assert signed["SubjectNameID"] == FIRST
    assert signed["aud"] == client["client_id"] and signed["iss"] == ISSUER


def test_client_secret_post_is_accepted(psc: TestClient) -> None:
    client = register(psc, token_endpoint_auth_method="client_secret_post")
    params = auth_params(client)
    code = authorize(psc, params)["code"]
    data = code_form(
        code,
        params["_verifier"],
        redirect_uri=params["redirect_uri"],
        client_id=client["client_id"],
        client_secret=client["client_secret"],
    )
    response = psc.post(OIDC + "/token", data=data)
    assert response.status_code == 200, response.text


def test_plain_pkce_works_for_a_client_that_allows_it(psc: TestClient) -> None:
    client = register(psc, socle_pkce_methods=["S256", "plain"])
    params = auth_params(client, code_challenge="x" * 50, code_challenge_method="plain", _verifier="x" * 50)
    code = authorize(psc, params)["code"]
    assert redeem(psc, client, code, "x" * 50).status_code == 200


def test_access_token_audience_when_the_client_configures_one(psc: TestClient) -> None:
    client = register(psc, socle_access_token_audience="https://dmp.example")
    assert claims(psc, login(psc, client)["access_token"])["aud"] == "https://dmp.example"


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_chain(psc: TestClient) -> None:
    client = register(psc)
    first = login(psc, client)
    auth = (client["client_id"], client["client_secret"])
    refreshed = psc.post(
        OIDC + "/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=auth,
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert claims(psc, second["id_token"])["nonce"] == first["_nonce"]
    assert psc.get(OIDC + "/userinfo", headers=bearer(second["access_token"])).status_code == 200

    replay = psc.post(
        OIDC + "/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=auth,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert psc.get(OIDC + "/userinfo", headers=bearer(second["access_token"])).status_code == 401
    again = psc.post(
        OIDC + "/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=auth,
    )
    assert again.json()["error"] == "invalid_grant"


def test_without_scope_all_userinfo_releases_the_identity_only(psc: TestClient) -> None:
    tokens = login(psc, register(psc), scope="openid")
    info = psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).json()
    assert info["SubjectNameID"] == FIRST and info["family_name"] == "MARTIN-SOCLE"
    assert "SubjectRefPro" not in info and "SubjectRole" not in info
