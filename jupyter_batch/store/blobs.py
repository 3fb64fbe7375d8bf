"""Content-addressed blob folder: each content is stored once, named by its sha256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from ..errors import CorruptBlob


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class BlobStore:
    """Files under ``root/ab/abcdef...``; writes are atomic, reads are verified."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def put(self, content: bytes) -> str:
        """Store ``content`` (once) and return its sha256."""
        sha = sha256_of(content)
        target = self.path(sha)
        # an existing blob is kept only while it still holds this content, so adding the
        # original file again repairs a corrupted blob
        if target.is_file() and sha256_of(target.read_bytes()) == sha:
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha: str, what: str) -> bytes:
        """The content stored under ``sha``, checked against it; ``what`` names it in errors."""
        try:
            content = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise CorruptBlob(f"{what}: its stored content (blob {sha[:12]}) is missing") from None
        if sha256_of(content) != sha:
            raise CorruptBlob(f"{what}: stored content does not match its sha256 "
                              f"(blob {sha[:12]} is corrupted); it will not be served")
        return content
