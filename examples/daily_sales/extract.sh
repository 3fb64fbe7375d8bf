#!/bin/sh
# Extract the day's sales; the logical date and params arrive as environment variables.
echo "extracting sales for $BATCH_DS in region $BATCH_PARAM_REGION"
