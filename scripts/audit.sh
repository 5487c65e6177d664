#!/usr/bin/env bash
# Dependency audit: the locked dependencies (exported with hashes) against the
# PyPI advisory service, by a pinned pip-audit run with `uv tool run`.
#
# Exit codes, so callers can tell "clean" from "not checked":
#   0  audited: no known vulnerability in any locked dependency
#   1  a dependency has a known vulnerability, or one could not be audited
#      although the service answered (`--strict`)
#   2  the audit could not run for a local reason (no lock export, pip-audit not installable)
#   3  the advisory service cannot be reached: NOTHING was audited
# An unaudited lock is never reported as clean.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PIP_AUDIT_VERSION="2.10.1"
STATE_DIR="${ICP_STACK_STATE_DIR:-.stack}"
REQUIREMENTS="${STATE_DIR}/audit-requirements.txt"
# pip-audit's PyPI service reads each package's per-version JSON document; this
# release of pip exists, so anything but a 200 means the service is not usable from here.
PROBE_URL="${AUDIT_PROBE_URL:-https://pypi.org/pypi/pip/24.0/json}"

say() { printf 'audit: %s\n' "$*"; }

not_run() {
  cat >&2 <<EOF

!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!! dependency audit NOT RUN: advisory service unreachable
!!! ${PROBE_URL} did not answer 200 ($1).
!!! NOTHING was audited; this is not a pass. Run \`make audit\` where it can be reached.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!

EOF
  exit 3
}

probe() {
  uv run --no-project --quiet python - "$PROBE_URL" <<'EOF'
import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=15) as answer:
        print(answer.status)
except Exception as exc:  # any failure means: not reachable for the audit
    print(exc)
    sys.exit(1)
EOF
}

answer="$(probe 2>&1)" || not_run "${answer}"

mkdir -p "$STATE_DIR"
if ! uv export --frozen --no-emit-project --quiet -o "$REQUIREMENTS"; then
  say "FAILED: could not export the locked dependencies (uv export)"
  exit 2
fi
if ! uv tool run --from "pip-audit==${PIP_AUDIT_VERSION}" pip-audit --version >/dev/null; then
  say "FAILED: pip-audit ${PIP_AUDIT_VERSION} could not be installed or run; nothing was audited"
  exit 2
fi
if ! uv tool run --from "pip-audit==${PIP_AUDIT_VERSION}" pip-audit --strict --disable-pip \
  --progress-spinner off -r "$REQUIREMENTS"; then
  say "FAILED: a dependency has a known vulnerability, or could not be audited; see above"
  exit 1
fi
say "audited clean: no known vulnerability in the locked dependencies"
