"""Dataset registry: one YAML card per dataset in the repository's ``datasets/`` folder.

A card names the dataset's source URLs, the SHA-256 of each file (where known), its format,
license, citation and expected statistics. :func:`ensure_files` makes the files present under
the data root -- downloading what is missing, atomically and checksum-verified -- or raises an
error that lists the missing files and where to put them.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from gcl.data.download import download_file, sha256sum
from gcl.data.root import data_root
from gcl.errors import ChecksumError, DatasetNotFoundError, UnknownNameError
from gcl.yaml_config import load_yaml

CARDS_ENV_VAR = "GCL_CARDS_DIR"


@dataclass(frozen=True)
class CardFile:
    """One file of a dataset, relative to the dataset's directory."""

    path: str
    url: str | None = None
    sha256: str | None = None
    optional: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Card:
    """A dataset card (see ``datasets/*.yaml``)."""

    name: str
    display_name: str
    task: str
    format: str
    directory: str
    files: tuple[CardFile, ...]
    stats: dict[str, Any]
    license: str = ""
    source: str = ""
    citation: str = ""
    prefix: str | None = None
    archive: dict[str, Any] | None = None
    card_path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def directory_in(self, root: str | os.PathLike[str] | None = None) -> Path:
        """Return this dataset's directory under the data root."""
        return data_root(root) / self.directory

    def missing_files(self, root: str | os.PathLike[str] | None = None) -> list[CardFile]:
        """Return the required files that are not on disk."""
        base = self.directory_in(root)
        return [f for f in self.files if not f.optional and not (base / f.path).is_file()]


def cards_dir() -> Path:
    """Locate the folder of dataset cards.

    Order: ``$GCL_CARDS_DIR``, the ``datasets/`` folder of a source checkout, then the copy
    installed under ``<prefix>/share/gcl/datasets``.
    """
    env = os.environ.get(CARDS_ENV_VAR)
    candidates = [Path(env)] if env else []
    candidates += [
        Path(__file__).resolve().parents[2] / "datasets",
        Path(sys.prefix) / "share" / "gcl" / "datasets",
    ]
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise FileNotFoundError("no dataset cards found; looked in " + ", ".join(str(c) for c in candidates))


def _parse_card(path: Path) -> Card:
    raw = load_yaml(path.read_text())
    known = {
        "name",
        "display_name",
        "task",
        "format",
        "directory",
        "files",
        "stats",
        "license",
        "source",
        "citation",
        "prefix",
        "archive",
    }
    for key in ("name", "task", "format", "directory", "files"):
        if key not in raw:
            raise ValueError(f"{path}: dataset card is missing the field {key!r}")
    files = tuple(CardFile(**f) for f in raw["files"])
    return Card(
        name=raw["name"],
        display_name=raw.get("display_name", raw["name"]),
        task=raw["task"],
        format=raw["format"],
        directory=raw["directory"],
        files=files,
        stats=raw.get("stats", {}),
        license=raw.get("license", ""),
        source=raw.get("source", ""),
        citation=raw.get("citation", ""),
        prefix=raw.get("prefix"),
        archive=raw.get("archive"),
        card_path=str(path),
        extra={k: v for k, v in raw.items() if k not in known},
    )


@cache
def _all_cards(directory: str) -> dict[str, Card]:
    cards = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        card = _parse_card(path)
        cards[card.name] = card
    return cards


def list_cards() -> list[Card]:
    """Return every registered dataset card, sorted by name."""
    return list(_all_cards(str(cards_dir())).values())


