#!/usr/bin/env bash
# Set up (if needed) and run the main job on the bundled sample corpus:
# print a ten-page selection with a reader's annotations.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/exporter export --range kd1-1918-03-03a..kd1-1918-03-10 --layer translation \
  --user irina --annotations visible --format pdf --output out/sample.pdf --accept-terms
echo "The export is in out/sample.pdf"
