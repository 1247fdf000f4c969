"""What the status page lists: the URLs a vendor pastes into its software, built from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.kernel.settings import SERVICE_PREFIXES, Settings

SERVICE_LABELS = {
    "prosanteconnect": "Pro Santé Connect",
    "annuaire": "Annuaire Santé",
    "ins": "INS / INSi",
    "dmp": "DMP",
    "mssante": "MSSanté",
}


@dataclass(frozen=True)
class Endpoint:
    label: str
    value: str
    note: str = ""


def endpoints(settings: Settings) -> list[Endpoint]:
    """The contract's URL table for this stack (README of the spec, "URLs in one-process mode")."""
    root, issuer = settings.root_url, settings.psc_issuer
    oidc = f"{issuer}/protocol/openid-connect"

    def at(service: str, path: str) -> str:
        return f"{root}{SERVICE_PREFIXES[service]}{path}"

    return [
        Endpoint("PSC issuer", issuer, "OIDC issuer (iss) of every token"),
        Endpoint("PSC discovery", f"{issuer}/.well-known/openid-configuration"),
        Endpoint("PSC wallet discovery", f"{issuer}/.well-known/wallet-openid-configuration"),
        Endpoint("PSC authorization", f"{oidc}/auth"),
        Endpoint("PSC token", f"{oidc}/token"),
        Endpoint("PSC userinfo", f"{oidc}/userinfo"),
        Endpoint("PSC CIBA (e-CPS)", f"{oidc}/ext/ciba/auth"),
        Endpoint("PSC JWKS", f"{oidc}/certs"),
        Endpoint("Annuaire Santé FHIR", at("annuaire", "/fhir/v2"), "header ESANTE-API-KEY"),
        Endpoint("INS FHIR", at("ins", "/fhir")),
        Endpoint("INSi SOAP (WSDL)", at("ins", "/insi?wsdl")),
        Endpoint("DMP FHIR (MHD / PDSm)", at("dmp", "/fhir")),
        Endpoint("MSSanté API", at("mssante", "/api")),
        Endpoint("MSSanté SMTP", f"{settings.host}:{settings.smtp_port}", "STARTTLS"),
        Endpoint("MSSanté IMAP", f"{settings.host}:{settings.imap_port}", "STARTTLS"),
        Endpoint("Traffic record (JSON)", f"{root}/_sim/traffic"),
        Endpoint("Test data (JSON)", f"{root}/_sim/fixtures"),
    ]


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    label: str
    status: str
    components: list[tuple[str, dict[str, Any]]]


def service_health(body: dict[str, Any]) -> list[ServiceHealth]:
    """Each service of ``/_sim/health`` with its components, in the contract's order."""
    services = body.get("services", {})
    order = [name for name in SERVICE_LABELS if name in services] + sorted(
        name for name in services if name not in SERVICE_LABELS
    )
    return [
        ServiceHealth(
            name=name,
            label=SERVICE_LABELS.get(name, name),
            status=services[name].get("status", "unknown"),
            components=sorted(services[name].get("components", {}).items()),
        )
        for name in order
    ]


def test_ca_url(settings: Settings) -> str:
    """The CA that signs MSSanté's SMTP/IMAP server certificate (published by the MSSanté service)."""
    return f"{settings.root_url}{SERVICE_PREFIXES['mssante']}/api/ca.pem"
