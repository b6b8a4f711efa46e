import hashlib
import zipfile

import pytest
import yaml

from gcl.data import registry
from gcl.data.registry import check_files, ensure_files, get_card, list_cards
from gcl.errors import DatasetNotFoundError, UnknownNameError

REQUIRED = {
    "cora",
    "citeseer",
    "pubmed",
    "amazon-computers",
    "amazon-photo",
    "coauthor-cs",
    "wikics",
    "gowalla",
    "yelp2018",
    "amazon-book",
    "ml-100k",
    "ml-1m",
    "beauty",
    "sports",
    "toys",
}


def test_every_required_card_is_registered_and_complete():
    cards = {c.name: c for c in list_cards()}
    assert REQUIRED <= set(cards)
    for card in cards.values():
        assert card.source.startswith("https://"), card.name
        assert card.license and card.citation and card.stats, card.name
        for f in card.files:
            assert f.url or card.archive, (card.name, f.path)


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownNameError, match="Did you mean 'cora'"):
        get_card("coraa")
    assert get_card("CiteSeer").name == "citeseer"


@pytest.fixture
def fake_cards(tmp_path, monkeypatch):
    """A card folder with one dataset served from a loopback server."""
    folder = tmp_path / "cards"
    folder.mkdir()
    monkeypatch.setenv(registry.CARDS_ENV_VAR, str(folder))
    registry._all_cards.cache_clear()
    yield folder
    registry._all_cards.cache_clear()


def write_card(folder, **fields):
    base = {"name": "toy", "task": "rec", "format": "lightgcn", "directory": "toy", "stats": {"users": 2}}
    base.update(fields)
    (folder / "toy.yaml").write_text(yaml.safe_dump(base))


def test_ensure_files_downloads_missing_files(fake_cards, http_server, tmp_path):
    body = b"0 1 2\n1 0\n"
    url = http_server.serve("/toy/train.txt", body)
    write_card(
        fake_cards, files=[{"path": "train.txt", "url": url, "sha256": hashlib.sha256(body).hexdigest()}]
    )
    root = tmp_path / "data"
    base = ensure_files("toy", root)
    assert (base / "train.txt").read_bytes() == body
    assert [c.status for c in check_files("toy", root)] == ["ok"]
    (base / "train.txt").write_bytes(b"tampered")
    assert [c.status for c in check_files("toy", root)] == ["mismatch"]


def test_offline_error_lists_missing_files_and_where(fake_cards, tmp_path):
    write_card(
        fake_cards,
        files=[
            {"path": "train.txt", "url": "http://127.0.0.1:9/train.txt"},
            {"path": "test.txt", "url": "http://127.0.0.1:9/test.txt"},
        ],
    )
    root = tmp_path / "data"
    with pytest.raises(DatasetNotFoundError) as info:
        ensure_files("toy", root)
    message = str(info.value)
    assert "train.txt" in message and "test.txt" in message
    assert str(root / "toy") in message and "GCL_DATA_DIR" in message
    assert list((root / "toy").iterdir()) == []


def test_archive_members_are_extracted_and_verified(fake_cards, http_server, tmp_path):
    inter = b"user_id:token\titem_id:token\n1\t2\n"
    archive = tmp_path / "toy.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("toy/toy.inter", inter)
    url = http_server.serve("/toy.zip", archive.read_bytes())
    write_card(
        fake_cards,
        format="recbole-atomic",
        archive={"url": url, "format": "zip"},
        files=[{"path": "toy.inter", "sha256": hashlib.sha256(inter).hexdigest()}],
    )
    base = ensure_files("toy", tmp_path / "data")
    assert (base / "toy.inter").read_bytes() == inter
    assert sorted(p.name for p in base.iterdir()) == ["toy.inter"]


@pytest.mark.real_data
def test_shared_files_match_their_cards(data_dir):
    for name in ("cora", "citeseer", "ml-100k", "beauty", "gowalla"):
        statuses = {c.path: c.status for c in check_files(name, data_dir)}
        assert "mismatch" not in statuses.values(), (name, statuses)
        assert "missing" not in statuses.values(), (name, statuses)
