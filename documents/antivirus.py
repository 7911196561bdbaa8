"""Optional antivirus: ClamAV's daemon (clamd), chosen by settings.DOCUMENT_ANTIVIRUS.

The scan check asks `antivirus_scan` before it lets a document pass. A scanner that cannot be
reached, times out, or answers anything but «OK» or «FOUND» raises ScannerUnavailable: the document
stays «проверяется» and the check is retried — a scanner that is down never lets a file through.
"""

from __future__ import annotations

import socket
import struct
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings

_CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """The antivirus gave no verdict; the file must not pass."""


def antivirus_enabled() -> bool:
    return settings.DOCUMENT_ANTIVIRUS == "clamd"


def antivirus_scan(*, file: IO[bytes]) -> str | None:
    """None when the file is clean (or no antivirus is configured); the signature name when infected."""
    if not antivirus_enabled():
        return None
    return _clamd_instream(file=file, address=settings.CLAMD_ADDRESS, timeout=settings.CLAMD_TIMEOUT_SECONDS)


def _connect(address: str, timeout: float) -> socket.socket:
    parts = urlsplit(address)
    if parts.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target: object = parts.path
    elif parts.scheme == "tcp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (parts.hostname or "127.0.0.1", parts.port or 3310)
    else:
        raise ScannerUnavailable(f"CLAMD_ADDRESS: unsupported address {address!r}")
    sock.settimeout(timeout)
    try:
        sock.connect(target)
    except OSError as error:
        sock.close()
        raise ScannerUnavailable(f"clamd at {address} does not answer: {error}") from error
    return sock


def _clamd_instream(*, file: IO[bytes], address: str, timeout: float) -> str | None:
    """clamd's INSTREAM command: the file in length-prefixed chunks, a zero length, then one reply."""
    file.seek(0)
    sock = _connect(address, timeout)
    try:
        sock.sendall(b"zINSTREAM\0")
        while chunk := file.read(_CHUNK):
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    except OSError as error:
        raise ScannerUnavailable(f"clamd at {address} failed during the scan: {error}") from error
    finally:
        sock.close()
        file.seek(0)
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith(": OK"):
        return None
    if text.endswith(" FOUND"):
        return text.split(": ", 1)[-1].removesuffix(" FOUND").strip() or "unknown"
    # "INSTREAM size limit exceeded. ERROR", an empty reply, anything else: no verdict.
    raise ScannerUnavailable(f"clamd gave no verdict: {text[:200]!r}")
