"""Readers that turn interaction files and frames into :class:`~gcl.data.interactions.Interactions`.

Formats:

* any :class:`pandas.DataFrame` (:func:`from_dataframe`), CSV/TSV/Parquet tables (:func:`read_table`);
* RecBole atomic ``.inter`` files (:func:`read_recbole_atomic`; Zhao et al. 2021, CIKM);
* the LightGCN/NGCF ``uid item item ...`` lists (:func:`read_lightgcn`; He et al. 2020, SIGIR);
* per-user item sequences ``user item item ...`` in time order (:func:`read_sequences`; the
  CL4SRec/ICLRec benchmark files).

Raw ids are mapped to contiguous internal ids in sorted raw-id order, so files whose ids are
already ``0..n-1`` keep internal == raw. Every problem raises
:class:`~gcl.errors.DataFormatError` naming the file, the 1-based line and the field. The
line-oriented readers parse the whole file at once with numpy (no per-line Python loop): gowalla's
810,128 training interactions load in a fraction of a second.
"""

from __future__ import annotations

import csv
import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gcl.data.interactions import Interactions, _show, sorted_unique
from gcl.data.report import StepReport, log_report
from gcl.errors import DataFormatError

__all__ = ["from_dataframe", "read_lightgcn", "read_recbole_atomic", "read_sequences", "read_table"]

PathLike = str | os.PathLike

_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]{0,17}")
_MAX_DIGITS = 18  # ids with more digits could overflow int64
_BYTE_CLASS = np.full(256, 2, dtype=np.uint8)  # byte -> 0 whitespace, 1 digit, 2 other
_BYTE_CLASS[[9, 10, 11, 12, 13, 32]] = 0
_BYTE_CLASS[48:58] = 1


# ---------------------------------------------------------------------------------------------- frames
def _check_columns(available: list[Any], wanted: dict[str, str | None], path: PathLike | None) -> None:
    """Raise a DataFormatError for each requested column that is missing, suggesting close names."""
    names = [str(c) for c in available]
    for arg, col in wanted.items():
        if col is None or col in available:
            continue
        close = difflib.get_close_matches(str(col), names, n=3, cutoff=0.6)
        close += [n for n in names if n.lower() == str(col).lower() and n not in close]
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        raise DataFormatError(
            f"no column {col!r} (passed as {arg}); {hint}available columns: {names}",
            path=path,
            field=str(col),
        )


def _where(rows: np.ndarray, index: pd.Index, lines: np.ndarray | None) -> str:
    """Describe rows (positions) as file lines or frame index labels."""
    if lines is not None:
        return f"on line(s) {_show(lines[rows]).strip('[]')}"
    return f"in row(s) with index {_show(index[rows])}"


