#!/usr/bin/env bash
# The main job on the embedded defaults: add the example's scripts and notebook as
# versioned resources, validate, save and publish the example workflow, run it for a
# logical date and look at what it did; then turn a built-in program of the library
# into a workflow and run it.
set -euo pipefail
cd "$(dirname "$0")/daily_sales"
export JUPYTER_BATCH_DIR="${JUPYTER_BATCH_DIR:-$PWD/../../.batch-demo}"
echo "state folder: $JUPYTER_BATCH_DIR"
set -x
jupyter batch resource add extract.sh -m "extract the day's sales"
jupyter batch resource add clean.py -m "clean the extracted sales"
jupyter batch resource add report.ipynb -m "the daily report"
jupyter batch workflow validate daily_sales.workflow.json
jupyter batch workflow save daily_sales.workflow.json
jupyter batch workflow publish daily_sales -m "first release"
jupyter batch workflow list
jupyter batch workflow run daily_sales --date 2026-11-21
run_id=$(jupyter batch runs --workflow daily_sales --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')
jupyter batch runs "$run_id"
jupyter batch logs "$run_id" clean
jupyter batch output "$run_id" report --html -o "$JUPYTER_BATCH_DIR/report.html"
jupyter batch rerun "$run_id" clean --downstream --preview
# a built-in program turned into a workflow in one step, then run
jupyter batch library list
jupyter batch workflow show sales_targets_long >/dev/null 2>&1 \
  || jupyter batch library use columns_to_rows --workflow sales_targets_long --publish \
       --param source="$PWD/targets.csv" --param id_columns=region \
       --param key_name=quarter --param value_name=target --param target=sales_targets
jupyter batch workflow run sales_targets_long --date 2026-11-21
jupyter batch warehouse preview sales_targets
