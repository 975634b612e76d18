"""Pseudonymised manager IDs for reports: stable within a company (salted hash), not reversible by readers.

>>> pseudonym("M0001", salt="acme")
'P-39e66e21'
"""
from __future__ import annotations

import hashlib

import pandas as pd


def pseudonym(manager_id: str, salt: str = "calibrate") -> str:
    digest = hashlib.sha256(f"{salt}:{manager_id}".encode()).hexdigest()
    return f"P-{digest[:8]}"


def pseudonymise(frame: pd.DataFrame, column: str = "manager_id", salt: str = "calibrate",
                 drop: tuple[str, ...] = ("name",)) -> pd.DataFrame:
    """Replace manager IDs by pseudonyms and drop directly identifying columns (names)."""
    out = frame.drop(columns=[c for c in drop if c in frame.columns])
    if column in out.columns:
        out[column] = out[column].map(lambda x: pseudonym(str(x), salt))
    elif out.index.name == column or column in (out.index.names or []):
        out = out.rename(index=lambda x: pseudonym(str(x), salt), level=column)
    return out
