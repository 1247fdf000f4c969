"""The checks, one module per service; importing this package registers them all."""

from . import dmp, ins, mss, psc

__all__ = ["dmp", "ins", "mss", "psc"]
