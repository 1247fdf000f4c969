"""PSC on PostgreSQL (``SOCLE_TEST_POSTGRES_URL``, see ``.ci/postgres``): two instances share one database
and behave as one provider — the way socle scales past one machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.kernel.bulk import SeedPlan
from services.kernel.settings import Settings
from services.kernel.synthetic import professionals
from services.prosanteconnect import bulk
from tests.support import fresh_postgres_database

from .helpers import OIDC, auth_params, authorize, bearer, login, redeem, register, start

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh database for this test, dropped afterwards."""
    with fresh_postgres_database("psc") as url:
        yield url


def test_two_instances_on_postgresql(tmp_path: Path, database_url: str) -> None:
    settings = Settings(service="prosanteconnect", data_dir=tmp_path, database_url=database_url)
    assert bulk.seed(settings, SeedPlan(professionals=30, seed=4), lambda _n: None) == 30
    someone = list(professionals(30, seed=4))[5]
    with (
        start(tmp_path / "a", auto_login=True, database_url=database_url) as first,
        start(tmp_path / "b", auto_login=True, database_url=database_url) as second,
    ):
        assert first.get(OIDC + "/certs").json() == second.get(OIDC + "/certs").json()
        client = register(first)
        params = auth_params(client, login_hint=someone.idnat)
        code = authorize(first, params)["code"]
        tokens = redeem(second, client, code, params["_verifier"]).json()
        info = first.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).json()
        assert info["SubjectNameID"] == someone.idnat
        assert redeem(first, client, code, params["_verifier"]).json()["error"] == "invalid_grant"
        assert second.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).status_code == 401

        first.post("/auth/realms/esante-wallet/socle/keys/rotate")
        rotated = login(first, client)
        assert second.get(OIDC + "/userinfo", headers=bearer(rotated["access_token"])).status_code == 200
        auth = (client["client_id"], client["client_secret"])
        refreshed = second.post(
            OIDC + "/token",
            data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
            auth=auth,
        )
        assert refreshed.status_code == 200
        replay = first.post(
            OIDC + "/token",
            data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
            auth=auth,
        )
        assert replay.json()["error"] == "invalid_grant"
        assert (
            first.get(OIDC + "/userinfo", headers=bearer(refreshed.json()["access_token"])).status_code == 401
        )
