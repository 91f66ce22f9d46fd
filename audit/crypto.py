"""Encryption of the exact model inputs kept for replay (Fernet, with key rotation).

Keys come from ``KREDITAX_AUDIT_KEYS``: a comma-separated list of Fernet keys, newest first.
New records are encrypted with the first; any listed key decrypts (MultiFernet), so a key is
rotated by putting a new one in front and keeping the old ones until re-encryption.

The ciphers are built once per configured key list (and cached by it), so a key change
through the settings takes effect on the next call.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import math
import re
import socket
import subprocess
import sys
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

logger = logging.getLogger(__name__)

#: Canonical JSON: sorted keys, no whitespace, ASCII only (``check_circular`` only changes
#: the error raised for a value that contains itself, which JSON cannot hold anyway).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False)


#: Numbers whose JSON PostgreSQL's ``jsonb`` would give back in another form: negative zero
#: (``numeric`` has none: ``-0.0`` comes back as ``0.0``) and floats written with a positive
#: exponent (``1e+16`` comes back as the integer ``10000000000000000``). Matching text inside
#: a string only costs the slower path, whose output is then the same.
_JSONB_UNSTABLE = re.compile(r"-0\.0(?![0-9])|[0-9]e\+")
#: The same two patterns apart: each starts with a literal the regex engine finds quickly,
#: where the alternation tries both at every position (it took 60 % of ``canonical_json``).
_NEGATIVE_ZERO = re.compile(r"-0\.0(?![0-9])")
_POSITIVE_EXPONENT = re.compile(r"[0-9]e\+")


def _jsonb_unstable(text: str) -> bool:
    """``_JSONB_UNSTABLE.search(text) is not None``, faster."""
    if "e+" in text and _POSITIVE_EXPONENT.search(text) is not None:
        return True
    return "-0.0" in text and _NEGATIVE_ZERO.search(text) is not None


def canonical_json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"))``, in a form that
    PostgreSQL's ``jsonb`` stores and gives back unchanged.

    Audit records are hashed over this text and stored as ``jsonb``; read back and encoded
    again, they must give the same text, or a valid request could make a record fail
    verification forever. So negative zero is written as ``0.0`` and an integral float of
    16 digits or more (the only floats Python writes with ``e+``) as the integer it is.
    """
    text = _CANONICAL.encode(value)
    if not _jsonb_unstable(text):
        return text
    return _CANONICAL.encode(_jsonb_stable(value))


def _jsonb_stable(value: Any) -> Any:
    if isinstance(value, float):
        if value == 0.0:
            return 0.0
        if math.isfinite(value) and value.is_integer() and abs(value) >= 1e16:
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {key: _jsonb_stable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonb_stable(item) for item in value]
    return value


class AuditKeyError(RuntimeError):
    """The inputs cannot be decrypted with any configured key."""


@dataclass(frozen=True)
class Cipher:
    """The configured keys, ready: ``key_id`` names the first (the one new records use)."""

    fernet: MultiFernet
    key_id: str

    def encrypt(self, values: Mapping[str, Any]) -> str:
        payload = canonical_json(values).encode("utf-8")
        return self.fernet.encrypt(payload).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            payload = self.fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            raise AuditKeyError("No configured audit key decrypts these inputs.") from None
        result: dict[str, Any] = json.loads(payload)
        return result


