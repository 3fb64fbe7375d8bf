"""Where files live: a local path or any fsspec URL (``s3://``, ``gs://``, ``abfs://``,
``sftp://``, ``zip://x.csv::archive.zip``...). Backends beyond local ones are optional
extras; a missing one is named with the ``pip install`` that brings it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput

#: fsspec protocol → the extra of jupyter-batch that installs its backend
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "abfs": "azure",
          "abfss": "azure", "az": "azure", "adl": "azure", "sftp": "sftp", "ssh": "sftp",
          "http": "http", "https": "http", "hdfs": "hdfs"}


def protocol_of(url: str) -> str:
    """``s3://b/k`` → ``s3``; a local path → ``file`` (of a chained URL, the first)."""
    head = url.split("::", 1)[0]
    return head.split("://", 1)[0].lower() if "://" in head else "file"


def is_url(text: str) -> bool:
    """Whether ``text`` names a file by URL (``scheme://...``) rather than a local path."""
    return protocol_of(text) != "file"


def filesystem(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path on it. InvalidInput when its backend
    is not installed (naming the install) or the URL is not one fsspec reads."""
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url, **(storage_options or {}))
    except ImportError as exc:
        extra = EXTRAS.get(protocol_of(url))
        hint = (f"pip install 'jupyter-batch[{extra}]'" if extra
                else f"install the fsspec backend of {protocol_of(url)}:// ({exc})")
        raise InvalidInput(f"{url}: the {protocol_of(url)}:// backend is not installed: "
                           f"{hint}") from None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"cannot open {url}: {exc}") from None


def is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)
