"""Clean the extracted sales for the logical date given by jupyter-batch."""
import os

day = os.environ.get("BATCH_DS", "unknown day")
region = os.environ.get("BATCH_PARAM_REGION", "all regions")
print(f"cleaning sales of {day} for {region}")
