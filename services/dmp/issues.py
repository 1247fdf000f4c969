"""Collect every profile violation of a submission, then refuse it once, naming each element.

A vendor fixing a bundle wants all its errors at once, each with the FHIRPath of the element, rather
than one per round trip; nothing is stored while any issue is open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.kernel.errors import BadRequest, SocleError, Unprocessable


@dataclass
class Issues:
    """Errors found so far; ``code`` is the FHIR issue type of the first one."""

    found: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, expression: str, message: str, code: str = "invalid") -> None:
        self.found.append((expression, message, code))

    def required(self, expression: str, value: object) -> bool:
        """Record a missing required element; True when it is present."""
        if value in (None, "", [], {}):
            self.add(expression, f"{expression} is required (PDSm)", "required")
            return False
        return True

    def rebase(self, root: str, new_root: str) -> None:
        """Re-root expressions (``DocumentReference.x`` → ``Bundle.entry[2].resource.x``)."""
        self.found = [
            (new_root + e[len(root) :] if e.startswith(root) else e, m, c) for e, m, c in self.found
        ]

    def extend(self, other: Issues) -> None:
        self.found.extend(other.found)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_if_any(self, *, business: bool = False) -> None:
        if not self.found:
            return
        message = "; ".join(f"{expression}: {message}" for expression, message, _ in self.found[:20])
        expressions = [expression for expression, _, _ in self.found[:20]]
        error: SocleError = (Unprocessable if business else BadRequest)(
            message, expression=expressions, fhir_code=self.found[0][2]
        )
        raise error