def _id_values(series: pd.Series, parse_ints: bool) -> np.ndarray:
    """Raw ids of a column without missing values, as a numpy array.

    Integral floats become int64. With ``parse_ints`` (file readers), text columns whose every value
    is a canonical integer (no sign, no leading zeros, at most 18 digits) become int64 as well, so
    ``user_index(196)`` works on ``196`` read from a file; otherwise text ids stay strings.
    """
    values = series.to_numpy()
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0) and np.all(np.abs(values) < 2**62):
        return values.astype(np.int64)
    if values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    if values.dtype.kind in "OUST" or isinstance(series.dtype, pd.StringDtype):
        if parse_ints:
            text = series.astype(str)
            if bool(text.str.fullmatch(_CANONICAL_INT).all()):
                return text.astype(np.int64).to_numpy()
        return np.asarray(values, dtype=object)
    return values


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Internal ids (sorted raw-id order when the ids are comparable) and the raw-id map."""
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # mixed, non-comparable raw ids: keep first-appearance order
        codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def _numeric(
    series: pd.Series, col: str, index: pd.Index, lines: np.ndarray | None, path: PathLike | None
) -> np.ndarray:
    """A rating/time column as a numeric array; datetimes become integer seconds since the epoch."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        missing = np.flatnonzero(series.isna().to_numpy())
        if missing.size == 0:
            return series.to_numpy().astype("datetime64[s]").astype(np.int64)
        coerced = series
    elif pd.api.types.is_bool_dtype(series.dtype):
        coerced = series.astype(np.int64)
    else:
        if isinstance(series.dtype, pd.StringDtype):
            if not series.isna().any():  # fast path: C casts; diagnostics below only on failure
                for dtype in (np.int64, np.float64):
                    try:
                        fast = series.astype(dtype).to_numpy()
                    except (ValueError, TypeError, OverflowError):
                        continue
                    if dtype is np.int64 or np.isfinite(fast).all():
                        return fast
                    break
        coerced = pd.to_numeric(series, errors="coerce")
    isna = coerced.isna().to_numpy()
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        line = None if lines is None else int(lines[missing[0]])
        raise DataFormatError(
            f"missing value {_where(missing, index, lines)}; expected a number",
            path=path,
            line=line,
            field=col,
        )
    bad = np.flatnonzero(isna)
    if bad.size:
        line = None if lines is None else int(lines[bad[0]])
        where = f"line {line}" if lines is not None else f"row with index {index[bad[0]]!r}"
        raise DataFormatError(
            f"expected a number, got {series.iloc[bad[0]]!r} ({where}; {bad.size} non-numeric value(s) "
            f"in total)",
            path=path,
            line=line,
            field=col,
        )
    out = coerced.to_numpy()
    if out.dtype.kind == "f":
        inf = np.flatnonzero(~np.isfinite(out))
        if inf.size:
            line = None if lines is None else int(lines[inf[0]])
            raise DataFormatError(
                f"expected a finite number, got {float(out[inf[0]])!r}", path=path, line=line, field=col
            )
    return out


def _from_frame(
    df: pd.DataFrame,
    *,
    user_col: str,
    item_col: str,
    rating_col: str | None,
    time_col: str | None,
    source: str,
    step: str,
    path: PathLike | None = None,
    first_line: int | None = None,
    parse_ints: bool = False,
    float_cols: tuple[str, ...] = (),
) -> Interactions:
    """Shared body of :func:`from_dataframe` and the table readers.

    ``first_line`` is the 1-based file line of the frame's first row (then rows whose every column is
    missing are blank lines: they are dropped and counted in the report); ``None`` for plain frames.
    """
    _check_columns(
        list(df.columns),
        {"user_col": user_col, "item_col": item_col, "rating_col": rating_col, "time_col": time_col},
        path,
    )
    n_rows = len(df)
    lines = None if first_line is None else np.arange(n_rows, dtype=np.int64) + first_line
    blank = 0
    if first_line is not None and n_rows:
        keep = ~df.isna().all(axis=1).to_numpy()
        blank = int(n_rows - keep.sum())
        if blank:
            df, lines = df[keep], lines[keep]
    if len(df) == 0:
        raise DataFormatError("no interactions (the table has a header but no data rows)", path=path)
    index = df.index
    ids: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kind, col in (("user", user_col), ("item", item_col)):
        series = df[col]
        missing = np.flatnonzero(series.isna().to_numpy())
        if missing.size:
            raise DataFormatError(
                f"missing {kind} id {_where(missing, index, lines)}",
                path=path,
                line=None if lines is None else int(lines[missing[0]]),
                field=str(col),
            )
        ids[kind] = _factorize(_id_values(series, parse_ints))
    numeric: dict[str, np.ndarray | None] = {}
    for col in (rating_col, time_col):
        if col is not None:
            values = _numeric(df[col], col, index, lines, path)
            numeric[col] = values.astype(np.float64) if col in float_cols else values
    rating = None if rating_col is None else numeric[rating_col]
    timestamp = None if time_col is None else numeric[time_col]
    (user, user_ids), (item, item_ids) = ids["user"], ids["item"]
    report = StepReport(
        step,
        before=n_rows,
        after=len(user),
        removed=blank,
        details={"blank_lines": blank, "users": len(user_ids), "items": len(item_ids)},
    )
    return Interactions(
        user=user,
        item=item,
        rating=rating,
        timestamp=timestamp,
        user_ids=user_ids,
        item_ids=item_ids,
        source=source,
        reports=[log_report(report)],
    )


