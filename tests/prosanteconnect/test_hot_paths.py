"""What the fast paths of a login and an introspection must keep: cache invalidation, writes, liveness."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlmodel import update

from services.kernel.db import Database
from services.prosanteconnect import keys as keys_module
from services.prosanteconnect.keys import KeyRing, new_key, store_key, stored_key
from services.prosanteconnect.models import TABLES, PscKey, PscSession
from services.prosanteconnect.store import SESSION_IDLE_SECONDS

from .helpers import ISSUER, OIDC, bearer, introspect, login, register


def test_a_verified_token_is_trusted_until_the_keys_are_loaded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite:///{tmp_path}/k.db", TABLES)
    database.create_tables()
    ring = KeyRing()
    with database.transaction() as session:
        ring.load(session)
    token = ring.sign({"jti": "a", "iss": ISSUER})
    assert ring.verify(token) == {"jti": "a", "iss": ISSUER}

    decoded: list[str] = []
    real_decode = keys_module.jwt.decode

    def counting_decode(value: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(value)
        return real_decode(value, *args, **kwargs)

    monkeypatch.setattr(keys_module.jwt, "decode", counting_decode)
    assert ring.verify(token) == {"jti": "a", "iss": ISSUER} and decoded == []  # checked once only
    assert ring.verify(token[:-4] + "AAAA") is None  # another string is checked (and refused)

    with database.transaction() as session:  # the signing key is withdrawn, a new one replaces it
        session.execute(update(PscKey).values(active=False))
        store_key(session, new_key())
    with database.transaction() as session:
        ring.load(session)
    assert ring.verify(token) is None


def test_introspection_with_a_client_assertion_still_records_its_jti(psc: TestClient) -> None:
    key = RSAKey.generate_key(2048, auto_kid=True)
    resource = register(
        psc, token_endpoint_auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]}
    )
    tokens = login(psc, register(psc))
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "RS256", "kid": key.kid},
        {
            "iss": resource["client_id"],
            "sub": resource["client_id"],
            "aud": ISSUER + "/protocol/openid-connect/token/introspect",
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(12),
        },
        key,
    )
    form = {
        "token": tokens["access_token"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    first = psc.post(OIDC + "/token/introspect", data=form)
    assert first.status_code == 200 and first.json()["active"] is True
    replay = psc.post(OIDC + "/token/introspect", data=form)
    assert replay.json()["error"] == "invalid_client"


def test_a_token_of_an_idle_session_is_dead_for_introspection_and_userinfo(psc: TestClient) -> None:
    client, resource = register(psc), register(psc)
    tokens = login(psc, client)
    assert introspect(psc, resource, tokens["access_token"])["active"] is True
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
    sid = introspect(psc, resource, tokens["access_token"])["sid"]
    database: Database = psc.app.state.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        idle_since = time.time() - SESSION_IDLE_SECONDS - 1
        session.execute(update(PscSession).where(PscSession.sid == sid).values(last_seen=idle_since))
    assert introspect(psc, resource, tokens["access_token"]) == {"active": False}
    assert psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


def test_a_stored_key_comes_back_whole_and_signs_what_its_public_half_verifies() -> None:
    original = new_key()
    restored = stored_key(json.loads(json.dumps(original.as_dict(private=True))))
    assert restored.as_dict(private=True) == original.as_dict(private=True)
    assert restored.kid == original.kid and restored.alg == "RS256"
    token = jwt.encode({"alg": "RS256", "kid": restored.kid}, {"sub": "x"}, restored)
    public = RSAKey.import_key(original.as_dict(private=False))
    assert jwt.decode(token, public, algorithms=["RS256"]).claims == {"sub": "x"}
