"""Which mailboxes the operator hosts: seeded from the fixtures, then confirmed with the directory.

A recipient or a login address is accepted only when the Annuaire lists it (professionals and
structures) or INS holds it qualified (patients); the local box is created the first time it is
used, so bulk professionals added by ``socle seed`` work without any MSSanté seeding of their own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from services.kernel.db import Database
from services.kernel.fixtures import Fixtures

from . import store
from .addresses import BadAddress, MssAddress, in_trust_space, patient_ins
from .directory import Directory, DirectoryUnavailable
from .models import KIND_PATIENT, Mailbox
from .settings import MssSettings


@dataclass(frozen=True)
class BoxSpec:
    address: str
    kind: str
    owner: str
    members: tuple[str, ...]
    display_name: str


def fixture_boxes(fixtures: Fixtures) -> list[BoxSpec]:
    """The boxes of the fixed test data: each professional's, each structure's, each patient's."""
    staff: dict[str, list[str]] = {}
    for professional in fixtures.professionals:
        for activity in professional.activities:
            staff.setdefault(activity.organisation, []).append(professional.idnat)
    boxes = [
        BoxSpec(p.mailbox, "PER", p.idnat, (p.idnat,), f"{p.given_name} {p.family_name}")
        for p in fixtures.professionals
    ]
    boxes += [
        BoxSpec(o.mailbox, "ORG", o.technical_id, tuple(staff.get(o.key, ())), o.name)
        for o in fixtures.organisations
    ]
    boxes += [
        BoxSpec(p.mailbox, KIND_PATIENT, p.ins, (), f"{p.first_name} {p.birth_name}")
        for p in fixtures.patients
        if p.identity_status == "QUAL"
    ]
    return boxes


def seed(database: Database, boxes: list[BoxSpec]) -> None:
    with database.transaction() as session:
        for box in boxes:
            store.ensure_mailbox(
                session,
                address=box.address,
                kind=box.kind,
                owner=box.owner,
                members=box.members,
                display_name=box.display_name,
            )


BOX_CACHE_SECONDS = 30.0


class Rejected(Exception):
    """An address the operator will not serve, with the SMTP reply that says why."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class Resolver:
    def __init__(self, settings: MssSettings, database: Database, peers: Any) -> None:
        self.settings = settings
        self.database = database
        self.directory = Directory(peers)
        self._boxes: dict[str, tuple[float, Mailbox]] = {}
        """Boxes resolved lately: a submission names its sender and recipients several times (MAIL,
        RCPT, DATA); delivery re-reads each box inside its transaction, so a remembered one is safe."""

    async def resolve(self, address: MssAddress) -> Mailbox:
        """The hosted box of ``address``, or :class:`Rejected` with the RFC 5321/3463 reply."""
        if not in_trust_space(address, self.settings.trust_domains):
            raise Rejected(f"550 5.7.1 <{address.address}>: domain outside the MSSanté trust space")
        try:
            ins = patient_ins(address, self.settings.mss_patient_domain)
            spec = await (self._patient(address, ins) if ins else self._listed(address))
        except BadAddress as exc:
            raise Rejected(f"553 5.1.3 {exc}") from exc
        except DirectoryUnavailable as exc:
            raise Rejected(f"451 4.4.3 directory unavailable, try again later ({exc})") from exc
        known = self._boxes.get(spec.address)
        if (
            known
            and time.monotonic() - known[0] < BOX_CACHE_SECONDS
            and set(spec.members) <= set(known[1].members)
        ):
            return known[1]
        existing = await self.database.read(lambda session: store.mailbox(session, address=spec.address))
        if existing is None or not set(spec.members) <= set(existing.members):
            existing = await self._ensure(spec)
        self._boxes[spec.address] = (time.monotonic(), existing)
        return existing

    def forget(self) -> None:
        """Drop remembered boxes (after ``/_sim/reset``)."""
        self._boxes.clear()

    async def _ensure(self, spec: BoxSpec) -> Mailbox:
        return await self.database.write(
            lambda session: store.ensure_mailbox(
                session,
                address=spec.address,
                kind=spec.kind,
                owner=spec.owner,
                members=spec.members,
                display_name=spec.display_name,
            )
        )

    async def _patient(self, address: MssAddress, ins: str) -> BoxSpec:
        identity = await self.directory.patient(ins)
        if identity is None:
            raise Rejected(f"550 5.1.1 <{address.address}>: no such INS known to the INS service")
        if not identity.qualified:
            raise Rejected(
                f"550 5.7.1 <{address.address}>: the patient's identity is not qualified ({identity.status})"
            )
        return BoxSpec(address.address, KIND_PATIENT, ins, (), identity.display_name)

    async def _listed(self, address: MssAddress) -> BoxSpec:
        listing = await self.directory.mailbox(address.address)
        if listing is None:
            raise Rejected(f"550 5.1.1 <{address.address}>: mailbox not listed in the Annuaire Santé")
        members = (listing.owner,) if listing.kind in ("PER", "CAB") and listing.owner else ()
        return BoxSpec(address.address, listing.kind, listing.owner, members, listing.display_name)
