"""What the reference client is told by the suite: the ``CONFORMANCE_*`` environment of a scenario."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    scenario: str
    run: str
    issuer: str
    ins_url: str
    dmp_url: str
    mss_url: str
    annuaire_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str
    professional_idnat: str
    professional_mailbox: str
    patient_ins: str
    patient_oid: str
    patient_birth_name: str
    patient_first_names: str
    patient_sex: str
    patient_birth_date: str
    patient_birth_place: str
    patient_mailbox: str
    recipient_mailbox: str
    nil: str
    smtp_host: str
    smtp_port: int
    result_file: str
    mutant: str = ""

    def broken(self, behaviour: str) -> bool:
        """Whether this run is the mutant that breaks ``behaviour``."""
        return self.mutant == behaviour

    @classmethod
    def from_env(cls, mutant: str = "") -> Config:
        env = os.environ

        def get(name: str, default: str = "") -> str:
            return env.get(f"CONFORMANCE_{name}", default)

        return cls(
            scenario=get("SCENARIO"),
            run=get("RUN"),
            issuer=get("PSC_ISSUER"),
            ins_url=get("INS_URL"),
            dmp_url=get("DMP_URL"),
            mss_url=get("MSS_URL"),
            annuaire_url=get("ANNUAIRE_URL"),
            client_id=get("CLIENT_ID"),
            client_secret=get("CLIENT_SECRET"),
            redirect_uri=get("REDIRECT_URI"),
            post_logout_redirect_uri=get("POST_LOGOUT_REDIRECT_URI"),
            professional_idnat=get("PROFESSIONAL_IDNAT"),
            professional_mailbox=get("PROFESSIONAL_MAILBOX"),
            patient_ins=get("PATIENT_INS"),
            patient_oid=get("PATIENT_OID"),
            patient_birth_name=get("PATIENT_BIRTH_NAME"),
            patient_first_names=get("PATIENT_FIRST_NAMES"),
            patient_sex=get("PATIENT_SEX"),
            patient_birth_date=get("PATIENT_BIRTH_DATE"),
            patient_birth_place=get("PATIENT_BIRTH_PLACE"),
            patient_mailbox=get("PATIENT_MAILBOX"),
            recipient_mailbox=get("RECIPIENT_MAILBOX"),
            nil=get("MSS_NIL"),
            smtp_host=get("SMTP_HOST", "127.0.0.1"),
            smtp_port=int(get("SMTP_PORT", "2525")),
            result_file=get("RESULT_FILE"),
            mutant=mutant,
        )
