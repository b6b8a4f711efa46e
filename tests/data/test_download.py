import hashlib
from pathlib import Path

import pytest

from gcl.data.download import download_file, sha256sum
from gcl.errors import ChecksumError, DatasetNotFoundError

PAYLOAD = b"0 1 2 3\n1 2\n" * 1000
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_success_verifies_and_renames(http_server, tmp_path):
    url = http_server.serve("/train.txt", PAYLOAD)
    dest = tmp_path / "gowalla" / "train.txt"
    assert download_file(url, dest, sha256=DIGEST) == dest
    assert dest.read_bytes() == PAYLOAD
    assert sha256sum(dest) == DIGEST
    assert leftovers(dest.parent) == ["train.txt"]


def test_checksum_mismatch_leaves_no_file(http_server, tmp_path):
    url = http_server.serve("/train.txt", PAYLOAD[:-1] + b"X")
    dest = tmp_path / "train.txt"
    with pytest.raises(ChecksumError, match=f"expected sha256 {DIGEST}"):
        download_file(url, dest, sha256=DIGEST)
    assert leftovers(tmp_path) == []


def test_interrupted_transfer_leaves_no_file(http_server, tmp_path):
    # The server promises 2x the bytes it sends, then closes the connection.
    url = http_server.serve("/train.txt", PAYLOAD, declared_length=2 * len(PAYLOAD))
    dest = tmp_path / "train.txt"
    with pytest.raises(DatasetNotFoundError, match=r"train\.txt"):
        download_file(url, dest, sha256=DIGEST)
    assert leftovers(tmp_path) == []


def test_http_error_is_reported(http_server, tmp_path):
    url = http_server.url + "/missing.txt"
    with pytest.raises(DatasetNotFoundError, match="404"):
        download_file(url, tmp_path / "missing.txt")
    assert leftovers(tmp_path) == []


def test_existing_file_is_replaced_only_after_verification(http_server, tmp_path):
    dest = tmp_path / "train.txt"
    dest.write_bytes(b"old")
    url = http_server.serve("/bad.txt", b"corrupt")
    with pytest.raises(ChecksumError):
        download_file(url, dest, sha256=DIGEST)
    assert dest.read_bytes() == b"old"


def test_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    dest = tmp_path / "out" / "copy.bin"
    download_file(src.as_uri(), dest, sha256=DIGEST)
    assert dest.read_bytes() == PAYLOAD
