"""Many tokens at once (``decrypt_chunks``): in order, in chunks, the same whether a worker
process decrypts ahead or not, and whole when the worker fails; the keys never appear in
the worker's command line or environment."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from audit import crypto

KEY, OTHER = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def tokens(settings: Any) -> list[str]:
    """23 tokens; number 13 encrypted under a key that is not configured."""
    settings.KREDITAX_AUDIT_KEYS = [OTHER]
    foreign = crypto.encrypt_inputs({"age": 99})
    settings.KREDITAX_AUDIT_KEYS = [KEY]
    made = [crypto.encrypt_inputs({"i": i, "income": 1_000_000.5 * i}) for i in range(23)]
    made[13] = foreign
    return made


def expected() -> list[dict[str, Any] | None]:
    return [None if i == 13 else {"i": i, "income": 1_000_000.5 * i} for i in range(23)]


@pytest.mark.parametrize("parallel", [False, True])
def test_chunks_come_in_order_with_none_for_a_token_no_key_decrypts(
    tokens: list[str], parallel: bool
) -> None:
    chunks = list(crypto.decrypt_chunks(tokens, chunk=5, parallel=parallel))
    assert [len(chunk) for chunk in chunks] == [5, 5, 5, 5, 3]
    assert [values for chunk in chunks for values in chunk] == expected()


def test_a_worker_that_cannot_start_leaves_the_work_to_this_process(
    tokens: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("no processes left")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    chunks = list(crypto.decrypt_chunks(tokens, chunk=5, parallel=True))
    assert [values for chunk in chunks for values in chunk] == expected()
    assert "decryption worker could not start" in caplog.text


def test_a_worker_killed_midway_loses_nothing(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    decryption_workers: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Killed while it decrypts ahead: the chunk it held and the rest are decrypted here,
    at once (its pipe says it is gone), and every chunk comes, in order."""
    settings.KREDITAX_AUDIT_KEYS = [KEY]
    many = [crypto.encrypt_inputs({"i": i}) for i in range(2_000)]
    monkeypatch.setattr(crypto, "CHUNK_TIMEOUT", 30.0)
    stream = crypto.decrypt_chunks(many, chunk=100, parallel=True)
    got = next(stream) + next(stream)  # the second chunk came from the worker
    (worker,) = decryption_workers
    os.kill(worker.process.pid, signal.SIGKILL)
    begun = time.monotonic()
    got += [values for chunk in stream for values in chunk]
    assert time.monotonic() - begun < 10
    assert got == [{"i": i} for i in range(2_000)]
    assert "decryption worker failed" in caplog.text
    assert worker.process.poll() is not None


def test_the_keys_reach_the_worker_through_its_pipe_only(
    tokens: list[str], decryption_workers: list[Any]
) -> None:
    stream = crypto.decrypt_chunks(tokens, chunk=5, parallel=True)
    next(stream)
    next(stream)  # the worker has decrypted a chunk: it holds the keys
    (worker,) = decryption_workers
    proc = Path(f"/proc/{worker.process.pid}")
    seen = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
    assert KEY.encode() not in seen
    assert OTHER.encode() not in seen
    stream.close()
    assert worker.process.poll() is not None  # closing the stream stops the worker
