"""Versioned resources: immutable numbered versions whose content lives in the blob folder."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine, Row, func, insert, select

from ..errors import NotFound
from ..model.records import AddedVersion, ResourceInfo, ResourceVersion
from ..model.resource import check_resource_name, namespace_of, resource_format
from .blobs import BlobStore
from .db import reading
from .tables import resource_versions as rv
from .tables import resources as res


def _version(name: str, row: Row) -> ResourceVersion:
    return ResourceVersion(name=name, version=row.version, sha256=row.sha256, size=row.size,
                           message=row.message, author=row.author, created_at=row.created_at)


class ResourceRepo:
    def __init__(self, engine: Engine, blobs: BlobStore) -> None:
        self._engine = engine
        self._blobs = blobs

    def add(self, name: str, content: bytes, message: str, author: str) -> AddedVersion:
        """Store ``content`` as version n+1 of ``name`` — unless it equals the latest
        version, which is then returned with ``created=False``. (Whether a name may be
        written is the service's to say: ``library/`` names are its own.)"""
        check_resource_name(name)
        fmt = resource_format(name)
        sha = self._blobs.put(content)
        now = datetime.now(timezone.utc)
        with self._engine.begin() as conn:
            resource_id = conn.execute(select(res.c.id).where(res.c.name == name)).scalar()
            if resource_id is None:
                created = conn.execute(insert(res).values(
                    name=name, format=fmt, namespace=namespace_of(name), created_at=now))
                resource_id = created.inserted_primary_key[0]
            latest = conn.execute(
                select(rv).where(rv.c.resource_id == resource_id)
                .order_by(rv.c.version.desc()).limit(1)).first()
            if latest is not None and latest.sha256 == sha:
                return AddedVersion(_version(name, latest), created=False)
            number = 1 if latest is None else latest.version + 1
            values = dict(resource_id=resource_id, version=number, sha256=sha, size=len(content),
                          message=message, author=author, created_at=now)
            conn.execute(insert(rv).values(**values))
        return AddedVersion(ResourceVersion(name=name, version=number, sha256=sha,
                                            size=len(content), message=message, author=author,
                                            created_at=now), created=True)

    def list(self) -> list[ResourceInfo]:
        query = (select(res.c.name, res.c.format, res.c.namespace,
                        func.max(rv.c.version).label("latest"),
                        func.max(rv.c.created_at).label("updated_at"))
                 .join(rv, rv.c.resource_id == res.c.id)
                 .group_by(res.c.id).order_by(res.c.name))
        with reading(self._engine) as conn:
            return [ResourceInfo(name=r.name, format=r.format, latest_version=r.latest,
                                 updated_at=r.updated_at, namespace=r.namespace)
                    for r in conn.execute(query)]

    def latest_hashes(self, namespace: str) -> dict[str, str]:
        """Name → sha256 of the latest version, of every resource in ``namespace``."""
        latest = (select(rv.c.resource_id, func.max(rv.c.version).label("version"))
                  .group_by(rv.c.resource_id).subquery())
        query = (select(res.c.name, rv.c.sha256).join(latest, latest.c.resource_id == res.c.id)
                 .join(rv, (rv.c.resource_id == res.c.id) & (rv.c.version == latest.c.version))
                 .where(res.c.namespace == namespace))
        with reading(self._engine) as conn:
            return {r.name: r.sha256 for r in conn.execute(query)}

    def latest_version(self, name: str) -> int | None:
        """The latest version number of ``name``, or None when there is no such resource."""
        query = (select(func.max(rv.c.version)).join(res, rv.c.resource_id == res.c.id)
                 .where(res.c.name == name))
        with reading(self._engine) as conn:
            return conn.execute(query).scalar()

    def versions(self, name: str) -> list[ResourceVersion]:
        query = (select(rv).join(res, rv.c.resource_id == res.c.id)
                 .where(res.c.name == name).order_by(rv.c.version))
        with reading(self._engine) as conn:
            rows = conn.execute(query).all()
        if not rows:
            raise NotFound(f"no resource named {name!r}")
        return [_version(name, r) for r in rows]

    def version(self, name: str, version: int | None = None) -> ResourceVersion:
        """One version (the latest when ``version`` is None); NotFound says which is missing."""
        versions = self.versions(name)
        if version is None:
            return versions[-1]
        for v in versions:
            if v.version == version:
                return v
        raise NotFound(f"resource {name!r} has no version {version} (latest is "
                       f"{versions[-1].version})")

    def read(self, name: str, version: int | None = None) -> tuple[ResourceVersion, bytes]:
        """A version and its content, verified against its sha256."""
        v = self.version(name, version)
        return v, self._blobs.get(v.sha256, f"resource {v.ref}")
