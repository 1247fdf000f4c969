"""What the fast paths of a login and an introspection must keep: cache invalidation, writes, liveness."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlmodel import update

from services.kernel.db import Database
from services.kernel.fixtures import build_fixtures
from services.kernel.settings import Settings
from services.prosanteconnect import keys as keys_module
from services.prosanteconnect.clients import Client
from services.prosanteconnect.identity import Subject
from services.prosanteconnect.keys import KeyRing, new_key, store_key, stored_key
from services.prosanteconnect.models import TABLES, PscKey, PscSession
from services.prosanteconnect.server import Provider, conn, db
from services.prosanteconnect.store import (
    SESSION_IDLE_SECONDS,
    open_session,
    session_is_live,
    token_with_session,
)

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


def test_a_provider_unit_joins_orm_and_core_work_in_one_transaction(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/u.db", TABLES)
    database.create_tables()
    settings = Settings(service="prosanteconnect", data_dir=tmp_path)
    provider = Provider(settings, build_fixtures(settings), database, KeyRing())

    def session_row(sid: str) -> PscSession:
        return PscSession(
            sid=sid, idnat="899700000001", auth_mode="CARD", auth_time=int(time.time()), last_seen=time.time()
        )

    def orm_then_core() -> bool:
        db().add(session_row("orm"))  # pending in the session: the Core read must still see it
        return session_is_live(conn(), sid="orm")

    assert asyncio.run(provider.run(orm_then_core))

    def core_then_orm_then_failure() -> None:
        open_session(conn(), sid="core", idnat="899700000001", auth_mode="CARD")
        db().add(session_row("orm-too"))
        db().flush()
        raise RuntimeError("bad input")

    with pytest.raises(RuntimeError):
        asyncio.run(provider.run(core_then_orm_then_failure))

    def unflushed_orm_write() -> None:
        db().add(session_row("last"))  # flushed only when the unit commits

    asyncio.run(provider.run(unflushed_orm_write))
    alive = asyncio.run(
        provider.read(lambda: [session_is_live(conn(), sid=s) for s in ("orm", "core", "orm-too", "last")])
    )
    database.dispose()
    assert alive == [True, False, False, True]


def test_issued_tokens_are_signed_after_their_row_commits_outside_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite:///{tmp_path}/s.db", TABLES)
    database.create_tables()
    settings = Settings(service="prosanteconnect", data_dir=tmp_path)
    ring = KeyRing()
    with database.transaction() as session:
        ring.load(session)
    provider = Provider(settings, build_fixtures(settings), database, ring)
    client = Client("rp", "secret", {"redirect_uris": ["http://rp/cb"]})
    subject = Subject("899700000001", "sid-1", "CARD", int(time.time()))
    real_sign = ring.sign
    lock_free: list[bool] = []

    def watching_sign(claims: dict[str, Any], **kwargs: Any) -> str:
        writing = database._writing
        assert writing is not None

        def probe() -> None:  # another thread: could a writer take the lock now?
            if writing.acquire(timeout=0):
                writing.release()
                lock_free.append(True)
            else:
                lock_free.append(False)

        prober = threading.Thread(target=probe)
        prober.start()
        prober.join()
        return real_sign(claims, **kwargs)

    monkeypatch.setattr(ring, "sign", watching_sign)

    def issue_then_fail() -> None:
        provider.issue(client=client, subject=subject, scope="openid")
        raise RuntimeError("bad input")

    with pytest.raises(RuntimeError):
        asyncio.run(provider.run(issue_then_fail))
    assert lock_free == []  # nothing signed for a token whose row rolled back

    response = asyncio.run(
        provider.run(lambda: provider.issue(client=client, subject=subject, scope="openid"))
    )
    assert lock_free == [True, True]  # access and ID token, each signed with the writers' lock free
    claims = ring.verify(response["access_token"])
    assert claims is not None
    stored = asyncio.run(provider.read(lambda: token_with_session(conn(), jti=str(claims["jti"]))))
    database.dispose()
    assert stored is not None and next(iter(response)) == "access_token" and "id_token" in response
