"""Placeholder router, filled in when the service lands."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
