"""Where the published reference numbers live (outside the project, never copied in).

The folder is ``../shared/validation`` next to the project root, or the path in the
environment variable ``LDN_N1_VALIDATION``. Tests that need it skip with a clear reason
when it is absent, as on a user's own clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def validation_dir() -> Path | None:
    """Return the validation folder, or None when it is not available."""
    env = os.environ.get("LDN_N1_VALIDATION")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "validation")
    for path in candidates:
        if path.is_dir():
            return path
    return None


def require(subfolder: str) -> Path:
    """Return ``validation/<subfolder>`` or skip the calling test module with a reason."""
    base = validation_dir()
    if base is None or not (base / subfolder).is_dir():
        pytest.skip(
            f"reference data '../shared/validation/{subfolder}' not found next to the project "
            "(set LDN_N1_VALIDATION to its path to run the reference tests)",
            allow_module_level=True,
        )
    return base / subfolder
