import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gcl.data.readers import from_dataframe, read_lightgcn, read_recbole_atomic, read_sequences, read_table
from gcl.errors import DataFormatError


def data_file(rel: str) -> Path:
    root = os.environ.get("GCL_DATA_DIR")
    if not root or not (Path(root) / rel).is_file():
        pytest.skip(f"{rel} not found under GCL_DATA_DIR")
    return Path(root) / rel


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def slow_user_lines(path: Path) -> tuple[list[int], list[int], list[int]]:
    """Reference parser: one Python loop per line."""
    users, items, positions = [], [], []
    for line in path.read_text().splitlines():
        tokens = line.split()
        if not tokens:
            continue
        users += [int(tokens[0])] * (len(tokens) - 1)
        items += [int(t) for t in tokens[1:]]
        positions += list(range(len(tokens) - 1))
    return users, items, positions


# ------------------------------------------------------------------ from_dataframe
def test_from_dataframe_maps_sorted_raw_ids():
    df = pd.DataFrame(
        {"u": ["b", "a", "b", "c"], "i": [30, 10, 10, 20], "r": [1, 2, 3, 4], "t": [5.0, 6, 7, 8]}
    )
    inter = from_dataframe(df, "u", "i", rating_col="r", time_col="t", source="frame")
    assert inter.user.tolist() == [1, 0, 1, 2]
    assert inter.item.tolist() == [2, 0, 0, 1]
    assert inter.user_ids.tolist() == ["a", "b", "c"]
    assert inter.item_ids.tolist() == [10, 20, 30]
    assert inter.rating.tolist() == [1, 2, 3, 4]
    assert inter.timestamp.tolist() == [5.0, 6.0, 7.0, 8.0]
    assert inter.source == "frame"
    assert [str(r) for r in inter.reports] == [
        "from_dataframe(frame): removed 0 of 4 interactions (0%; blank_lines=0; users=3; items=3)"
    ]
    back = inter.to_frame()
    assert back["user"].tolist() == df["u"].tolist() and back["item"].tolist() == df["i"].tolist()


def test_from_dataframe_integral_float_ids_and_datetimes():
    times = pd.to_datetime(["1970-01-01 00:00:10", "2000-01-01 00:00:00"])
    df = pd.DataFrame({"user": [2.0, 1.0], "item": [5, 5], "when": times})
    inter = from_dataframe(df, time_col="when")
    assert inter.user_ids.dtype == np.int64 and inter.user_ids.tolist() == [1, 2]
    assert inter.timestamp.tolist() == [10, 946684800]
    aware = pd.DataFrame(
        {"user": [1], "item": [1], "when": [pd.Timestamp("1970-01-01 01:00", tz="Europe/Berlin")]}
    )
    assert from_dataframe(aware, time_col="when").timestamp.tolist() == [0]
    assert dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc).timestamp() == 946684800


def test_from_dataframe_missing_column_suggests_close_matches():
    df = pd.DataFrame({"user_id": [1], "item_id": [2], "rating": [3]})
    with pytest.raises(
        DataFormatError,
        match=r"field 'user': no column 'user' \(passed as user_col\); did you mean 'user_id'\? "
        r"available columns: \['user_id', 'item_id', 'rating'\]",
    ) as info:
        from_dataframe(df, "user", "item_id")
    assert info.value.field == "user"
    with pytest.raises(DataFormatError, match=r"no column 'ratng' .*did you mean 'rating'"):
        from_dataframe(df, "user_id", "item_id", rating_col="ratng")
    with pytest.raises(DataFormatError, match=r"no column 'zzz' \(passed as time_col\); available columns"):
        from_dataframe(df, "user_id", "item_id", time_col="zzz")


def test_from_dataframe_missing_ids_name_rows():
    df = pd.DataFrame({"user": [1, None, 3, None], "item": [1, 2, 3, 4]}, index=[10, 11, 12, 13])
    with pytest.raises(
        DataFormatError, match=r"field 'user': missing user id in row\(s\) with index \[11, 13\]"
    ):
        from_dataframe(df)


def test_from_dataframe_bad_ratings_and_times():
    df = pd.DataFrame({"user": [1, 2, 3], "item": [1, 2, 3], "r": ["3", "bad", "x"]})
    with pytest.raises(
        DataFormatError, match=r"field 'r': expected a number, got 'bad' \(row with index 1; 2 non-numeric"
    ):
        from_dataframe(df, rating_col="r")
    df = pd.DataFrame({"user": [1, 2], "item": [1, 2], "t": [3.0, None]})
    with pytest.raises(DataFormatError, match=r"field 't': missing value in row\(s\) with index \[1\]"):
        from_dataframe(df, time_col="t")
    df = pd.DataFrame({"user": [1, 2], "item": [1, 2], "t": [3.0, np.inf]})
    with pytest.raises(DataFormatError, match="expected a finite number, got inf"):
        from_dataframe(df, time_col="t")
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        from_dataframe({"user": [1]})


