"""How fast the directory answers with N bulk professionals: ``python -m tests.annuaire.bench_lookup N DIR``.

Seeds DIR with N professionals (the same ones again if already there), then times, in process (no sockets, so the figures
are the service's own): the exact ``mailbox-mss`` lookup MSSanté makes for every recipient, an
idNat lookup, a name prefix search and a ``:contains`` scan. Not a test: figures, not assertions.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx

from services.annuaire import bulk
from services.annuaire.app import create_app
from services.annuaire.practitioners import synthetic_mailbox
from services.kernel.bulk import SeedPlan
from services.kernel.settings import Settings
from services.kernel.synthetic import professionals

HEADERS = {"ESANTE-API-KEY": "bench"}


async def timed(client: httpx.AsyncClient, label: str, urls: list[str]) -> None:
    start = time.perf_counter()
    for url in urls:
        response = await client.get(url)
        response.raise_for_status()
    elapsed = time.perf_counter() - start
    print(f"{label:<40} {len(urls) / elapsed:8.0f} req/s  {elapsed / len(urls) * 1000:7.2f} ms")


async def main(count: int, data_dir: Path) -> None:
    settings = Settings(service="annuaire", data_dir=data_dir)
    started = time.perf_counter()
    stored = bulk.seed(settings, SeedPlan(professionals=count), lambda _: None)
    print(f"seeded {stored} resources in {time.perf_counter() - started:.1f} s")
    people = list(professionals(count))[-200:]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=HEADERS) as client:
            base = "/fhir/v2/Practitioner"
            mailboxes = [synthetic_mailbox(p, settings.mss_domain) for p in people]
            await timed(
                client, "Practitioner?mailbox-mss=<address>", [f"{base}?mailbox-mss={m}" for m in mailboxes]
            )
            await timed(
                client,
                "PractitionerRole?mailbox-mss=<address>",
                [f"{base}Role?mailbox-mss={m}" for m in mailboxes],
            )
            idnats = [f"{base}?identifier=urn:oid:1.2.250.1.71.4.2.1|{p.idnat}" for p in people]
            await timed(client, "Practitioner?identifier=<idNat>", idnats)
            await timed(
                client,
                "Practitioner?family=<3 letters>",
                [f"{base}?family={p.family_name[:3]}" for p in people[:50]],
            )
            await timed(
                client,
                "Practitioner?mailbox-mss:contains=<domain>",
                [f"{base}?mailbox-mss:contains=socle"] * 3,
            )


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
            Path(sys.argv[2] if len(sys.argv) > 2 else ".socle-bench"),
        )
    )
