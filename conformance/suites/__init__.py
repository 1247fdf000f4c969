"""The checks, one module per service; importing this package registers them all."""

from . import psc

__all__ = ["psc"]
