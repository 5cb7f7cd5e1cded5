"""Real recorders from npm, built at test time: each entry file here (``rrweb_default.js``, ``sentry_default.js``...)
bundled by esbuild into one IIFE, the way a site would ship it, ready to inject as the snippet under test.

The packages are pinned exactly by ``package.json`` and ``package-lock.json`` (committed); ``node_modules`` is
installed with ``npm ci`` when missing or installed from another lock, and the bundles are kept in a cache folder
keyed by the lock file's hash (``~/.cache/telltale-test-trackers/<hash>/``, or under ``$XDG_CACHE_HOME``), so a
second run needs neither the registry nor esbuild. Nothing built here is committed.

Without npm the tests that need a recorder skip, saying why; in CI (``CI=true``) they fail instead, as a missing
browser does: a proof that skips itself there is a proof no one sees disappear.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

HERE: Final = Path(__file__).resolve().parent
LOCK: Final = HERE / "package-lock.json"
# Written into node_modules after a successful `npm ci`: the hash of the lock it installed.
INSTALLED_STAMP: Final = HERE / "node_modules" / ".telltale-lock-sha256"
ESBUILD: Final = HERE / "node_modules" / ".bin" / "esbuild"
NPM_TIMEOUT_S: Final = 600
BUILD_TIMEOUT_S: Final = 120


class TrackerBuildError(Exception):
    """npm or esbuild could not produce a bundle; the message is one line saying what failed."""


def entries() -> list[str]:
    """The tracker configurations: one entry file each, named by its stem (``sentry_unmasked``)."""
    return sorted(path.stem for path in HERE.glob("*.js"))


def lock_hash() -> str:
    """The SHA-256 of ``package-lock.json``: what was installed and what the cache is keyed by."""
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def cache_root() -> Path:
    """The folder bundles of this lock are kept in (created on first use)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "telltale-test-trackers" / lock_hash()[:16]


def _run(command: list[str], timeout_s: int) -> None:
    try:
        done = subprocess.run(command, cwd=HERE, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise TrackerBuildError(f"{' '.join(command[:2])} in {HERE} took over {timeout_s} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise TrackerBuildError(f"{' '.join(command[:2])} in {HERE} exited {done.returncode}: {last}")


def install() -> None:
    """``npm ci`` in this folder unless node_modules already holds what the current lock pins."""
    wanted = lock_hash()
    if INSTALLED_STAMP.is_file() and INSTALLED_STAMP.read_text().strip() == wanted and ESBUILD.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise TrackerBuildError("npm is not installed (.ci/setup installs nodejs and npm as root)")
    _run([npm, "ci", "--no-audit", "--no-fund", "--silent"], NPM_TIMEOUT_S)
    INSTALLED_STAMP.write_text(wanted + "\n")


def bundle(name: str) -> Path:
    """The IIFE bundle of entry ``name`` (built once per lock and entry text; later calls read the cache)."""
    entry = HERE / f"{name}.js"
    if not entry.is_file():
        raise TrackerBuildError(f"{entry}: no such tracker entry (known: {', '.join(entries())})")
    entry_hash = hashlib.sha256(entry.read_bytes()).hexdigest()[:16]
    target = cache_root() / f"{name}-{entry_hash}.js"
    if target.is_file():
        return target
    install()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    _run([str(ESBUILD), entry.name, "--bundle", "--format=iife", "--minify", "--log-level=error",
          f"--outfile={partial}"], BUILD_TIMEOUT_S)
    partial.replace(target)  # one rename: a reader never sees half a bundle
    return target


def bundle_or_skip(name: str) -> Path:
    """:func:`bundle`, or the test skipped saying why it could not be built; in CI (``CI=true``) failed instead."""
    try:
        return bundle(name)
    except TrackerBuildError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real recorders cannot be built: {error}", pytrace=False)
        pytest.skip(f"real recorders cannot be built: {error}")


@pytest.fixture(scope="session")
def tracker_bundle() -> Callable[[str], Path]:
    """Hands the path of a real recorder's bundle by entry name (``tracker_bundle("rrweb_default")``); skips
    the test when npm is missing or the build fails, except in CI, where that fails it."""
    return bundle_or_skip
