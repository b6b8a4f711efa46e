"""The ``gcl`` command.

Subcommands are registered by small ``add_parser(subparsers)`` functions that live next to the
code they drive (``gcl.data.commands``, ``gcl.node.commands`` ...), so this file stays a switchboard.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from gcl.train.cpu_malloc import keep_freed_memory
from gcl.train.stop_signal import terminate_as_interrupt

# Modules that contribute subcommands; each has ``add_parser(subparsers) -> None``.
COMMAND_MODULES = ("gcl.data.commands", "gcl.node.commands", "gcl.rec.commands", "gcl.seq.commands")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="gcl", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that task's commands are not part of this build
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        keep_freed_memory()  # fewer page faults in training loops; GCL_MALLOC=system opts out
        with terminate_as_interrupt():  # `kill PID` ends a background run as Ctrl-C does
            return int(args.func(args) or 0)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        print(f"gcl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # before anything was validated, or outside a trainer
        print(f"gcl: interrupted{f' ({exc})' if str(exc) else ''}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