# ------------------------------------------------------------------ read_table
def test_read_csv_exact_and_blank_lines_reported(tmp_path):
    path = write(tmp_path, "log.csv", "user,item,rating,ts\n7,b,5,100\n3,a,4,90\n\n7,a,1,95\n")
    inter = read_table(path, "user", "item", rating_col="rating", time_col="ts")
    assert inter.user_ids.tolist() == [3, 7] and inter.user_ids.dtype == np.int64
    assert inter.item_ids.tolist() == ["a", "b"]
    assert inter.user.tolist() == [1, 0, 1] and inter.item.tolist() == [1, 0, 0]
    assert inter.rating.tolist() == [5, 4, 1] and inter.timestamp.tolist() == [100, 90, 95]
    assert inter.source == str(path)
    assert str(inter.reports[0]) == (
        "read_table(log.csv): removed 1 of 4 interactions (25%; blank_lines=1; users=2; items=2)"
    )


def test_read_table_keeps_non_canonical_ids_as_text(tmp_path):
    path = write(tmp_path, "log.tsv", "user\titem\n007\t1\n7\t2\n")
    inter = read_table(path, "user", "item")
    assert inter.user_ids.tolist() == ["007", "7"]  # leading zeros matter: two different users
    assert inter.item_ids.tolist() == [1, 2]


def test_read_table_sep_and_compression(tmp_path):
    path = write(tmp_path, "log.dat", "u::i\n1::2\n")
    with pytest.raises(
        DataFormatError, match=r"log.dat: cannot infer the field separator from extension '.dat'"
    ):
        read_table(path, "u", "i")
    pd.DataFrame({"u": [1, 2], "i": [3, 3]}).to_csv(tmp_path / "log.csv.gz", index=False)
    assert read_table(tmp_path / "log.csv.gz", "u", "i").item_ids.tolist() == [3]
    path = write(tmp_path, "semi.txt", "u;i\n1;2\n4;2\n")
    assert read_table(path, "u", "i", sep=";").user_ids.tolist() == [1, 4]


def test_read_table_errors_name_file_and_line(tmp_path):
    path = write(tmp_path, "a.csv", "user,item,rating\n1,10,5\n2,20,4\n\n3,,3\n")
    with pytest.raises(
        DataFormatError, match=r"a.csv:5, field 'item': missing item id on line\(s\) 5"
    ) as info:
        read_table(path, "user", "item", "rating")
    assert (info.value.line, info.value.field, info.value.path) == (5, "item", str(path))
    path = write(tmp_path, "b.csv", "user,item,rating\n1,10,5\n2,20,x\n3,30,3\n")
    with pytest.raises(
        DataFormatError, match=r"b.csv:3, field 'rating': expected a number, got 'x' \(line 3"
    ):
        read_table(path, "user", "item", "rating")
    path = write(tmp_path, "c.csv", "usr,item\n1,2\n")
    with pytest.raises(DataFormatError, match=r"c.csv, field 'user': no column 'user'.*did you mean 'usr'"):
        read_table(path, "user", "item")
    with pytest.raises(DataFormatError, match=r"empty.csv: file is empty; expected a header line"):
        read_table(write(tmp_path, "empty.csv", ""), "user", "item")
    with pytest.raises(DataFormatError, match="header but no data rows"):
        read_table(write(tmp_path, "hdr.csv", "user,item\n"), "user", "item")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_table(tmp_path / "missing.csv", "user", "item")


def test_read_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"u": ["x", "y", "x"], "i": [1, 2, 2], "r": [1.5, 2.0, 3.0]})
    df.to_parquet(tmp_path / "log.parquet")
    inter = read_table(tmp_path / "log.parquet", "u", "i", rating_col="r")
    assert inter.user.tolist() == [0, 1, 0] and inter.user_ids.tolist() == ["x", "y"]
    assert inter.rating.tolist() == [1.5, 2.0, 3.0]
    bad = pd.DataFrame({"u": ["x", None], "i": [1, 2]})
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(
        DataFormatError, match=r"bad.parquet, field 'u': missing user id in row\(s\) with index \[1\]"
    ):
        read_table(tmp_path / "bad.parquet", "u", "i")