def _derived_key(pii_key: str) -> bytes:
    # Development fallback: a key derived from the PII key (production requires real keys).
    digest = hashlib.sha256(f"audit:{pii_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@functools.lru_cache(maxsize=8)
def _cipher(configured: tuple[str, ...], pii_key: str) -> Cipher:
    keys = [key.encode("ascii") for key in configured] or [_derived_key(pii_key)]
    return Cipher(
        fernet=MultiFernet([Fernet(key) for key in keys]),
        key_id=hashlib.sha256(keys[0]).hexdigest()[:12],
    )


def _configured_keys() -> tuple[tuple[str, ...], str]:
    """The settings' keys, as ``_cipher`` takes them: the audit keys, or else the PII key."""
    configured = tuple(settings.KREDITAX_AUDIT_KEYS)
    return configured, "" if configured else settings.KREDITAX_PII_KEY


def cipher() -> Cipher:
    """The cipher for the keys configured now (cached by their values)."""
    return _cipher(*_configured_keys())


def key_id() -> str:
    """A short, non-secret identifier of the current encryption key (for rotation)."""
    return cipher().key_id


def encrypt_inputs(values: Mapping[str, Any]) -> str:
    return cipher().encrypt(values)


def decrypt_inputs(token: str) -> dict[str, Any]:
    return cipher().decrypt(token)


# --------------------------------------------------------------------------------------
# Many tokens at once
# --------------------------------------------------------------------------------------

#: Tokens a worker decrypts per chunk (``decrypt_chunks``).
DECRYPT_CHUNK = 2_000
#: From this many tokens on, a worker process decrypts while the caller works: a worker
#: takes about a quarter of a second to start.
PARALLEL_FROM = 3 * DECRYPT_CHUNK
#: How long to wait for a worker's chunk before decrypting the rest in this process (s).
CHUNK_TIMEOUT = 120.0

Inputs = dict[str, Any]


def decrypt_chunks(
    tokens: Sequence[str], *, chunk: int | None = None, parallel: bool | None = None
) -> Generator[list[Inputs | None], None, None]:
    """The inputs of ``tokens`` decrypted with the configured keys, one list per ``chunk``
    tokens (default ``DECRYPT_CHUNK``), in order; ``None`` for a token no configured key
    decrypts.

    With ``parallel`` (default: from ``PARALLEL_FROM`` tokens on) a worker process decrypts
    chunk k + 1 while the caller handles chunk k (the first is decrypted here while the
    worker starts): decryption (Fernet and JSON, mostly under the GIL) overlaps the caller's
    work on the other core. The worker is a fresh interpreter running ``serve`` (a plain
    subprocess: Celery's workers are daemonic and may not start ``multiprocessing``
    children, and a spawned child would import the caller's main module), given the
    configured keys through its socket (never its command line or environment), one chunk
    in flight at a time; it is stopped when the iteration ends or is closed. If it cannot
    start, dies or stalls (``CHUNK_TIMEOUT``), the rest is decrypted here: same results,
    only slower.
    """
    size = chunk or DECRYPT_CHUNK
    chunks = [tokens[start : start + size] for start in range(0, len(tokens), size)]
    keys = _configured_keys()
    here = _cipher(*keys)
    if parallel is None:
        parallel = len(tokens) >= PARALLEL_FROM
    worker = _Worker.start(keys) if parallel and len(chunks) > 1 else None
    try:
        if worker is not None:
            worker = worker.send(chunks[1])
        for k, part in enumerate(chunks):
            decrypted = None
            if k and worker is not None:
                decrypted, worker = worker.receive()
                if worker is not None and k + 1 < len(chunks):
                    worker = worker.send(chunks[k + 1])
            yield decrypted if decrypted is not None else _decrypt_chunk(part, here)
    finally:
        if worker is not None:
            worker.stop()


class _Worker:
    """A decryption process and the parent's end of its socket."""

    def __init__(self, process: subprocess.Popen[bytes], conn: Connection) -> None:
        self.process, self.conn = process, conn

    @classmethod
    def start(cls, keys: tuple[tuple[str, ...], str]) -> _Worker | None:
        """The worker, started with ``keys`` sent through its socket; None when it cannot
        start. A fresh interpreter that imports this module only (``serve``)."""
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parent.parent)
        code = f"import sys; sys.path.insert(0, {root!r}); from audit.crypto import serve; serve()"
        try:
            with theirs:
                process = subprocess.Popen(  # noqa: S603 (our own interpreter and code)
                    [sys.executable, "-c", code, str(theirs.fileno())],
                    pass_fds=(theirs.fileno(),),
                    stdin=subprocess.DEVNULL,
                )
            conn = Connection(ours.detach())
            conn.send(keys)
        except Exception:  # what starting a process raises (limits, no memory, ...)
            ours.close()
            logger.warning("decryption worker could not start: decrypting in this process")
            return None
        return cls(process, conn)

    def send(self, tokens: Sequence[str]) -> _Worker | None:
        """Hand over the next chunk; None (and the worker stopped) when it is gone."""
        try:
            self.conn.send(list(tokens))
        except Exception:  # a broken pipe: the worker died
            self.fail()
            return None
        return self

    def receive(self) -> tuple[list[Inputs | None] | None, _Worker | None]:
        """The chunk handed over last, decrypted (None and no worker when it failed)."""
        decrypted: list[Inputs | None] | None = None
        try:
            if self.conn.poll(CHUNK_TIMEOUT):
                decrypted = self.conn.recv()
        except Exception:  # the worker died (EOF) or sent garbage; never its message
            decrypted = None
        if decrypted is None:
            self.fail()
            return None, None
        return decrypted, self

    def fail(self) -> None:
        logger.warning("decryption worker failed: decrypting the rest in this process")
        self.stop()

    def stop(self) -> None:
        self.conn.close()
        try:
            self.process.wait(1.0)  # it exits when its socket closes
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve() -> None:
    """The worker's loop (``python -c ... serve() FD``): the keys first, then decrypt each
    chunk received until the parent closes the socket."""
    conn = Connection(int(sys.argv[1]))
    try:
        configured, pii_key = conn.recv()
    except (EOFError, OSError):
        return
    cipher = _cipher(tuple(configured), pii_key)
    while True:
        try:
            tokens = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_decrypt_chunk(tokens, cipher))


def _decrypt_chunk(tokens: Sequence[str], cipher: Cipher) -> list[Inputs | None]:
    out: list[Inputs | None] = []
    for token in tokens:
        try:
            out.append(cipher.decrypt(token))
        except AuditKeyError:
            out.append(None)
    return out
