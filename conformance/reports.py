"""Report writers: JUnit XML for CI systems, a self-contained HTML page, a rich table for the terminal.

Each writer renders a :class:`RunReport`; JSON is the report's own serialisation. JUnit has one test case
per applicable requirement (the unit a Ségur auditor reviews), grouped by service, with the failing checks'
messages; not-tested and manual requirements are ``skipped`` with their reason.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from rich.console import Console
from rich.table import Table

from .report_model import RunReport

STYLE = {"pass": "green", "fail": "red", "error": "magenta", "not-tested": "yellow"}


def _label(requirement: dict[str, Any]) -> str:
    segur = f" [{', '.join(requirement['segur'])}]" if requirement["segur"] else ""
    return f"{requirement['id']}{segur} {requirement['title']}"


def _messages(report: RunReport, requirement: dict[str, Any], status: str) -> str:
    lines = [
        f"{c['check']} ({c['scenario']}): {c['message']}"
        for c in report.checks_of(requirement)
        if c["status"] == status
    ]
    return "\n".join(lines)


def write_junit(report: RunReport, path: Path) -> None:
    root = ET.Element("testsuites", name=f"socle conformance {report.run_id}")
    suites: dict[str, ET.Element] = {}
    for requirement in report.requirements:
        if not requirement["applicable"]:
            continue
        service = requirement["service"]
        if service not in suites:
            suites[service] = ET.SubElement(root, "testsuite", name=service)
        case = ET.SubElement(
            suites[service], "testcase", classname=f"conformance.{service}", name=_label(requirement)
        )
        status = requirement["status"]
        if requirement["verification"] == "manual":
            ET.SubElement(case, "skipped", message=f"manual proof needed: {requirement['reason']}")
        elif status == "fail":
            text = _messages(report, requirement, "fail")
            ET.SubElement(case, "failure", message=text.splitlines()[0] if text else "failed").text = text
        elif status == "error":
            text = _messages(report, requirement, "error")
            ET.SubElement(case, "error", message=text.splitlines()[0] if text else "error").text = text
        elif status == "not-tested":
            text = _messages(report, requirement, "not-tested") or "no check covers this requirement"
            ET.SubElement(case, "skipped", message=text.splitlines()[0]).text = text
    for suite in suites.values():
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        for kind, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attribute, str(sum(1 for case in cases if case.find(kind) is not None)))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


HTML_BODY_LIMIT = 8000
"""Characters of a body shown in the HTML page; the JSON report keeps the whole recorded body."""


def _pretty(body: str | None) -> str:
    if not body:
        return ""
    try:
        text = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        text = body
    if len(text) <= HTML_BODY_LIMIT:
        return text
    return f"{text[:HTML_BODY_LIMIT]}\n… {len(text) - HTML_BODY_LIMIT} more characters in the JSON report"


def write_html(report: RunReport, path: Path) -> None:
    environment = Environment(
        loader=PackageLoader("conformance", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    environment.filters["pretty"] = _pretty
    template = environment.get_template("report.html.j2")
    exchanges = {f"{ex['method']}-{ex['id']}": ex for check in report.checks for ex in check["evidence"]}
    html = template.render(
        report=report,
        counts=report.counts(),
        style=STYLE,
        exchanges=sorted(exchanges.values(), key=lambda ex: (ex["method"] == "SMTP", ex["id"])),
    )
    path.write_text(html, encoding="utf-8")


def print_table(report: RunReport, console: Console) -> None:
    table = Table(title=f"socle conformance — profile {report.profile} — run {report.run_id}")
    for column in ("requirement", "Ségur", "nature", "status", "detail"):
        table.add_column(column)
    for requirement in report.requirements:
        if not requirement["applicable"]:
            continue
        status = requirement["status"]
        if requirement["verification"] == "manual":
            detail = f"manual: {requirement['reason']}"
        else:
            detail = _messages(report, requirement, status) if status != "pass" else ""
        table.add_row(
            f"{requirement['id']} {requirement['title']}",
            ", ".join(requirement["segur"]),
            requirement["nature"],
            f"[{STYLE.get(status, 'white')}]{status}[/]",
            detail[:300],
        )
    console.print(table)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts().items()))
    verdict = "[green]PASSED[/]" if report.exit_code == 0 else "[red]NOT PASSED[/]"
    console.print(f"{verdict} — {counts} — {report.duration_s} s")
