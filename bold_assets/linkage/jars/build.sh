#!/usr/bin/env bash
# Rebuild bold-similarity.jar from src/ (needs a JDK 17+ and pyspark installed in the venv).
# The jar carries its source too: tests/test_engine.py checks the two still agree.
set -euo pipefail
cd "$(dirname "$0")"
spark_jars="$(python -c 'import pyspark, os; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
javac --release 17 -cp "$spark_jars/*" -d "$build" src/boldassets/*.java
cp src/boldassets/*.java "$build/boldassets/"
jar --create --date=2026-01-01T00:00:00Z --file bold-similarity.jar -C "$build" boldassets
