"""What the reference client does in each scenario of the suite: the steps a correct LPS takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from . import cda, dmp, ins, mss, psc
from .config import Config

IMPATIENT_TIMEOUT = 0.5
"""The ``impatient`` mutant gives up on the DMP after half a second and tells the user it failed."""


class Refused(Exception):
    """The software stops on purpose and says why (the right outcome of a negative scenario)."""


class Lps:
    """One logged-in session of the software: the PSC tokens and an HTTP client that sends them."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        headers = {"X-Socle-Run": cfg.run, "User-Agent": "socle-reference-lps/1.0"}
        try:
            self.session, self.oauth, self.meta = psc.login(cfg, headers)
        except psc.LoginRefused as exc:
            raise Refused(str(exc)) from exc
        self.http = httpx.Client(
            headers={**headers, "Authorization": f"Bearer {self.session.access_token}"}, timeout=20
        )

    def close(self) -> None:
        self.http.close()
        self.oauth.close()

    def __enter__(self) -> Lps:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def qualified_identity(self) -> ins.Identity:
        """The patient's INS from INSi; refuses to go on with an identity that is not qualified."""
        identity = ins.find_identity(self.http, self.cfg)
        if identity.status != "QUAL" and not self.cfg.broken("ins-not-qualified"):
            raise Refused(
                f"identity {identity.status}: the INS may only be used once the identity is qualified"
            )
        return identity

    def document(self, replaces: str | None = None) -> cda.Document:
        info = self.session.userinfo
        return cda.consultation_report(
            ins=self.cfg.patient_ins,
            oid=self.cfg.patient_oid,
            birth_name=self.cfg.patient_birth_name,
            first_names=self.cfg.patient_first_names,
            sex=self.cfg.patient_sex,
            birth_date=self.cfg.patient_birth_date,
            author_idnat=self.cfg.professional_idnat,
            author_family=str(info.get("family_name", "")),
            author_given=str(info.get("given_name", "")),
            text="Consultation du jour : examen clinique normal.",
            replaces=replaces,
        )

    def feed(self, identity: ins.Identity, document: cda.Document, replaces: str | None = None) -> str:
        if not self.cfg.broken("no-status-check") and not dmp.dmp_is_open(
            self.http, self.cfg, identity.system
        ):
            raise Refused("the patient has no open DMP")
        structure = str(self.session.userinfo.get("SubjectOrganizationID", ""))
        bundle = dmp.provide_bundle(
            self.cfg, identity.system, document, structure=structure, replaces=replaces
        )
        impatient = self.cfg.broken("impatient")
        return dmp.publish(
            self.http,
            self.cfg,
            bundle,
            retry=not (self.cfg.broken("no-retry") or impatient),
            timeout=IMPATIENT_TIMEOUT if impatient else dmp.TIMEOUT,
            check_before_retry=not impatient,
        )


def psc_login(cfg: Config) -> dict[str, Any]:
    with Lps(cfg) as lps:
        if not cfg.broken("no-logout"):
            psc.logout(lps.oauth, lps.meta, cfg, lps.session)
        return {"idnat": lps.session.userinfo.get("SubjectNameID", "")}


def psc_ciba(cfg: Config) -> dict[str, Any]:
    headers = {"X-Socle-Run": cfg.run, "User-Agent": "socle-reference-lps/1.0"}
    try:
        session, client, _ = psc.ciba_login(cfg, headers)
    except psc.LoginRefused as exc:
        raise Refused(str(exc)) from exc
    client.close()
    return {"idnat": session.userinfo.get("SubjectNameID", "")}


def ins_lookup(cfg: Config) -> dict[str, Any]:
    with Lps(cfg) as lps:
        identity = ins.find_identity(lps.http, cfg)
        return {"ins": identity.ins, "status": identity.status}


def dmp_feed(cfg: Config) -> dict[str, Any]:
    with Lps(cfg) as lps:
        identity = lps.qualified_identity()
        try:
            document_id = lps.feed(identity, lps.document())
        except dmp.DmpUnavailable:
            if cfg.broken("no-retry"):
                return {"document": "sent"}  # the mutant tells the user all went well
            raise
        return {"document": document_id}


def dmp_replace_delete(cfg: Config) -> dict[str, Any]:
    with Lps(cfg) as lps:
        identity = lps.qualified_identity()
        first = lps.document()
        old = lps.feed(identity, first)
        new = lps.feed(identity, lps.document(replaces=first.unique_id), replaces=old)
        if not cfg.broken("no-mask"):
            dmp.mask(lps.http, cfg, new)
        if not cfg.broken("no-delete"):
            dmp.delete(lps.http, cfg, new)
        return {"replaced": old, "deleted": new}


def mss_send(cfg: Config) -> dict[str, Any]:
    with Lps(cfg) as lps:
        lps.qualified_identity()
        message_id = mss.send(lps.http, cfg, lps.document(), lps.session.access_token)
        return {"message_id": message_id}


def parcours(cfg: Config) -> dict[str, Any]:
    """The teaching scenario: Vitale card → INSi → qualified identity → CDA → DMP and MSSanté → history."""
    with Lps(cfg) as lps:
        identity = lps.qualified_identity()
        document = lps.document()
        document_id = lps.feed(identity, document)
        message_id = mss.send(lps.http, cfg, document, lps.session.access_token)
        accesses = dmp.history(lps.http, cfg, identity.system)
        return {"document": document_id, "message_id": message_id, "history": accesses}


SCENARIOS: dict[str, Callable[[Config], dict[str, Any]]] = {
    "psc-login": psc_login,
    "psc-ciba": psc_ciba,
    "ins-lookup": ins_lookup,
    "dmp-feed": dmp_feed,
    "dmp-unqualified": dmp_feed,
    "dmp-unavailable": dmp_feed,
    "dmp-slow": dmp_feed,
    "dmp-replace-delete": dmp_replace_delete,
    "mss-send": mss_send,
    "parcours": parcours,
}


def run_scenario(cfg: Config) -> dict[str, Any]:
    if cfg.scenario.startswith("psc-") and cfg.scenario not in SCENARIOS:
        return psc_login(cfg)  # negative logins: the same steps, PSC answers wrong
    action = SCENARIOS.get(cfg.scenario)
    if action is None:
        raise NotImplementedError(f"the reference client does not know scenario {cfg.scenario!r}")
    return action(cfg)