def from_dataframe(
    df: pd.DataFrame,
    user_col: str = "user",
    item_col: str = "item",
    rating_col: str | None = None,
    time_col: str | None = None,
    source: str = "DataFrame",
) -> Interactions:
    """Build :class:`Interactions` from a frame with one row per interaction.

    Raw ids may be any sortable values (ints, strings); internal ids follow sorted raw-id order.
    Integral float ids become int64. Datetime times become integer seconds since the epoch.

    Args:
        df: The interactions, one per row.
        user_col: Column with raw user ids.
        item_col: Column with raw item ids.
        rating_col: Optional numeric rating column.
        time_col: Optional numeric (or datetime) time column.
        source: Name used in messages and reports.

    Raises:
        DataFormatError: A column is missing (the message lists close matches and all columns), an id
            is missing (naming the rows), or a rating/time is missing or not numeric (naming the first
            bad row and its value).

    Example:
        >>> df = pd.DataFrame({"user": ["b", "a", "b"], "item": [30, 10, 10]})
        >>> inter = from_dataframe(df)
        >>> inter.user.tolist(), inter.item.tolist(), inter.user_ids.tolist(), inter.item_ids.tolist()
        ([1, 0, 1], [1, 0, 0], ['a', 'b'], [10, 30])
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"from_dataframe: df must be a pandas DataFrame, got {type(df).__name__}")
    return _from_frame(
        df,
        user_col=user_col,
        item_col=item_col,
        rating_col=rating_col,
        time_col=time_col,
        source=source,
        step=f"from_dataframe({source})",
    )


_SEP_BY_SUFFIX = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".inter": "\t"}
_COMPRESSION = {".gz", ".bz2", ".zip", ".xz", ".zst"}


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSION:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")


def read_table(
    path: PathLike,
    user_col: str,
    item_col: str,
    rating_col: str | None = None,
    time_col: str | None = None,
    sep: str | None = None,
) -> Interactions:
    """Read a CSV/TSV (with a header line) or Parquet table of interactions.

    The format follows the extension (``.csv`` -> ``,``; ``.tsv``/``.tab``/``.inter`` -> tab;
    ``.parquet``/``.pq`` -> Parquet, which needs ``pyarrow``; compression suffixes such as ``.gz`` are
    looked through) unless ``sep`` is given. Id columns are read as text; ids that are all canonical
    integers become int64. Blank lines are skipped and counted in the report.

    Args:
        path: The file.
        user_col: Column with raw user ids.
        item_col: Column with raw item ids.
        rating_col: Optional numeric rating column.
        time_col: Optional numeric time column.
        sep: Field separator for text files; inferred from the extension when None.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        DataFormatError: Empty file, unknown extension without ``sep``, missing column, missing id
            or non-numeric rating/time -- naming the file and the 1-based line.
    """
    path = Path(path)
    _require_file(path)
    suffix = _suffix(path)
    wanted = {"user_col": user_col, "item_col": item_col, "rating_col": rating_col, "time_col": time_col}
    step = f"read_table({path.name})"
    if sep is None and suffix in {".parquet", ".pq"}:
        df = pd.read_parquet(path)
        if len(df.columns) == 0:
            raise DataFormatError("file has no columns", path=path)
        return _from_frame(df.reset_index(drop=True), **wanted, source=str(path), step=step, path=path)
    if sep is None:
        if suffix not in _SEP_BY_SUFFIX:
            raise DataFormatError(
                f"cannot infer the field separator from extension {suffix!r}; pass sep= (e.g. sep=',') "
                f"or use one of {sorted([*_SEP_BY_SUFFIX, '.parquet', '.pq'])}",
                path=path,
            )
        sep = _SEP_BY_SUFFIX[suffix]
    try:
        header = pd.read_csv(path, sep=sep, nrows=0)
    except pd.errors.EmptyDataError:
        raise DataFormatError(
            f"file is empty; expected a header line with columns {[c for c in wanted.values() if c]}",
            path=path,
        ) from None
    _check_columns(list(header.columns), wanted, path)
    id_cols = {user_col: str, item_col: str}
    df = pd.read_csv(path, sep=sep, dtype=id_cols, skip_blank_lines=False)
    return _from_frame(df, **wanted, source=str(path), step=step, path=path, first_line=2, parse_ints=True)


_ATOMIC_FIELD = re.compile(r"^(?P<name>[^:]+):(?P<type>token|token_seq|float|float_seq)$")


def read_recbole_atomic(
    path: PathLike,
    user_field: str = "user_id",
    item_field: str = "item_id",
    rating_field: str | None = "rating",
    time_field: str | None = "timestamp",
) -> Interactions:
    """Read a RecBole atomic ``.inter`` file (Zhao et al. 2021, CIKM).

    The file is tab separated with a header of ``name:type`` fields, e.g.
    ``user_id:token  item_id:token  rating:float  timestamp:float`` in any order; the ``:type``
    suffixes are stripped and extra fields are ignored. ``rating``/``timestamp`` are read when present
    (set ``rating_field``/``time_field`` to None to skip them). Token ids that are all canonical
    integers become int64 raw ids (``user_index(196)``); otherwise they stay strings.

    Args:
        path: The ``.inter`` file.
        user_field: Name of the user field (without ``:type``).
        item_field: Name of the item field.
        rating_field: Name of the rating field, read if present.
        time_field: Name of the time field, read if present.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        DataFormatError: Empty file, a header field without a valid ``:type``, a missing field, a
            missing id or a non-numeric rating/time, naming the file and line.

    Example:
        >>> inter = read_recbole_atomic("ml-100k/ml-100k.inter")  # doctest: +SKIP
        >>> inter.num_users, inter.num_items, len(inter)  # doctest: +SKIP
        (943, 1682, 100000)
    """
    path = Path(path)
    _require_file(path)
    with path.open("r", encoding="utf-8", newline="") as fh:
        first = fh.readline().rstrip("\r\n")
    if not first.strip():
        raise DataFormatError(
            "file is empty; expected a header such as 'user_id:token\\titem_id:token\\trating:float'",
            path=path,
            line=1,
        )
    fields = first.split("\t")
    names = []
    for raw in fields:
        match = _ATOMIC_FIELD.match(raw.strip())
        if match is None:
            raise DataFormatError(
                f"header field {raw!r} is not 'name:type' with type token, token_seq, float or float_seq "
                "(RecBole atomic files are tab separated)",
                path=path,
                line=1,
                field=raw,
            )
        names.append(match["name"])
    if len(set(names)) != len(names):
        raise DataFormatError(f"repeated field names in header {names}", path=path, line=1)
    rating_col = rating_field if rating_field in names else None
    time_col = time_field if time_field in names else None
    float_cols = tuple(n for n, f in zip(names, fields) if f.strip().endswith(":float"))
    _check_columns(names, {"user_field": user_field, "item_field": item_field}, path)
    df = pd.read_csv(
        path,
        sep="\t",
        header=0,
        names=names,
        dtype=str,
        quoting=csv.QUOTE_NONE,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        engine="c",
    )
    return _from_frame(
        df,
        user_col=user_field,
        item_col=item_field,
        rating_col=rating_col,
        time_col=time_col,
        source=str(path),
        step=f"read_recbole_atomic({path.name})",
        path=path,
        first_line=2,
        parse_ints=True,
        float_cols=float_cols,
    )


# ------------------------------------------------------------------------------------ line-per-user text
@dataclass
class _UserLines:
    """Tokens of a ``user item item ...`` file, parsed at once.

    Attributes:
        users: Raw user id of each non-blank line, shape ``[L]``.
        line_no: 1-based line number of each of those lines, shape ``[L]``.
        owner: Index into ``users`` of each item token, shape ``[N]``.
        items: Raw item id of each item token, shape ``[N]``.
        position: Position of each item token within its line (0, 1, ...), shape ``[N]``.
    """

    users: np.ndarray
    line_no: np.ndarray
    owner: np.ndarray
    items: np.ndarray
    position: np.ndarray


def _parse_user_lines(path: Path, fmt: str) -> _UserLines:
    """Parse a whitespace-separated ``user item item ...`` file with vectorized byte operations.

    The file is viewed as a uint8 array; token boundaries come from a whitespace mask, values from a
    loop over digit positions (at most 18 iterations, each vectorized over all tokens), and the line
    of each token from a binary search over newline positions.
    """
    _require_file(path)
    data = path.read_bytes()
    buf = np.frombuffer(data, dtype=np.uint8)
    cls = _BYTE_CLASS[buf]  # 0 whitespace, 1 digit, 2 anything else
    is_tok = cls.astype(bool)
    if not is_tok.any():
        raise DataFormatError(f"file is empty; expected lines '{fmt}'", path=path)
    newlines = np.flatnonzero(buf == 10)

    def line_of(byte: int) -> int:
        return int(np.searchsorted(newlines, byte, side="right")) + 1

    edges = np.diff(is_tok.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)

    def token_at(byte: int) -> str:
        j = int(np.searchsorted(starts, byte, side="right")) - 1
        return data[starts[j] : ends[j]].decode("utf-8", errors="replace")

    if (cls == 2).any():
        first = int(np.argmax(cls == 2))
        raise DataFormatError(
            f"expected a non-negative integer id, got {token_at(first)!r} (lines are '{fmt}')",
            path=path,
            line=line_of(first),
        )
    lengths = ends - starts
    too_long = np.flatnonzero(lengths > _MAX_DIGITS)
    if too_long.size:
        first = int(starts[too_long[0]])
        raise DataFormatError(
            f"id {token_at(first)!r} has more than {_MAX_DIGITS} digits", path=path, line=line_of(first)
        )
    # Value of each token: Horner's rule over digit positions, vectorized over tokens. Tokens are
    # processed in groups of equal length so no masking is needed inside the loop.
    digits = buf - np.uint8(48)
    values = np.zeros(starts.shape[0], dtype=np.int64)
    for length in np.flatnonzero(np.bincount(lengths)).tolist():
        sel = np.flatnonzero(lengths == length)
        pos = starts[sel]
        acc = digits[pos].astype(np.int64)
        for d in range(1, length):
            acc *= 10
            acc += digits[pos + d]
        values[sel] = acc
    line0 = np.searchsorted(newlines, starts)  # newlines before each token = 0-based line
    is_first = np.empty(starts.shape[0], dtype=bool)
    is_first[0] = True
    np.not_equal(line0[1:], line0[:-1], out=is_first[1:])
    first_idx = np.flatnonzero(is_first)
    group = np.cumsum(is_first) - 1
    is_item = ~is_first
    owner = group[is_item]
    return _UserLines(
        users=values[is_first],
        line_no=line0[is_first] + 1,
        owner=owner,
        items=values[is_item],
        position=np.flatnonzero(is_item) - first_idx[owner] - 1,
    )


def _check_unique_users(lines: _UserLines, path: Path) -> None:
    """One line per user: report the first repeated user with both line numbers."""
    order = np.argsort(lines.users, kind="stable")
    sorted_users = lines.users[order]
    dup = np.flatnonzero(sorted_users[1:] == sorted_users[:-1])
    if dup.size:
        later = order[dup + 1]
        k = int(np.argmin(lines.line_no[later]))
        j = int(later[k])
        earlier = int(order[dup[k]])
        raise DataFormatError(
            f"user {int(lines.users[j])} already appeared on line {int(lines.line_no[earlier])}; expected "
            "one line per user",
            path=path,
            line=int(lines.line_no[j]),
        )


def _dense_ok(high: int, n: int) -> bool:
    """Whether a lookup table of ``high + 1`` entries is cheap next to ``n`` values."""
    return high <= 4 * n + 1_000_000


def _id_map(*arrays: np.ndarray) -> np.ndarray:
    """Sorted unique non-negative integer ids over several arrays (presence table when ids are dense)."""
    arrays = tuple(a for a in arrays if a.size)
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    high = max(int(a.max()) for a in arrays)
    if _dense_ok(high, sum(a.size for a in arrays)):
        present = np.zeros(high + 1, dtype=bool)
        for a in arrays:  # two files at most
            present[a] = True
        return np.flatnonzero(present)
    return sorted_unique(np.concatenate(arrays))


def _to_internal(values: np.ndarray, id_map: np.ndarray) -> np.ndarray:
    """Internal ids of raw ids that are all in the sorted ``id_map``."""
    if id_map.size == 0 or id_map[-1] == id_map.size - 1:  # the map is 0..n-1: internal == raw
        return values
    if _dense_ok(int(id_map[-1]), values.size):
        table = np.zeros(int(id_map[-1]) + 1, dtype=np.int64)
        table[id_map] = np.arange(id_map.size)
        return table[values]
    return np.searchsorted(id_map, values)


def _lines_report(step: str, lines: _UserLines) -> StepReport:
    n = lines.items.shape[0]
    empty = int(np.count_nonzero(np.bincount(lines.owner, minlength=lines.users.shape[0]) == 0))
    return log_report(
        StepReport(
            step,
            before=n,
            after=n,
            removed=0,
            details={"lines": len(lines.users), "users_without_items": empty},
        )
    )


def read_lightgcn(
    train_path: PathLike, test_path: PathLike | None = None
) -> Interactions | tuple[Interactions, Interactions]:
    """Read the LightGCN/NGCF ``uid item item ...`` files (He et al. 2020, SIGIR; Wang et al. 2019, SIGIR).

    Each line holds a user id followed by that user's items (0-based integers, space separated;
    within-line order is not meaningful, and a user may have no items). Raw ids are the file's ids;
    the internal id space is the union over both files in sorted order, so ids that are already
    ``0..n-1`` (gowalla, yelp2018, amazon-book) keep internal == raw.

    Args:
        train_path: The training file (``train.txt``).
        test_path: Optional test file (``test.txt``) sharing the id space.

    Returns:
        The training :class:`Interactions`, or ``(train, test)`` when ``test_path`` is given.

    Raises:
        FileNotFoundError: A file does not exist.
        DataFormatError: Empty file, a non-integer token or a user on two lines (file and line named).

    Example:
        >>> train, test = read_lightgcn("gowalla/train.txt", "gowalla/test.txt")  # doctest: +SKIP
        >>> train.num_users, train.num_items, len(train), len(test)  # doctest: +SKIP
        (29858, 40981, 810128, 217242)
    """
    fmt = "uid item item ..."
    paths = [Path(train_path)] + ([] if test_path is None else [Path(test_path)])
    parsed = []
    for path in paths:
        lines = _parse_user_lines(path, fmt)
        _check_unique_users(lines, path)
        parsed.append(lines)
    user_ids = _id_map(*(p.users for p in parsed))
    item_ids = _id_map(*(p.items for p in parsed))
    out = []
    for path, lines in zip(paths, parsed):
        out.append(
            Interactions(
                user=_to_internal(lines.users, user_ids)[lines.owner],
                item=_to_internal(lines.items, item_ids),
                user_ids=user_ids,
                item_ids=item_ids,
                source=str(path),
                reports=[_lines_report(f"read_lightgcn({path.name})", lines)],
            )
        )
    return out[0] if test_path is None else (out[0], out[1])


def read_sequences(path: PathLike) -> Interactions:
    """Read per-user item sequences, one ``user item item ...`` line per user, items in time order.

    This is the format of the sequential-recommendation benchmarks used by CL4SRec (Xie et al. 2022,
    ICDE), CoSeRec and ICLRec (Chen et al. 2022, WWW), e.g. Amazon Beauty with 1-based ids. The order
    is kept as ``timestamp`` = position within the user's sequence (0, 1, 2, ...), so time-based
    splits such as :func:`gcl.data.splits.leave_one_out` work unchanged.

    Args:
        path: The sequence file.

    Returns:
        :class:`Interactions` with ``timestamp`` = position (int64), rows in file order.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        DataFormatError: Empty file, a non-integer token or a user on two lines (file and line named).

    Example:
        >>> inter = read_sequences("Beauty/Beauty.txt")  # doctest: +SKIP
        >>> inter.num_users, inter.num_items, len(inter)  # doctest: +SKIP
        (22363, 12101, 198502)
    """
    path = Path(path)
    lines = _parse_user_lines(path, "user item item ...")
    _check_unique_users(lines, path)
    user_ids = _id_map(lines.users)
    item_ids = _id_map(lines.items)
    return Interactions(
        user=_to_internal(lines.users, user_ids)[lines.owner],
        item=_to_internal(lines.items, item_ids),
        timestamp=lines.position,
        user_ids=user_ids,
        item_ids=item_ids,
        source=str(path),
        reports=[_lines_report(f"read_sequences({path.name})", lines)],
    )
