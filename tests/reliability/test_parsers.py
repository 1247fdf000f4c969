"""Properties of the parsers that take outside input, over anything hypothesis can make: each answers
or refuses with its own error, never another exception (which would be a 5xx or a dropped SMTP
session). Generated cases complement the mutation tests in tests/dmp and tests/kernel."""

from __future__ import annotations

import contextlib
import io
import zipfile
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.dmp.bundle import plan_bundle
from services.kernel.errors import SocleError
from services.kernel.identifiers import InvalidIdentifier, is_valid_ins, nir_key, split_ins
from services.kernel.traits import InvalidTrait, normalize_first_name, normalize_name, split_first_names
from services.mssante.findings import Refusal
from services.mssante.inspection import inspect
from services.mssante.xdm import ZipLimits, check_xdm
from tests.dmp.builders import bundle
from tests.mssante.builders import xdm_zip

from .conftest import LONG, REFERENCE_INS

EXAMPLES = settings(
    max_examples=1000 if LONG else 100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
LIMITS = ZipLimits(max_total=2_000_000, max_ratio=100, max_entries=50)
NIR = st.from_regex(r"\A[12][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}\Z")
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)


@EXAMPLES
@given(st.text(max_size=20))
def test_any_text_is_an_ins_or_not_without_crashing(text: str) -> None:
    valid = is_valid_ins(text)
    try:
        matricule, key = split_ins(text)
    except InvalidIdentifier:
        assert not valid
    else:
        assert valid == (nir_key(matricule) == key)


@EXAMPLES
@given(NIR, st.integers(0, 14), st.sampled_from("0123456789AB"))
def test_a_changed_character_breaks_the_ins_key(nir: str, position: int, replacement: str) -> None:
    ins = nir + nir_key(nir)
    changed = ins[:position] + replacement + ins[position + 1 :]
    if changed.upper() != ins.upper():
        assert not is_valid_ins(changed) or changed[5:7] in ("2A", "2B", "19", "18")


@EXAMPLES
@given(st.text(max_size=40))
def test_trait_normalisation_refuses_or_is_idempotent(text: str) -> None:
    for normalise in (normalize_name, normalize_first_name):
        try:
            once = normalise(text)
        except InvalidTrait:
            continue
        assert normalise(once) == once
        assert once == once.strip().upper()
    try:
        names = split_first_names(text)
    except InvalidTrait:
        return
    assert all(" " not in name and name for name in names)


@EXAMPLES
@given(JSON)
def test_any_json_is_a_plan_or_a_4xx_for_iti65(value: object) -> None:
    try:
        plan_bundle(value)
    except SocleError as error:
        assert 400 <= error.status_code < 500


@EXAMPLES
@given(st.data())
def test_a_bundle_with_one_element_replaced_is_a_plan_or_a_4xx(data: st.DataObject) -> None:
    valid = bundle(REFERENCE_INS)
    node: object = valid
    while isinstance(node, dict | list) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        if data.draw(st.booleans()) or not isinstance(node[key], dict | list):  # type: ignore[index]
            node[key] = data.draw(JSON)  # type: ignore[index]
            break
        node = node[key]  # type: ignore[index]
    try:
        plan_bundle(valid)
    except SocleError as error:
        assert 400 <= error.status_code < 500


@EXAMPLES
@given(st.binary(max_size=2000))
def test_any_bytes_as_an_xdm_zip_are_findings_or_a_refusal(data: bytes) -> None:
    with contextlib.suppress(Refusal):
        check_xdm(data, LIMITS)


@EXAMPLES
@given(st.data())
def test_a_corrupted_xdm_zip_is_findings_or_a_refusal(data: st.DataObject) -> None:
    archive = bytearray(xdm_zip(REFERENCE_INS))
    for _ in range(data.draw(st.integers(1, 8))):
        archive[data.draw(st.integers(0, len(archive) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(Refusal):
        check_xdm(bytes(archive), LIMITS)


def test_a_central_directory_offset_past_its_place_is_a_finding() -> None:
    """Found by the test above: the entries' offsets then point before the file's start and zipfile
    refuses to seek there (ValueError), which must be a finding like any other corruption."""
    archive = bytearray(xdm_zip(REFERENCE_INS))
    end = archive.rfind(b"PK\x05\x06")
    offset = int.from_bytes(archive[end + 16 : end + 20], "little")
    archive[end + 16 : end + 20] = (offset + 100_000).to_bytes(4, "little")
    report = check_xdm(bytes(archive), LIMITS)
    assert [finding.code for finding in report.findings if finding.code.startswith("xdm.")] == ["xdm.corrupt"]


@EXAMPLES
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=30).filter(lambda n: n.split("\x00")[0].strip("/\\.")),
        st.binary(max_size=200),
        max_size=6,
    )
)
def test_any_zip_layout_is_findings_or_a_refusal(files: dict[str, bytes]) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    with contextlib.suppress(Refusal):
        check_xdm(out.getvalue(), LIMITS)


def valid_mail() -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@socle.mssante.fr", "b@socle.mssante.fr", "XDM/1.0/DDM+CR"
    mail["X-MSS-INS"], mail["X-MSS-CODECDA"] = "O", "11488-4"
    mail.set_content("Bonjour\n")
    mail.add_attachment(xdm_zip(REFERENCE_INS), maintype="application", subtype="zip", filename="IHE_XDM.zip")
    return mail.as_bytes()


@EXAMPLES
@given(st.binary(max_size=3000))
def test_any_bytes_as_a_mail_are_inspected_or_refused(raw: bytes) -> None:
    with contextlib.suppress(Refusal):
        inspect(raw, LIMITS)


@EXAMPLES
@given(st.data())
def test_a_corrupted_mime_message_is_inspected_or_refused(data: st.DataObject) -> None:
    raw = bytearray(valid_mail())
    for _ in range(data.draw(st.integers(1, 10))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position : position + 1] = data.draw(st.binary(max_size=3))
    with contextlib.suppress(Refusal):
        inspect(bytes(raw), LIMITS)
