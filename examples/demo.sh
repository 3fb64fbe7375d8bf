#!/usr/bin/env bash
# The main job on the embedded defaults: add the example's scripts as versioned
# resources, validate, save and publish the example workflow, and list it.
set -euo pipefail
cd "$(dirname "$0")/daily_sales"
export JUPYTER_BATCH_DIR="${JUPYTER_BATCH_DIR:-$PWD/../../.batch-demo}"
echo "state folder: $JUPYTER_BATCH_DIR"
set -x
jupyter batch resource add extract.sh -m "extract the day's sales"
jupyter batch resource add clean.py -m "clean the extracted sales"
jupyter batch workflow validate daily_sales.workflow.json
jupyter batch workflow save daily_sales.workflow.json
jupyter batch workflow publish daily_sales -m "first release"
jupyter batch workflow list
jupyter batch workflow show daily_sales
