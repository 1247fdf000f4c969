"""The FHIR API of the directory at ``/fhir/v2``: metadata, read, search (GET and POST ``_search``).

Handlers parse, call the store through the database, and wrap the answer; every rule lives in
``search``, ``pages``, ``access`` and ``store``. Writes are not part of the public API: PUT, PATCH,
DELETE and create get 405 from the router, as from the live gateway.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData

from services.kernel.errors import BadRequest, NotFound
from services.kernel.fhir import FhirResponse
from services.kernel.peers import INTERNAL_HEADER
from services.kernel.traffic import annotate

from .access import API_KEY_HEADER, check_api_key
from .bundles import searchset
from .capability import capability
from .pages import Page, next_page, read_page
from .parameters import RESOURCE_TYPES
from .search import Search, parse_search
from .store import read_resource, search_resources

FORM = "application/x-www-form-urlencoded"


def require_api_key(request: Request) -> str:
    runtime = request.app.state.runtime
    internal = request.headers.get(INTERNAL_HEADER) == runtime.internal_token
    caller = check_api_key(
        request.headers.get(API_KEY_HEADER),
        allowed=request.app.state.settings.annuaire_api_keys,
        internal=internal,
    )
    annotate(request, client_id=caller)
    return caller


router = APIRouter(prefix="/fhir/v2", dependencies=[Depends(require_api_key)])


def _fhir_base(request: Request) -> str:
    return request.app.state.settings.base_url + "/fhir/v2"


def _known(resource_type: str) -> str:
    if resource_type not in RESOURCE_TYPES:
        raise NotFound(
            f"HAPI-0302: Unknown resource type '{resource_type}' - Server knows how to handle: "
            f"[{', '.join(RESOURCE_TYPES)}]",
            fhir_code="not-supported",
        )
    return resource_type


async def _answer(request: Request, search: Search, *, after: str | None, self_url: str) -> FhirResponse:
    database = request.app.state.database
    found = await database.read(
        lambda session: search_resources(
            session=session, search=search, after=after, first_page=after is None
        )
    )
    next_url = None
    if found.more and found.matches:
        getpages, page_id = next_page(Page(search.resource_type, search.query, found.matches[-1]["id"]))
        next_url = f"{_fhir_base(request)}?{urlencode({'_getpages': getpages, '_pageId': page_id})}"
    bundle = searchset(
        base_url=_fhir_base(request),
        matches=found.matches,
        included=found.included,
        total=found.total,
        self_url=self_url,
        next_url=next_url,
        elements=search.elements,
    )
    return FhirResponse(bundle)


@router.get("/metadata")
async def metadata(request: Request) -> FhirResponse:
    return FhirResponse(capability(_fhir_base(request)))


@router.get("")
@router.get("/", include_in_schema=False)
async def get_page(request: Request) -> FhirResponse:
    """A next page (``_getpages`` + ``_pageId``), the only search the server base answers."""
    getpages, page_id = request.query_params.get("_getpages"), request.query_params.get("_pageId")
    if not getpages or not page_id:
        raise BadRequest("the server base only answers next-page links (_getpages and _pageId)")
    page = read_page(getpages, page_id)
    search = parse_search(page.resource_type, list(page.query))
    self_url = f"{_fhir_base(request)}?{request.url.query}"
    return await _answer(request, search, after=page.after, self_url=self_url)


@router.get("/{resource_type}")
async def search_type(request: Request, resource_type: str) -> FhirResponse:
    items = list(request.query_params.multi_items())
    search = parse_search(_known(resource_type), items)
    self_url = f"{_fhir_base(request)}/{resource_type}" + (f"?{urlencode(items)}" if items else "")
    return await _answer(request, search, after=None, self_url=self_url)


@router.post("/{resource_type}/_search")
async def search_post(request: Request, resource_type: str) -> FhirResponse:
    _known(resource_type)
    content_type = request.headers.get("content-type", FORM).split(";", 1)[0].strip().lower()
    if content_type != FORM:
        raise BadRequest(f"_search takes {FORM}, not {content_type!r}", fhir_code="not-supported", status=415)
    form: FormData = await request.form()
    items: list[tuple[str, Any]] = [*request.query_params.multi_items(), *form.multi_items()]
    pairs = [(key, str(value)) for key, value in items]
    search = parse_search(resource_type, pairs)
    self_url = f"{_fhir_base(request)}/{resource_type}" + (f"?{urlencode(pairs)}" if pairs else "")
    return await _answer(request, search, after=None, self_url=self_url)


@router.get("/{resource_type}/{resource_id}")
async def read(request: Request, resource_type: str, resource_id: str) -> FhirResponse:
    _known(resource_type)
    resource = await request.app.state.database.read(
        lambda session: read_resource(session=session, resource_type=resource_type, resource_id=resource_id)
    )
    if resource is None:
        raise NotFound(f"HAPI-2001: Resource {resource_type}/{resource_id} is not known")
    return FhirResponse(resource)
