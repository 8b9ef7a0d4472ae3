#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the dist-keras
# Higgs notebook experiment on the sample data shipped in examples/data, with
# the local launcher. Extra arguments go to the example (e.g. --data DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/bootstrap.sh" "$here/build"
cd "$here"
exec "$here/build/lunet" examples/higgs_notebook.lua "$@"
