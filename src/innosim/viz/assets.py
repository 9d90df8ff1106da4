"""The page's browser files, checked where Solara's server looks for them.

Solara's server hands the browser its front end (the Vuetify app, RequireJS, Font Awesome) from
``/_solara/cdn/``, a proxy that serves them from a folder of the environment
(``<prefix>/share/solara/cdn``) and fetches from a public CDN only what that folder lacks. The
`viz` extra installs `solara-assets`, the package Solara provides for machines without its CDN,
which puts the files in that folder: after ``pip install -e ".[viz]"`` the page needs no network.
Each Solara release asks for exact versions of these files, so the extra pins Solara and
solara-assets to the same release.

    python -m innosim.viz.assets    # list what is missing; exit 1 if anything is
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from innosim.i18n import msg

PACKAGE_AT_VERSION = r"((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.-]*)"
#: What to tell someone whose environment lacks the files.
INSTALL_HINT = "pip install -e '.[viz]'   (in the project folder: it installs solara-assets beside Solara)"


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
    """The packages of `required_packages` whose files are not in `cache` (Solara's, by default)."""
    cache = cache or cache_dir()
    return [(name, version) for name, version in required_packages()
            if not (cache / f"{name}@{version}" / "package.json").is_file()]


def versions() -> dict[str, str | None]:
    """The installed Solara and solara-assets (None when absent): they must be the same release."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in ("solara", "solara-assets"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def advice(absent: list[tuple[str, str]]) -> str:
    """Why the files are missing and what to do, in one paragraph."""
    names = ", ".join(f"{name}@{version}" for name, version in absent)
    installed = versions()
    if installed["solara-assets"] is None:
        why = msg("solara-assets is not installed")
    else:
        why = msg("solara-assets {assets} does not match solara {solara}", assets=installed['solara-assets'],
                  solara=installed['solara'])
    return msg("the page's browser files are not in this environment ({names}: {why}); the page stays blank "
               "unless this machine reaches Solara's CDN. Install innosim's viz extra again:\n  {command}",
               names=names, why=why, command=msg(INSTALL_HINT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innosim.viz.assets", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    cache = cache_dir()
    absent = missing(cache)
    for name, version in absent:
        print(msg("missing: {name}@{version} (in {cache})", name=name, version=version, cache=cache))
    if absent:
        print(advice(absent))
        return 1
    print(msg("all of Solara's browser files are in {cache}", cache=cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
