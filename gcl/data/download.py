"""Atomic, checksum-verified downloads.

A file is streamed into a temporary file in the destination directory, its SHA-256 is
checked against the dataset card, and only then is it renamed into place (``os.replace`` is
atomic on POSIX). On any failure -- network error, truncated transfer, checksum mismatch --
the temporary file is removed, so no partial file is ever left behind.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from gcl.errors import ChecksumError, DatasetNotFoundError

log = logging.getLogger("gcl.data")

_CHUNK = 1 << 20


def sha256sum(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    timeout: float = 60.0,
    progress: bool = False,
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying its SHA-256 when one is given.

    Args:
        url: ``http(s)://`` or ``file://`` address.
        dest: Final path of the file. Its directory is created if needed.
        sha256: Expected hex digest; ``None`` skips verification (the digest is logged so it
            can be added to the dataset card).
        timeout: Socket timeout in seconds.
        progress: Show a tqdm progress bar.

    Returns:
        ``dest`` as a :class:`~pathlib.Path`.

    Raises:
        DatasetNotFoundError: The transfer failed or was cut short (``Content-Length`` not met).
        ChecksumError: The downloaded bytes do not match ``sha256``.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        received = 0
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                expected = response.headers.get("Content-Length") if hasattr(response, "headers") else None
                total = int(expected) if expected else None
                bar = None
                if progress:
                    from tqdm.auto import tqdm

                    bar = tqdm(total=total, unit="B", unit_scale=True, desc=dest.name)
                for block in iter(lambda: response.read(_CHUNK), b""):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    if bar is not None:
                        bar.update(len(block))
                if bar is not None:
                    bar.close()
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            raise DatasetNotFoundError(
                f"download of {url} failed ({type(exc).__name__}: {exc}); nothing was saved at {dest}"
            ) from exc
        if total is not None and received != total:
            raise DatasetNotFoundError(
                f"download of {url} was interrupted: got {received} of {total} bytes; nothing was saved"
            )
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256.lower():
            raise ChecksumError(
                f"checksum mismatch for {url}: expected sha256 {sha256}, got {actual}; "
                f"the file was discarded and {dest} was not written"
            )
        if sha256 is None:
            log.warning("no checksum on the card for %s; downloaded file has sha256 %s", dest.name, actual)
        os.replace(tmp, dest)
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()
