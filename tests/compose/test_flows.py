"""The cross-service flows on the compose topology: one process each on SQLite, two each on PostgreSQL.

Each container is a local process with the environment compose gives it; a vendor's client talks to
the gateway (the public base) and to MSSanté's SMTP/IMAP ports. A PSC token issued behind the gateway
is accepted by INS, DMP and MSSanté, which check it with PSC over the peer URLs of the compose file.
On the two-instance deployment every request goes to the next instance in turn, so the client that
``tests/psc_login.py`` registers (RFC 7591) at one PSC instance is used at the other.
"""

from __future__ import annotations

import psycopg
import pytest

from tests import psc_login
from tests.compose import flows
from tests.compose.cluster import AllInOne, Cluster
from tests.dmp.builders import bundle as provide_bundle

pytestmark = pytest.mark.xdist_group("compose")


@pytest.fixture
def people(deployment: Cluster | AllInOne) -> flows.People:
    return flows.people(deployment.public_url)


def test_a_professional_logs_in_and_refreshes_through_the_gateway(
    deployment: Cluster | AllInOne, people: flows.People
) -> None:
    psc = deployment.public_url + "/psc"
    tokens = flows.login(psc, people.client, people.doctor["idnat"])
    assert {"access_token", "id_token", "refresh_token"} <= set(tokens)
    rotated = flows.refresh(psc, people.client, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    replayed = flows.refresh(psc, people.client, tokens["refresh_token"])
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"


def test_ins_answers_a_search_with_a_psc_token(deployment: Cluster | AllInOne, people: flows.People) -> None:
    tokens = psc_login.login(deployment.public_url, idnat=people.doctor["idnat"])
    status = flows.ins_identity_status(deployment.public_url + "/ins", tokens["access_token"], people.patient)
    assert status == "QUAL"


def test_a_bundle_published_at_the_dmp_is_found_by_search(
    deployment: Cluster | AllInOne, people: flows.People
) -> None:
    tokens = psc_login.login(deployment.public_url, idnat=people.doctor["idnat"])
    dmp = deployment.public_url + "/dmp"
    bundle = provide_bundle(people.patient, author=people.doctor["idnat"])
    published = flows.publish(dmp, tokens["access_token"], bundle)
    assert published.status_code == 200, published.text
    found = flows.find_documents(dmp, tokens["access_token"], people.patient)
    assert flows.unique_id(bundle) in found


def test_a_message_submitted_by_smtp_is_read_by_imap(
    deployment: Cluster | AllInOne, people: flows.People
) -> None:
    sender, recipient = people.doctor, people.colleague
    sent = psc_login.login(deployment.public_url, idnat=sender["idnat"])["access_token"]
    subject = f"flow on {type(deployment).__name__} at {deployment.public_url}"
    flows.send_mail("127.0.0.1", deployment.smtp_port, sent, sender["mailbox"], recipient["mailbox"], subject)
    read = psc_login.login(deployment.public_url, idnat=recipient["idnat"])["access_token"]
    assert subject in flows.fetch_subjects("127.0.0.1", deployment.imap_port, read, recipient["mailbox"])


@pytest.mark.postgres
def test_socle_up_keeps_every_service_in_postgresql(all_in_one: AllInOne) -> None:
    """The PostgreSQL pass is one: no service fell back to a SQLite file in the data folder."""
    assert not list(all_in_one.stack.data_dir.glob("*.db"))
    with psycopg.connect(all_in_one.database_url) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables")}
    for prefix in ("psc_", "annuaire_", "ins_", "dmp_", "mss_"):
        assert any(table.startswith(prefix) for table in tables), prefix