def get_card(name: str) -> Card:
    """Return the card for ``name`` (case-insensitive; display names accepted).

    Raises:
        UnknownNameError: Unknown name (a KeyError); the message lists the closest registered names.
    """
    cards = _all_cards(str(cards_dir()))
    key = name.lower()
    if key in cards:
        return cards[key]
    for card in cards.values():
        if card.directory.lower() == key or card.display_name.lower() == key:
            return card
    close = difflib.get_close_matches(key, list(cards), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownNameError(f"unknown dataset {name!r}.{hint} Registered: {', '.join(sorted(cards))}.")


def ensure_files(
    card: Card | str,
    root: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    progress: bool = False,
) -> Path:
    """Make sure a dataset's required files exist under the data root and return its directory.

    Missing files are downloaded from the card's URLs (or extracted from the card's archive)
    with checksum verification. Files already on disk are used as they are (``gcl datasets
    check`` verifies them).

    Raises:
        DatasetNotFoundError: Files are missing and could not be downloaded; the message lists
            each missing file, its URL and the directory to put it in.
    """
    card = get_card(card) if isinstance(card, str) else card
    base = card.directory_in(root)
    missing = card.missing_files(root)
    if not missing:
        return base
    errors: list[str] = []
    if download:
        try:
            if card.archive is not None:
                _fetch_archive(card, base, progress=progress)
            else:
                for f in missing:
                    if f.url is None:
                        raise DatasetNotFoundError(f"{f.path} has no download URL on its card")
                    download_file(f.url, base / f.path, sha256=f.sha256, progress=progress)
        except (DatasetNotFoundError, ChecksumError, OSError) as exc:
            errors.append(str(exc))
    still = card.missing_files(root)
    if not still:
        return base
    lines = [
        f"dataset {card.name!r} is missing {len(still)} file(s) under {base}:",
        *(f"  - {f.path}" + (f"  (from {f.url})" if f.url else "") for f in still),
    ]
    if card.archive is not None:
        lines.append(f"  they come from the archive {card.archive['url']}")
    if errors:
        lines.append("download failed: " + "; ".join(errors))
    elif not download:
        lines.append("downloads are disabled.")
    lines.append(
        f"Put the files there by hand, or set GCL_DATA_DIR (now {data_root(root)}) to a folder that has "
        f"{card.directory}/."
    )
    raise DatasetNotFoundError("\n".join(lines))


def _fetch_archive(card: Card, base: Path, *, progress: bool) -> None:
    archive = card.archive or {}
    if archive.get("format", "zip") != "zip":
        raise DatasetNotFoundError(
            f"unsupported archive format {archive.get('format')!r} on card {card.name}"
        )
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        zpath = download_file(
            archive["url"], Path(tmp) / "archive.zip", sha256=archive.get("sha256"), progress=progress
        )
        with zipfile.ZipFile(zpath) as zf:
            members = {Path(m).name: m for m in zf.namelist() if not m.endswith("/")}
            for f in card.files:
                member = members.get(Path(f.path).name)
                if member is None:
                    continue
                staged = Path(tmp) / Path(f.path).name
                with zf.open(member) as src, open(staged, "wb") as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)
                if f.sha256 is not None and sha256sum(staged) != f.sha256:
                    raise ChecksumError(
                        f"checksum mismatch for {f.path} extracted from {archive['url']}: expected {f.sha256}"
                    )
                (base / f.path).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, base / f.path)


@dataclass(frozen=True)
class FileCheck:
    """The result of checking one file against its card."""

    dataset: str
    path: str
    status: str  # "ok", "mismatch", "no checksum", "missing", "missing (optional)"
    detail: str = ""


def check_files(card: Card | str, root: str | os.PathLike[str] | None = None) -> list[FileCheck]:
    """Verify the SHA-256 of each of a dataset's files that are on disk."""
    card = get_card(card) if isinstance(card, str) else card
    base = card.directory_in(root)
    results = []
    for f in card.files:
        path = base / f.path
        if not path.is_file():
            results.append(FileCheck(card.name, f.path, "missing (optional)" if f.optional else "missing"))
        elif f.sha256 is None:
            results.append(FileCheck(card.name, f.path, "no checksum", f.note or ""))
        else:
            actual = sha256sum(path)
            status = "ok" if actual == f.sha256 else "mismatch"
            detail = "" if status == "ok" else f"expected {f.sha256}, got {actual}"
            results.append(FileCheck(card.name, f.path, status, detail))
    return results
