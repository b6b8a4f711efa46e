"""``gcl datasets ...``: list, describe and verify registered datasets."""

from __future__ import annotations

import argparse

from gcl.data.info import compare_stats, observed_stats
from gcl.data.registry import check_files, get_card, list_cards
from gcl.data.root import data_root


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``gcl datasets``."""
    parser = subparsers.add_parser("datasets", help="list, describe and verify datasets")
    parser.add_argument("--data-dir", default=None, help="data root (default: $GCL_DATA_DIR or ~/.cache/gcl)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="registered datasets and whether their files are present").set_defaults(
        func=_list
    )
    info = sub.add_parser("info", help="load a dataset and print its statistics beside the card's")
    info.add_argument("name")
    info.add_argument("--no-download", action="store_true", help="fail instead of downloading missing files")
    info.set_defaults(func=_info)
    check = sub.add_parser("check", help="verify the checksums of the files on disk")
    check.add_argument("names", nargs="*", help="datasets to check (default: all present)")
    check.set_defaults(func=_check)


def _list(args: argparse.Namespace) -> int:
    root = data_root(args.data_dir)
    print(f"data root: {root}")
    print(f"{'name':<18}{'task':<6}{'format':<16}{'present':<9}source")
    for card in list_cards():
        present = "yes" if not card.missing_files(root) else "no"
        print(f"{card.name:<18}{card.task:<6}{card.format:<16}{present:<9}{card.source}")
    return 0


def _info(args: argparse.Namespace) -> int:
    card = get_card(args.name)
    observed = observed_stats(card, args.data_dir, download=not args.no_download)
    print(f"{card.display_name}  [{card.name}]  ({card.task}, {card.format})")
    print(f"files:   {card.directory_in(args.data_dir)}")
    print(f"source:  {card.source}")
    print(f"license: {card.license}")
    print(f"cite:    {card.citation}")
    print(f"{'statistic':<22}{'observed':>12}{'card':>12}")
    ok = True
    for key, expected, got, match in compare_stats(card, observed):
        ok &= match
        flag = "" if match else "  <- differs from the card"
        print(f"{key:<22}{got!s:>12}{expected!s:>12}{flag}")
    if "note" in card.stats:
        print(f"note: {card.stats['note']}")
    return 0 if ok else 1


def _check(args: argparse.Namespace) -> int:
    root = data_root(args.data_dir)
    cards = (
        [get_card(n) for n in args.names]
        if args.names
        else [c for c in list_cards() if not c.missing_files(root)]
    )
    bad = 0
    for card in cards:
        for result in check_files(card, root):
            bad += result.status in ("mismatch", "missing")
            detail = f"  {result.detail}" if result.detail else ""
            print(f"{card.name:<18}{result.path:<32}{result.status}{detail}")
    if not cards:
        print(f"no dataset has its files under {root}")
    return 1 if bad else 0
