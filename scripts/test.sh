#!/usr/bin/env bash
# The test command: install kgsite with its test tools, make sure Debian's Chromium is
# there for the browser tests, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e '.[test]'
# an editable install compiles nothing; where Python writes no bytecode as it imports
# (PYTHONDONTWRITEBYTECODE), each of the suite's kgsite processes would compile kgsite again
python3 -m compileall -q graph generator benchmarks >/dev/null
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null
  else
    echo "chromium is missing: install Debian's chromium package (apt-get install chromium)" >&2
  fi
fi
export KGSITE_REQUIRE_BROWSER="${KGSITE_REQUIRE_BROWSER:-${CI:-}}"
python3 -m pytest -n 2 "$@"