# ------------------------------------------------------------------ RecBole atomic
def test_read_recbole_atomic_any_field_order(tmp_path):
    text = (
        "item_id:token\ttimestamp:float\tuser_id:token\trating:float\tclass:token_seq\n"
        "5\t100\t1\t4\ta b\n"
        "6\t101\t2\t3.5\tc\n"
        "5\t102\t2\t1\t\n"
    )
    inter = read_recbole_atomic(write(tmp_path, "toy.inter", text))
    assert inter.user_ids.tolist() == [1, 2] and inter.item_ids.tolist() == [5, 6]
    assert inter.user.tolist() == [0, 1, 1] and inter.item.tolist() == [0, 1, 0]
    assert inter.rating.dtype == np.float64 and inter.rating.tolist() == [4.0, 3.5, 1.0]
    assert inter.timestamp.dtype == np.float64 and inter.timestamp.tolist() == [100.0, 101.0, 102.0]
    assert inter.reports[0].step == "read_recbole_atomic(toy.inter)"


def test_read_recbole_atomic_optional_fields_and_string_tokens(tmp_path):
    inter = read_recbole_atomic(write(tmp_path, "s.inter", "user_id:token\titem_id:token\nA\tNA\nB\tx\n"))
    assert inter.rating is None and inter.timestamp is None
    assert inter.user_ids.tolist() == ["A", "B"] and inter.item_ids.tolist() == ["NA", "x"]  # "NA" is an id
    inter = read_recbole_atomic(
        write(tmp_path, "r.inter", "uid:token\tiid:token\tscore:float\n1\t2\t3\n"),
        user_field="uid",
        item_field="iid",
        rating_field="score",
    )
    assert inter.rating.tolist() == [3.0]


def test_read_recbole_atomic_errors(tmp_path):
    with pytest.raises(
        DataFormatError, match=r"bad.inter:1, field 'item_id': header field 'item_id' is not 'name:type'"
    ):
        read_recbole_atomic(write(tmp_path, "bad.inter", "user_id:token\titem_id\n"))
    with pytest.raises(DataFormatError, match=r"bad2.inter:3, field 'rating': expected a number, got 'five'"):
        read_recbole_atomic(
            write(tmp_path, "bad2.inter", "user_id:token\titem_id:token\trating:float\n1\t2\t3\n1\t2\tfive\n")
        )
    with pytest.raises(
        DataFormatError, match=r"no column 'user_id' \(passed as user_field\); did you mean 'user_ids'"
    ):
        read_recbole_atomic(write(tmp_path, "f.inter", "user_ids:token\titem_id:token\n1\t2\n"))
    with pytest.raises(DataFormatError, match=r"m.inter:3, field 'user_id': missing user id on line\(s\) 3"):
        read_recbole_atomic(write(tmp_path, "m.inter", "user_id:token\titem_id:token\n1\t2\n\t3\n"))
    with pytest.raises(DataFormatError, match=r"e.inter:1: file is empty"):
        read_recbole_atomic(write(tmp_path, "e.inter", ""))
    with pytest.raises(DataFormatError, match="repeated field names"):
        read_recbole_atomic(write(tmp_path, "d.inter", "user_id:token\tuser_id:float\n"))


# ------------------------------------------------------------------ LightGCN files
def test_read_lightgcn_exact(tmp_path):
    train = write(tmp_path, "train.txt", "0 3 1\n1\n2 0 1 2\n")  # user 1 has no training items
    test = write(tmp_path, "test.txt", "0 0\n1 4\n2 3\n")
    tr, te = read_lightgcn(train, test)
    assert tr.user.tolist() == [0, 0, 2, 2, 2] and tr.item.tolist() == [3, 1, 0, 1, 2]
    assert te.user.tolist() == [0, 1, 2] and te.item.tolist() == [0, 4, 3]
    # internal id space = union of both files; ids already 0..n-1 so internal == raw
    assert tr.user_ids.tolist() == [0, 1, 2] and tr.item_ids.tolist() == [0, 1, 2, 3, 4]
    assert tr.same_id_space(te)
    assert str(tr.reports[0]) == (
        "read_lightgcn(train.txt): removed 0 of 5 interactions (0%; lines=3; users_without_items=1)"
    )
    assert read_lightgcn(train).item_ids.tolist() == [0, 1, 2, 3]


def test_read_lightgcn_non_contiguous_ids_whitespace_and_crlf(tmp_path):
    path = write(tmp_path, "t.txt", "10\t7  900\r\n\n5 7\r\n")
    inter = read_lightgcn(path)
    assert inter.user_ids.tolist() == [5, 10] and inter.item_ids.tolist() == [7, 900]
    assert inter.user.tolist() == [1, 1, 0] and inter.item.tolist() == [0, 1, 0]
    huge = read_lightgcn(write(tmp_path, "h.txt", "0 123456789012345678\n1 5\n"))
    assert huge.item_ids.tolist() == [5, 123456789012345678]


