"""The OpenAPI document of the REST API (``openapi.json`` beside this file, written by
hand; a test checks it describes every route of ``routes.ROUTES``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


@cache
def openapi_document() -> dict[str, Any]:
    return json.loads(Path(__file__).with_name("openapi.json").read_text(encoding="utf-8"))
