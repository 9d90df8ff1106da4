"""`python -m tests.golden --update`: rewrite the pinned end values after an intended model change."""

from __future__ import annotations

import argparse

from . import update

parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
parser.add_argument("--update", action="store_true", help="run the pinned run and rewrite small_run.json")
if parser.parse_args().update:
    print(f"wrote {update()}")
else:
    parser.print_help()