def test_read_lightgcn_matches_slow_reference(tmp_path):
    rng = np.random.default_rng(0)
    lines = [" ".join(map(str, [u, *rng.integers(0, 5000, rng.integers(0, 30))])) for u in range(300)]
    path = write(tmp_path, "r.txt", "\n".join(lines) + "\n")
    inter = read_lightgcn(path)
    users, items, _ = slow_user_lines(path)
    assert inter.user_ids[inter.user].tolist() == users
    assert inter.item_ids[inter.item].tolist() == items


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "0 1 2\n1\n2 3 x4\n",
            r"bad.txt:3: expected a non-negative integer id, got 'x4' \(lines are 'uid item",
        ),
        ("0 1\n1 -2\n", r"bad.txt:2: expected a non-negative integer id, got '-2'"),
        ("0 1.5\n", r"bad.txt:1: expected a non-negative integer id, got '1.5'"),
        ("0 1 2\n1 5\n0 3\n", r"bad.txt:3: user 0 already appeared on line 1; expected one line per user"),
        ("0 1234567890123456789\n", r"bad.txt:1: id '1234567890123456789' has more than 18 digits"),
        ("", r"bad.txt: file is empty"),
        (" \n\n", r"bad.txt: file is empty"),
    ],
)
def test_read_lightgcn_errors(tmp_path, text, message):
    with pytest.raises(DataFormatError, match=message):
        read_lightgcn(write(tmp_path, "bad.txt", text))


def test_read_lightgcn_error_in_test_file(tmp_path):
    train = write(tmp_path, "train.txt", "0 1\n")
    test = write(tmp_path, "test.txt", "0 1\n1 2 ?\n")
    with pytest.raises(
        DataFormatError, match=r"test.txt:2: expected a non-negative integer id, got '\?'"
    ) as info:
        read_lightgcn(train, test)
    assert info.value.line == 2
    with pytest.raises(FileNotFoundError):
        read_lightgcn(tmp_path / "nope.txt")


# ------------------------------------------------------------------ sequences
def test_read_sequences_positions_and_one_based_ids(tmp_path):
    path = write(tmp_path, "seq.txt", "1 1 2 3\n2 4 2\n3 1\n")
    inter = read_sequences(path)
    assert inter.user_ids.tolist() == [1, 2, 3] and inter.item_ids.tolist() == [1, 2, 3, 4]
    assert inter.user.tolist() == [0, 0, 0, 1, 1, 2]
    assert inter.item.tolist() == [0, 1, 2, 3, 1, 0]
    assert inter.timestamp.tolist() == [0, 1, 2, 0, 1, 0]
    assert inter.reports[0].step == "read_sequences(seq.txt)"
    with pytest.raises(DataFormatError, match=r"seq2.txt:2: expected a non-negative integer id, got 'a'"):
        read_sequences(write(tmp_path, "seq2.txt", "1 2\n2 a\n"))


# ------------------------------------------------------------------ real data
@pytest.mark.real_data
def test_real_gowalla():
    tr, te = read_lightgcn(data_file("gowalla/train.txt"), data_file("gowalla/test.txt"))
    assert (tr.num_users, tr.num_items, len(tr), len(te)) == (29_858, 40_981, 810_128, 217_242)
    assert tr.user_ids.tolist() == list(range(29_858)) and tr.item_ids.tolist() == list(range(40_981))
    assert tr.csr().nnz == 810_128  # no repeated pairs
    assert te.user_ids is tr.user_ids or np.array_equal(te.user_ids, tr.user_ids)


@pytest.mark.real_data
def test_real_ml100k():
    inter = read_recbole_atomic(data_file("ml-100k/ml-100k.inter"))
    assert (inter.num_users, inter.num_items, len(inter)) == (943, 1_682, 100_000)
    assert inter.user_ids.tolist() == list(range(1, 944))
    assert inter.rating.min() == 1.0 and inter.rating.max() == 5.0
    first = inter.to_frame().iloc[0].tolist()
    assert first == [196, 242, 3.0, 881250949.0]


@pytest.mark.real_data
def test_real_beauty():
    path = data_file("Beauty/Beauty.txt")
    inter = read_sequences(path)
    assert (inter.num_users, inter.num_items, len(inter)) == (22_363, 12_101, 198_502)
    assert inter.user_ids[0] == 1 and inter.item_ids[-1] == 12_101
    users, items, positions = slow_user_lines(path)
    assert inter.user_ids[inter.user].tolist() == users
    assert inter.item_ids[inter.item].tolist() == items
    assert inter.timestamp.tolist() == positions
