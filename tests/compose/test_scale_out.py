"""Two instances of every service on one PostgreSQL: no state lives only in a process.

Each service name resolves to a round-robin over its two instances (as Docker's DNS does with
``--scale``), so peer calls land on either; the steps that matter address one instance and then the
other explicitly, so the test knows the state crossed from one process to the other.
"""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from services.kernel.settings import PSC_REALM_PATH
from tests.compose import flows
from tests.compose.cluster import Cluster
from tests.dmp.builders import bundle as provide_bundle

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("compose")]


@pytest.fixture
def people(scaled: Cluster) -> flows.People:
    return flows.people(scaled.public_url)


def test_every_service_runs_twice(scaled: Cluster) -> None:
    for name, group in scaled.instances.items():
        assert len(group) == 2, name
        assert all(instance.healthcheck().returncode == 0 for instance in group)


def test_a_code_issued_by_one_psc_instance_is_redeemed_at_the_other(
    scaled: Cluster, people: flows.People
) -> None:
    first, second = scaled.urls("prosanteconnect")
    authorization = flows.authorize(first, people.client, people.doctor["idnat"])
    redeemed = flows.redeem(second, people.client, authorization)
    assert redeemed.status_code == 200, redeemed.text
    keys = KeySet.import_key_set(httpx.get(first + flows.OIDC + "/certs", timeout=10).json())
    claims = jwt.decode(redeemed.json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == scaled.public_url + "/psc" + PSC_REALM_PATH
    replayed = flows.redeem(first, people.client, authorization)
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"


def test_a_refresh_token_rotated_at_one_instance_is_refused_at_the_other(
    scaled: Cluster, people: flows.People
) -> None:
    first, second = scaled.urls("prosanteconnect")
    tokens = flows.login(first, people.client, people.doctor["idnat"])
    rotated = flows.refresh(first, people.client, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    again = flows.refresh(second, people.client, rotated.json()["refresh_token"])
    assert again.status_code == 200, again.text
    for instance, used in ((second, tokens["refresh_token"]), (first, rotated.json()["refresh_token"])):
        replayed = flows.refresh(instance, people.client, used)
        assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"


def test_a_token_from_one_psc_instance_opens_ins_at_both(scaled: Cluster, people: flows.People) -> None:
    second = scaled.urls("prosanteconnect")[1]
    token = flows.login(second, people.client, people.doctor["idnat"])["access_token"]
    for ins in scaled.urls("ins"):
        assert flows.ins_identity_status(ins, token, people.patient) == "QUAL"


def test_a_bundle_published_at_one_dmp_instance_is_found_at_the_other(
    scaled: Cluster, people: flows.People
) -> None:
    token = flows.login(scaled.public_url + "/psc", people.client, people.doctor["idnat"])["access_token"]
    first, second = scaled.urls("dmp")
    bundle = provide_bundle(people.patient, author=people.doctor["idnat"])
    published = flows.publish(first, token, bundle)
    assert published.status_code == 200, published.text
    assert flows.unique_id(bundle) in flows.find_documents(second, token, people.patient)


def test_a_message_submitted_to_one_mssante_instance_is_fetched_from_the_other(
    scaled: Cluster, people: flows.People
) -> None:
    psc = scaled.public_url + "/psc"
    sender, recipient = people.doctor, people.colleague
    first, second = scaled.instances["mssante"]
    token = flows.login(psc, people.client, sender["idnat"])["access_token"]
    subject = "scale-out: submitted to one instance, read from the other"
    flows.send_mail("127.0.0.1", first.smtp_port, token, sender["mailbox"], recipient["mailbox"], subject)
    reader = flows.login(psc, people.client, recipient["idnat"])["access_token"]
    assert subject in flows.fetch_subjects("127.0.0.1", second.imap_port, reader, recipient["mailbox"])
