"""The installed `holidays` package's version and a stamp of its UK rules, found without importing it.

Every cache whose content depends on the bank holidays (calendar tables, validation results) keys on
this. It lives apart from `calendar.source` (the package's one home) so that reading it loads nothing
but `importlib.util` and `pathlib`: the `reviewflow` script computes a validation key before it loads
anything else (reviewflow.launch).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_fingerprint() -> tuple[str, str]:
    """(version, fingerprint) of the installed `holidays` package, found without importing it.

    importlib.metadata costs ~30 ms to import, more than everything else a warm CLI run does, so the
    version is read from the name of the `holidays-<version>.dist-info` folder beside the package.
    The fingerprint adds the modification time of the UK rules, so an in-place edit of the package
    still invalidates the disk cache.
    """
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return "missing", "missing"
    package_dir = Path(spec.origin).parent
    version = "unknown"
    for info in package_dir.parent.glob("holidays-*.dist-info"):
        version = info.name.removeprefix("holidays-").removesuffix(".dist-info")
        break
    try:
        stamp = (package_dir / "countries" / "united_kingdom.py").stat().st_mtime_ns
    except OSError:
        stamp = 0
    return version, f"{version}:{stamp}"
