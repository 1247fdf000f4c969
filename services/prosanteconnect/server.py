"""The bridge between Starlette and authlib's (synchronous) authorization server.

Routes read the body in the async handler, wrap it in a :class:`PscRequest`, and hand the sync authlib
call to :meth:`Provider.run`, which executes it on a worker thread inside one database transaction:
every row a request writes (code, token, revocation) commits together or not at all (a read that writes
nothing runs without one, on the event loop with SQLite). authlib returns ``(status, body, headers)``;
:class:`OAuthResult` carries that back to the route.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import JsonPayload, JsonRequest, OAuth2Payload, OAuth2Request
from sqlalchemy import Connection
from sqlmodel import Session
from starlette.datastructures import Headers

from services.kernel.db import Database, off_loop
from services.kernel.errors import OAuthError
from services.kernel.fixtures import Fixtures
from services.kernel.settings import Settings

from .clients import SCOPES, Client
from .identity import Subject, bulk_professional, userinfo
from .issuance import Issuer, Names
from .keys import KeyRing
from .store import get_bulk_professional, get_client, save_token

T = TypeVar("T")


class Unit:
    """The database work of one provider call: its Core connection and, made on first use, an ORM session
    joined to the same transaction.

    The hot statements (client, code, token, session reads and inserts) are Core statements on the
    connection: a login then builds no session at all. The rarer paths (CIBA, pushes, logout, refresh,
    keys) keep their ORM objects through :func:`db`.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.clients: dict[str, Client | None] = {}
        """Clients read in this unit: authlib asks for the same one several times per request."""
        self.after_commit: list[Callable[[], None]] = []
        """Work for once the unit has committed (signing what it issued), outside the write lock."""
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self.connection, expire_on_commit=False)
        return self._session

    def core(self) -> Connection:
        """The connection, once the session's pending rows are written (a statement sees them)."""
        if self._session is not None:
            self._session.flush()
        return self.connection

    def close(self, *, flush: bool) -> None:
        """Write what the session still holds (``flush``: the unit is about to commit), then drop it."""
        if self._session is not None:
            try:
                if flush:
                    self._session.flush()
            finally:
                self._session.close()


_unit: ContextVar[Unit] = ContextVar("psc_unit")


def db() -> Session:
    """The ORM session of the transaction the current authlib call runs in."""
    return _unit.get().session


def conn() -> Connection:
    """The connection of the transaction the current authlib call runs in, for Core statements."""
    return _unit.get().core()


class _Payload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: dict[str, list[str]] = {}
        for key, value in pairs:
            self._data.setdefault(key, value)
            self._datalist.setdefault(key, []).append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:  # type: ignore[override]
        return self._datalist


class PscRequest(OAuth2Request):
    """An authlib request built from what the async route already read.

    ``OAuth2Request.__init__`` refuses plain ``http`` URIs; socle serves plain HTTP on localhost on
    purpose (TLS is the deployment's business), so the attributes are set here instead.
    """

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Headers,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload(query + form)
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class PscJsonRequest(JsonRequest):
    def __init__(self, method: str, uri: str, headers: Headers, data: dict[str, Any]) -> None:
        super().__init__(method, uri, headers)
        self.payload = _JsonPayload(data)


@dataclass
class OAuthResult:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


