"""No credential is committed: every tracked (or about-to-be-added) file is scanned for key shapes.

The patterns are the shapes of real secrets (our API keys, cloud and SaaS tokens,
private keys, signed JWTs). The local development defaults in the settings
(`local-development-…`) are deliberately not secret-shaped; production takes
its keys from the secrets manager. A scan is only as good as its patterns: it
catches a pasted key, not a secret of an unknown shape.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATTERNS: dict[str, re.Pattern[str]] = {
    "import control plane API key": re.compile(r"\bicp_[A-Za-z0-9_-]{40,}"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}\b"),
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Shopify access token": re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    "Stripe live key": re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}"),
    "signed JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
}
MAX_BYTES = 2_000_000
"""Larger files are data, not code; none is tracked today, and a key would not hide in one unnoticed for long."""


def _files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    names = [name for name in listed.stdout.decode().split("\0") if name]
    return [ROOT / name for name in names if (ROOT / name).is_file()]


def findings(text: str) -> list[str]:
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(text)]


def test_the_scanner_finds_each_kind_of_secret() -> None:
    """Samples are assembled at run time, so this file itself carries none."""
    samples = {
        "import control plane API key": "icp_" + "Ab3_" * 11,
        "AWS access key id": "AKIA" + "Q" * 16,
        "AWS secret access key": "aws_secret_access_key = " + "a1B2" * 10,
        "private key": "-----BEGIN " + "RSA PRIVATE KEY-----",
        "GitHub token": "ghp_" + "x" * 36,
        "Slack token": "xoxb-" + "1234567890-abc",
        "Shopify access token": "shpat_" + "0f" * 16,
        "Stripe live key": "sk_live_" + "Z" * 20,
        "signed JWT": "eyJ" + "a" * 12 + ".eyJ" + "b" * 12 + "." + "c" * 12,
    }
    for kind, sample in samples.items():
        assert findings(f"token: {sample}\n") == [kind]
    assert findings("shpat_sim_acme local-development-pepper icp_short") == []


def test_no_tracked_file_contains_a_secret() -> None:
    files = _files()
    assert len(files) > 100, "git listed too few files: is this a checkout?"
    leaks = []
    for path in files:
        if path.stat().st_size > MAX_BYTES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary (images, charts)
        leaks.extend(f"{path.relative_to(ROOT)}: {kind}" for kind in findings(text))
    if leaks:
        pytest.fail("secret-shaped strings in the repository:\n" + "\n".join(leaks))
