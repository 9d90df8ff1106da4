"""The page's browser files, for machines that reach package registries but not Solara's CDN.

Solara's server hands the browser its front end (the Vuetify app, RequireJS, Font Awesome) from
``/_solara/cdn/``, a proxy that fetches from a public CDN and keeps a copy in a cache folder. The
files are npm packages, so on a machine where only the npm registry is reachable (CI here) this
module fills that cache with ``npm pack``, the same files the CDN would serve:

    python -m innosim.viz.assets            # fetch what is missing (needs npm)
    python -m innosim.viz.assets --check    # list what is missing; exit 1 if anything is

Run it with the Python of the environment that serves the page: the cache is per environment.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE_AT_VERSION = r"((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.-]*)"


def cache_dir() -> Path:
    """Solara's proxy cache: where ``/_solara/cdn/<package>@<version>/...`` is looked up first."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def required_packages() -> list[tuple[str, str]]:
    """(npm name, version) of the files every Solara page loads, read from the installed Solara."""
    import ipyvue
    import solara.server
    import solara.server.settings as settings

    template = (Path(solara.server.__file__).parent / "templates" / "solara.html.j2").read_text(encoding="utf-8")
    app = "@widgetti/solara-vuetify3-app" if ipyvue.__version__.startswith("3") else "@widgetti/solara-vuetify-app"
    found = dict(re.findall(r"\{\{\s*cdn\s*\}\}/" + PACKAGE_AT_VERSION + "/", template))
    packages = [(name, found[name]) for name in (app, "requirejs") if name in found]
    awesome = re.search(PACKAGE_AT_VERSION, settings.assets.fontawesome_path)
    if awesome:
        packages.append((awesome.group(1), awesome.group(2)))
    return packages


def missing(cache: Path | None = None) -> list[tuple[str, str]]:
    cache = cache or cache_dir()
    return [(name, version) for name, version in required_packages()
            if not (cache / f"{name}@{version}" / "package.json").is_file()]


def fetch(name: str, version: str, cache: Path) -> Path:
    """`npm pack` one package and unpack it where the CDN proxy looks for it."""
    target = cache / f"{name}@{version}"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{name}@{version}", "--pack-destination", tmp, "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
        archive = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            members = []
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if len(parts) < 2 or not (member.isfile() or member.isdir()):
                    continue  # the archive's own top folder ("package/"), links
                member.name = str(Path(*parts[1:]))
                members.append(member)
            target.mkdir(parents=True, exist_ok=True)
            tar.extractall(target, members=members, filter="data")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innosim.viz.assets", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only list the missing packages")
    args = parser.parse_args(argv)
    cache = cache_dir()
    todo = missing(cache)
    for name, version in todo:
        if args.check:
            print(f"missing: {name}@{version} (in {cache})")
        else:
            print(f"fetching {name}@{version} into {fetch(name, version, cache)}")
    if not todo:
        print(f"all of Solara's browser files are in {cache}")
    return 1 if args.check and todo else 0


if __name__ == "__main__":
    sys.exit(main())
