"""The cross-service flows, driven as a vendor would: authlib's OAuth client, FHIR over httpx, smtplib, imaplib.

Every step takes the base URL of the instance it must hit, so a test can send the authorization request
to one PSC instance and the code to the other, publish at one DMP and search at the other, submit by
SMTP to one MSSanté and read by IMAP from the other. Nothing here knows how the stack is deployed.
"""

from __future__ import annotations

import email
import imaplib
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.httpx_client import OAuth2Client

from services.kernel.settings import PSC_REALM_PATH

OIDC = PSC_REALM_PATH + "/protocol/openid-connect"
INS_NIR_TEST = "urn:oid:1.2.250.1.213.1.4.10"
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
IDENTITY_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
TIMEOUT = 30


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    client_secret: str
    redirect_uri: str


def fixtures(base: str) -> dict[str, Any]:
    response = httpx.get(base + "/_sim/fixtures", timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class People:
    """Who the flows act as: the demo client, two professionals with mailboxes, the reference patient."""

    client: DemoClient
    doctor: dict[str, Any]
    colleague: dict[str, Any]
    patient: str


def people(public_url: str) -> People:
    data = fixtures(public_url)
    doctor, colleague = data["professionals"][:2]
    return People(demo_client(data), doctor, colleague, data["anchors"]["reference_patient"])


def demo_client(data: dict[str, Any]) -> DemoClient:
    client = next(c for c in data["clients"] if c["client_id"] == "socle-demo")
    return DemoClient(client["client_id"], client["client_secret"], client["redirect_uris"][0])


def oauth_client(client: DemoClient) -> OAuth2Client:
    return OAuth2Client(
        client.client_id,
        client.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uri=client.redirect_uri,
        scope="openid scope_all",
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )


@dataclass
class Authorization:
    """An authorization code obtained at one PSC instance, with the PKCE verifier that redeems it."""

    code: str
    verifier: str


def authorize(psc: str, client: DemoClient, idnat: str) -> Authorization:
    """The authorization request (auto-login: PSC logs ``idnat`` in and redirects at once)."""
    verifier = secrets.token_urlsafe(48)
    with oauth_client(client) as oauth:
        url, state = oauth.create_authorization_url(
            psc + OIDC + "/auth",
            code_verifier=verifier,
            nonce=secrets.token_hex(32),
            acr_values="eidas1",
            login_hint=idnat,
        )
    response = httpx.get(url, follow_redirects=False, timeout=TIMEOUT)
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    assert location.startswith(client.redirect_uri), location
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state], query
    return Authorization(query["code"][0], verifier)


def redeem(psc: str, client: DemoClient, authorization: Authorization) -> httpx.Response:
    """The token request for a code, answered as is (a refused code is a 400 to look at)."""
    data = {
        "grant_type": "authorization_code",
        "code": authorization.code,
        "redirect_uri": client.redirect_uri,
        "code_verifier": authorization.verifier,
    }
    return _token_request(psc, client, data)


def refresh(psc: str, client: DemoClient, refresh_token: str) -> httpx.Response:
    return _token_request(psc, client, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def _token_request(psc: str, client: DemoClient, data: dict[str, str]) -> httpx.Response:
    """A token request with ``client_secret_basic``, the response returned as is."""
    auth = (client.client_id, client.client_secret)
    return httpx.post(psc + OIDC + "/token", data=data, auth=auth, timeout=TIMEOUT)


def login(psc: str, client: DemoClient, idnat: str) -> dict[str, Any]:
    response = redeem(psc, client, authorize(psc, client, idnat))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ins_identity_status(ins: str, token: str, ins_value: str) -> str:
    """Search INS for one INS and return the identity status of the single match."""
    response = httpx.get(
        ins + "/fhir/Patient", params={"identifier": ins_value}, headers=bearer(token), timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    patients = [e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Patient"]
    assert len(patients) == 1, bundle
    reliability = next(x for x in patients[0]["extension"] if x["url"] == IDENTITY_RELIABILITY)
    status = next(x for x in reliability["extension"] if x["url"] == "identityStatus")
    return str(status["valueCoding"]["code"])


def publish(dmp: str, token: str, bundle: dict[str, Any]) -> httpx.Response:
    """ITI-65 Provide Document Bundle: a transaction Bundle posted to the FHIR base."""
    headers = bearer(token) | {"Content-Type": "application/fhir+json"}
    return httpx.post(dmp + "/fhir", json=bundle, headers=headers, timeout=TIMEOUT)


def find_documents(dmp: str, token: str, ins_value: str) -> list[str]:
    """ITI-67 Find Document References for a patient; the documents' unique ids (masterIdentifier)."""
    params = {"patient.identifier": f"{INS_NIR}|{ins_value}", "status": "current"}
    response = httpx.get(
        dmp + "/fhir/DocumentReference", params=params, headers=bearer(token), timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    resources = [e["resource"] for e in response.json().get("entry", [])]
    return [r["masterIdentifier"]["value"] for r in resources if r["resourceType"] == "DocumentReference"]


def unique_id(bundle: dict[str, Any]) -> str:
    document = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference"
    )
    return str(document["masterIdentifier"]["value"])


def send_mail(host: str, port: int, token: str, sender: str, recipient: str, subject: str) -> str:
    """Submit a message by SMTP (STARTTLS, XOAUTH2 with the PSC token); returns its Message-ID."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.split("@", 1)[1])
    message.set_content(f"{subject}\n\nCompte rendu de test (données synthétiques).\n")
    blob = f"user={sender}\x01auth=Bearer {token}\x01\x01"
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
        smtp.starttls(context=_insecure_tls())
        smtp.ehlo()
        smtp.auth("XOAUTH2", lambda challenge=None: blob)
        smtp.send_message(message)
    return str(message["Message-ID"])


def fetch_subjects(host: str, port: int, token: str, address: str) -> list[str]:
    """Log in by IMAP (STARTTLS, XOAUTH2) and return the subjects in INBOX."""
    blob = f"user={address}\x01auth=Bearer {token}\x01\x01".encode()
    with imaplib.IMAP4(host, port, timeout=TIMEOUT) as imap:
        imap.starttls(ssl_context=_insecure_tls())
        imap.authenticate("XOAUTH2", lambda _challenge: blob)
        status, _ = imap.select("INBOX", readonly=True)
        assert status == "OK"
        status, data = imap.search(None, "ALL")
        assert status == "OK"
        subjects = []
        for number in data[0].split():
            status, parts = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            assert status == "OK"
            header = next(part[1] for part in parts if isinstance(part, tuple))
            subjects.append(str(email.message_from_bytes(header)["Subject"]))
        return subjects


def _insecure_tls() -> ssl.SSLContext:
    """The simulator's certificate is self-signed for its test domain: test clients accept it."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
