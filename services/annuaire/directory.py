"""The fixed directory: every resource built from the kernel fixtures, the same ids on every machine.

PSC and the directory both derive their professionals from these fixtures (cross-service contract), so
an idNat that logs in to PSC is a Practitioner here, and every fixture mailbox (personal or of a
structure) is published for MSSanté to find. One retired professional, inactive, shows how the API returns
deletions.
"""

from __future__ import annotations

from typing import Any

from services.kernel.fixtures import Fixtures

from .organizations import structure_resources
from .practitioners import professional_resources, retired_practitioner


def fixed_resources(fixtures: Fixtures) -> list[dict[str, Any]]:
    resources, organization_ids = structure_resources(fixtures.organisations)
    for professional in fixtures.professionals:
        resources += professional_resources(professional, organization_ids)
    return [*resources, retired_practitioner()]
