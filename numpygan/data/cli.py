"""``numpygan data ...``: the dataset subcommand.

Two ways in, for whoever writes the top-level ``numpygan`` command:

* ``add_data_subparser(subparsers)`` registers ``data`` on an existing
  ``argparse`` sub-parser set; the parsed namespace's ``func(args)``
  runs the command and returns the exit code;
* ``data_main(argv)`` parses and runs the words after ``data``, e.g.
  ``data_main(["fetch", "mnist"])``, and returns the exit code.

Commands::

    numpygan data fetch mnist|fashion [...] [--cache-dir DIR] [--force] [--offline] [--quiet]
    numpygan data path

Exit codes: 0 success, 1 some dataset could not be obtained, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

from .cache import resolve_cache_dir
from .datasets import DatasetUnavailableError, fetch, get_spec

__all__ = ["add_data_subparser", "build_parser", "run_data_command", "data_main"]

_NAMES = ("mnist", "fashion", "fashion-mnist", "all")


def _configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    commands = parser.add_subparsers(dest="data_command", metavar="COMMAND")
    commands.required = True

    fetch_p = commands.add_parser(
        "fetch",
        help="download, verify and cache datasets ahead of time",
        description="Obtain datasets from the first source that works (cache, official "
                    "mirrors, offline fallbacks), verify them by SHA-256 and cache them.",
    )
    fetch_p.add_argument("names", nargs="+", choices=_NAMES, metavar="NAME",
                         help="mnist, fashion (alias fashion-mnist), or all")
    fetch_p.add_argument("--cache-dir", default=None,
                         help="cache directory (default: $NUMPYGAN_DATA or ~/.cache/numpygan)")
    fetch_p.add_argument("--force", action="store_true", help="ignore the cached copy and fetch again")
    fetch_p.add_argument("--offline", action="store_true", help="use only local sources, no network")
    fetch_p.add_argument("--quiet", action="store_true", help="print only errors")

    path_p = commands.add_parser("path", help="print the cache directory in use")
    path_p.add_argument("--cache-dir", default=None)

    parser.set_defaults(func=run_data_command)
    return parser


def add_data_subparser(subparsers: "argparse._SubParsersAction") -> argparse.ArgumentParser:
    """Add the ``data`` command to ``subparsers``; return its parser.

    After ``args = parser.parse_args()``, ``args.func(args)`` returns the exit code.
    """
    parser = subparsers.add_parser("data", help="fetch and manage datasets",
                                   description="Fetch and manage the datasets numpygan uses.")
    return _configure(parser)


def build_parser(prog: str = "numpygan data") -> argparse.ArgumentParser:
    """A stand-alone parser for the words after ``numpygan data``."""
    return _configure(argparse.ArgumentParser(prog=prog, description="Fetch and manage datasets."))


def run_data_command(args: argparse.Namespace) -> int:
    """Run a parsed ``data`` command; return the exit code."""
    if args.data_command == "path":
        print(resolve_cache_dir(args.cache_dir))
        return 0
    names: List[str] = []
    for name in args.names:
        for spec_name in (("mnist", "fashion") if name == "all" else (name,)):
            if get_spec(spec_name).name not in [get_spec(n).name for n in names]:
                names.append(spec_name)
    status = 0
    for name in names:
        try:
            result = fetch(name, cache_dir=args.cache_dir, download=not args.offline,
                           verbose=not args.quiet, force=args.force)
        except DatasetUnavailableError as exc:
            print(f"numpygan data fetch: {exc}", file=sys.stderr)
            status = 1
            continue
        # fetch itself already reported the source on stderr unless --quiet.
        del result
    return status


def data_main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point for ``numpygan data ARGS``; ``argv`` excludes ``data`` itself.

    Returns 0 on success, 1 if a dataset could not be obtained, 2 on a usage error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse exits on --help and on bad usage
        return int(exc.code or 0)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(data_main())
