"""Placeholder router (issue 3): filled in by the directory work."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["directory"])
