"""``jupyter batch resource add|list|versions|cat|diff``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .context import open_service
from .output import emit_json, table, when


def add(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput

    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {args.file}: {exc.strerror}") from None
    result = open_service().add_resource(args.name or path.name, content, args.message, args.author)
    if args.json:
        emit_json(result)
    elif result.created:
        print(f"added {result.version.ref} ({result.version.size} bytes)")
    else:
        print(f"unchanged: {args.name or path.name} is identical to version "
              f"{result.version.version}; no new version")
    return 0


def list_(args: argparse.Namespace) -> int:
    items = open_service().list_resources()
    if args.json:
        emit_json(items)
    else:
        table(["NAME", "FORMAT", "LATEST", "UPDATED"],
              [[r.name, r.format, r.latest_version, when(r.updated_at)] for r in items], "")
    return 0


def versions(args: argparse.Namespace) -> int:
    items = open_service().resource_versions(args.name)
    if args.json:
        emit_json(items)
    else:
        table(["VERSION", "SIZE", "AUTHOR", "CREATED", "MESSAGE"],
              [[v.version, v.size, v.author, when(v.created_at), v.message] for v in items], "")
    return 0


def cat(args: argparse.Namespace) -> int:
    _, content = open_service().read_resource(args.ref)
    sys.stdout.buffer.write(content)
    sys.stdout.flush()
    return 0


def diff(args: argparse.Namespace) -> int:
    sys.stdout.write(open_service().diff_resource(args.name, args.old, args.new))
    return 0


def register(nouns: Any) -> None:
    noun = nouns.add_parser("resource", help="versioned scripts, notebooks, SQL and archives")
    verbs = noun.add_subparsers(dest="verb", metavar="<verb>", required=True)

    p = verbs.add_parser("add", help="add a file as a new version of a resource")
    p.add_argument("file", help="the file to add")
    p.add_argument("--name", help="resource name (default: the file's name)")
    p.add_argument("-m", "--message", default="", help="what changed")
    p.add_argument("--author", help="who made it (default: $JUPYTER_BATCH_AUTHOR or your login)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=add)

    p = verbs.add_parser("list", help="list resources")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=list_)

    p = verbs.add_parser("versions", help="list the versions of a resource")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=versions)

    p = verbs.add_parser("cat", help="print a version's content (NAME or NAME@VERSION)")
    p.add_argument("ref", metavar="NAME[@VERSION]")
    p.set_defaults(func=cat)

    p = verbs.add_parser("diff", help="unified diff of two versions of a text resource")
    p.add_argument("name")
    p.add_argument("old", type=int, metavar="OLD")
    p.add_argument("new", type=int, metavar="NEW")
    p.set_defaults(func=diff)
