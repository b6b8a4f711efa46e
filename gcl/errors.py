"""Exceptions shared across gcl.

Every error a user can trigger with bad input is a subclass of :class:`ValueError` (or
:class:`FileNotFoundError`) so that ``except ValueError`` keeps working, and carries a message
that names the file, line or field and what was expected.
"""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A data file or frame does not have the expected format.

    Args:
        message: What was wrong and what was expected.
        path: The file, if the data came from one.
        line: 1-based line number in ``path``, if known.
        field: The column or field name, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        where = []
        if self.path is not None:
            where.append(self.path if line is None else f"{self.path}:{line}")
        elif line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message)


class DatasetNotFoundError(FileNotFoundError):
    """Dataset files are missing and could not be downloaded."""


class ChecksumError(ValueError):
    """A downloaded or local file does not match the checksum on its dataset card."""


class UnknownNameError(KeyError):
    """A dataset, model or preset name is not registered (the message lists close matches)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