class PscServer(AuthorizationServer):
    def __init__(self, provider: Provider) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.provider = provider

    def query_client(self, client_id: str) -> Client | None:
        """The client, read once per transaction (authlib asks several times per request)."""
        cache = _unit.get().clients
        if client_id not in cache:
            cache[client_id] = get_client(conn(), client_id=client_id)
        return cache[client_id]

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to do: :meth:`Provider.issue` stores each token's row in the transaction that issues it."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request  # type: ignore[no-any-return]

    def create_json_request(self, request: Any) -> JsonRequest:
        return request  # type: ignore[no-any-return]

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> OAuthResult:
        return OAuthResult(status, body, list(headers))

    def handle_error_response(self, request: OAuth2Request, error: Any) -> OAuthResult:
        result: OAuthResult = self.handle_response(*error(self.get_error_uri(request, error)))
        location = result.location
        if location:  # RFC 9207: error redirects carry the issuer too
            result.headers = [
                ("Location", add_params_to_uri(location, [("iss", self.provider.issuer.issuer)]))
            ]
        return result

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners: every effect is a database row written by the grant itself."""


def _answerable(work: Callable[[], T]) -> T:
    """``work()``; authlib refuses to build an error whose description would echo characters RFC 6749 §5.2
    forbids (it echoes some parameters): that becomes an answer to the client, and everything rolls back."""
    try:
        return work()
    except ValueError as exc:
        if "forbidden characters" not in str(exc):
            raise
        raise OAuthError("invalid_request", "a parameter holds characters OAuth 2.0 does not allow") from exc


class Provider:
    """Everything the grants and endpoints share: settings, test data, keys, the database."""

    def __init__(self, settings: Settings, fixtures: Fixtures, database: Database, keys: KeyRing) -> None:
        self.settings = settings
        self.fixtures = fixtures
        self.database = database
        self.keys = keys
        self.issuer = Issuer(settings.psc_issuer, keys)
        self.server = PscServer(self)
        self.registration: Any = None
        """The RFC 7591 endpoint (set by ``endpoints.install``)."""
        self.authorization_url: str | None = getattr(settings, "psc_authorization_url", None)
        """Advertised authorization endpoint when a front serves it (``SOCLE_PSC_AUTHORIZATION_URL``)."""

    async def run(self, work: Callable[[], T], *, write: bool = True) -> T:
        """Run an authlib call in one write transaction on a worker thread, or as a read without snapshot
        (the provider's reads look rows up by key, one statement per fact): on SQLite such a read runs
        on the event loop, shorter than the hop to a thread (as the INS's hot reads)."""

        def in_unit(connection: Connection) -> tuple[T, Unit]:
            unit = Unit(connection)
            token = _unit.set(unit)
            try:
                result = _answerable(work)
            except BaseException:
                unit.close(flush=False)
                raise
            finally:
                _unit.reset(token)
            unit.close(flush=write)
            return result, unit

        def committed(result: T, unit: Unit) -> T:
            for task in unit.after_commit:
                task()
            return result

        def in_transaction() -> T:
            with self.database.connection_transaction() as connection:
                result, unit = in_unit(connection)
            return committed(result, unit)

        def in_reader() -> T:
            with self.database.connection_reader(snapshot=False) as connection:
                result, unit = in_unit(connection)
            return committed(result, unit)

        if write:
            return await off_loop(in_transaction)
        if self.database.is_sqlite:
            return in_reader()
        return await off_loop(in_reader)

    async def read(self, work: Callable[[], T]) -> T:
        """Run ``work`` as a read: no write lock, nothing to commit, no snapshot to open."""
        return await self.run(work, write=False)

    def profile(self, subject: Subject) -> dict[str, Any] | None:
        """The userinfo body of a subject, from the fixed test data or the bulk professionals."""
        professional = self.fixtures.professional(subject.idnat)
        if professional is not None:
            return userinfo(professional, self.fixtures, auth_mode=subject.auth_mode)
        bulk = get_bulk_professional(db(), idnat=subject.idnat)
        if bulk is None:
            return None
        return userinfo(bulk_professional(bulk), self.fixtures, auth_mode=subject.auth_mode)

    def known(self, idnat: str) -> bool:
        return (
            self.fixtures.professional(idnat) is not None
            or get_bulk_professional(db(), idnat=idnat) is not None
        )

    def names(self, subject: Subject) -> Names:
        info = self.profile(subject) or {}
        return Names(info.get("given_name", ""), info.get("family_name", ""))

    def issue(
        self,
        *,
        client: Client,
        subject: Subject,
        scope: str,
        nonce: str = "",
        code: str | None = None,
        family: str | None = None,
        include_refresh: bool = True,
    ) -> dict[str, Any]:
        """A token set: its row stored in the current transaction, its tokens signed once that commits."""
        response, row, sign = self.issuer.token_set(
            client=client,
            subject=subject,
            names=self.names(subject),
            scope=scope,
            nonce=nonce,
            code=code,
            family=family,
            include_refresh=include_refresh,
        )
        save_token(conn(), values=row)
        _unit.get().after_commit.append(sign)
        return response
