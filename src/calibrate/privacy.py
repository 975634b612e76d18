"""Keyed pseudonyms for manager IDs, and the secret key they are made with.

A pseudonym is ``P-`` and the first 16 hex digits (64 bits) of
HMAC-SHA256(key, manager_id). Without the key nobody can recompute the
pseudonym of a known ID (so knowing the ID format M0001, M0002, ... reveals
nothing); with the same key the pseudonyms are stable from run to run.

Why 64 bits: by the birthday bound the chance that any two of n managers share
a pseudonym is about n^2 / 2^(bits+1). At n = 1,000,000 and 64 bits that is
1e12 / 3.7e19 = 2.7e-8; the former 32 bits collided with probability ~0.69 at
100,000 managers.

The key comes from the environment variable ``CALIBRATE_PSEUDONYM_KEY`` when it
is set, otherwise from a key file (config ``privacy: {key_file: ...}``, default
``.calibrate-key`` beside the config). A missing key file is created on first
use (32 random bytes, hex, permissions 0600) and a message says where. The key
is never written to any output of a run.

>>> pseudonym("M0001", key=b"acme-secret-key-0123456789")
'P-860ef42ef0ba6a62'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from calibrate.errors import ConfigError

KEY_ENV = "CALIBRATE_PSEUDONYM_KEY"
DEFAULT_KEY_FILE = ".calibrate-key"
HEX_DIGITS = 16  # 64 bits: collision-free at 1,000,000 managers (see the module docstring)
MIN_KEY_CHARS = 16


def pseudonym(manager_id: str, key: bytes) -> str:
    """``P-`` + 16 hex digits of HMAC-SHA256(key, manager_id)."""
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_CHARS:
        raise ConfigError(f"the pseudonym key must be at least {MIN_KEY_CHARS} bytes")
    digest = hmac.new(bytes(key), str(manager_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"P-{digest[:HEX_DIGITS]}"


def pseudonymise(
    frame: pd.DataFrame, key: bytes, column: str = "manager_id", drop: tuple[str, ...] = ("name",)
) -> pd.DataFrame:
    """Replace manager IDs by pseudonyms and drop directly identifying columns (names)."""
    out = frame.drop(columns=[c for c in drop if c in frame.columns])
    if column in out.columns:
        # one HMAC per distinct ID (a manager has many rows), the same values as row by row
        codes, distinct = pd.factorize(out[column], use_na_sentinel=False)
        names = np.array([pseudonym(str(x), key) for x in distinct], dtype=object)
        out[column] = pd.Series(names[codes], index=out.index) if len(codes) else out[column].map(str)
    elif out.index.name == column or column in (out.index.names or []):
        out = out.rename(index=lambda x: pseudonym(str(x), key), level=column)
    return out


def load_key(key_file: Path, *, announce, echo=None) -> bytes:
    """The pseudonym key: ``$CALIBRATE_PSEUDONYM_KEY`` if set, else the key file (created if missing).

    ``announce(key_file)`` words the note that a key was created (the caller's language); ``echo`` prints it.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env.strip()) < MIN_KEY_CHARS:
            raise ConfigError(f"{KEY_ENV} must hold at least {MIN_KEY_CHARS} characters")
        return env.strip().encode("utf-8")
    key_file = Path(key_file)
    if not key_file.exists():
        _create_key_file(key_file, echo, announce)
    try:
        text = key_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"pseudonym key file {key_file} cannot be read ({exc.strerror})") from None
    if len(text) < MIN_KEY_CHARS:
        raise ConfigError(f"pseudonym key file {key_file} must hold at least {MIN_KEY_CHARS} characters")
    return text.encode("utf-8")


def _create_key_file(key_file: Path, echo, announce) -> None:
    """Create the key file whole, or leave the one another run created meanwhile.

    The key is written to a private temporary file in the same folder and then linked
    to its name, which fails if the name exists: another run never sees the file
    without its key (an empty key file opened first and written after was read half
    made by a run starting at the same moment), and two runs never keep two keys.
    """
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(prefix=".calibrate-key-", dir=key_file.parent)  # mode 0600
    except OSError as exc:
        raise ConfigError(
            f"cannot create the pseudonym key file {key_file} ({exc.strerror}); "
            f"set {KEY_ENV} or privacy: key_file in the config"
        ) from None
    key = secrets.token_hex(32) + "\n"
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        try:
            os.link(draft, key_file)
        except FileExistsError:
            return  # another run created it first: its key is the key
        except OSError:  # a file system without hard links: create-if-absent, then write
            if not _create_exclusive(key_file, key):
                return
    finally:
        os.unlink(draft)
    (echo or (lambda m: print(m, file=sys.stderr)))(announce(key_file))


def _create_exclusive(key_file: Path, text: str) -> bool:
    try:
        fd = os.open(str(key_file), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return True


def pseudonymise_text(text: str, ids, key: bytes) -> str:
    """``text`` with every whole-word occurrence of a manager ID in ``ids`` replaced by its pseudonym.

    For free text that names managers (validation messages) in a pseudonymised report.
    """
    import re

    known = sorted({str(i) for i in ids if isinstance(i, str) and i}, key=len, reverse=True)
    if not known or not isinstance(text, str):
        return text
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(i) for i in known) + r")(?!\w)")
    return pattern.sub(lambda m: pseudonym(m.group(1), key), text)


def merge_small_groups(
    frame: pd.DataFrame,
    *,
    group: str,
    size: str,
    min_size: int,
    other: str,
    sums: tuple[str, ...] = (),
    weighted: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, list]:
    """Rows of groups with fewer than ``min_size`` members (column ``size``) merged into one row ``other``.

    ``sums`` are added up, ``weighted`` averaged with the group sizes as weights. When the merged
    row itself still has fewer than ``min_size`` members its figures are blanked (NaN), so no
    group smaller than ``min_size`` is ever published. Returns the table and the merged groups.
    """
    small = frame[size] < min_size
    if not small.any():
        return frame.reset_index(drop=True), []
    part = frame[small]
    row: dict = {c: pd.NA for c in frame.columns}
    row[group] = other
    members = int(part[size].sum())
    row[size] = members
    for c in sums:
        if c in part:
            row[c] = part[c].sum()
    for c in weighted:
        if c in part:
            row[c] = float((part[c] * part[size]).sum() / members) if members else float("nan")
    if members < min_size:
        row = {c: (row[c] if c == group else float("nan")) for c in frame.columns}
    out = pd.concat([frame[~small], pd.DataFrame([row], columns=frame.columns)], ignore_index=True)
    return out, part[group].tolist()
