"""``jupyter batch workflow validate|save|list|show|publish|offline|export``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.wire import workflow_json, workflow_summary_json
from .context import open_service
from .output import emit_json, fail, table, when, write_out


def read_document(file: str) -> Any:
    """A workflow file's JSON, or InvalidInput naming the file and what is wrong."""
    from ..errors import InvalidInput

    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{file}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None


def validate(args: argparse.Namespace) -> int:
    wf, problems = open_service().validate(read_document(args.file))
    if args.json:
        emit_json({"valid": not problems, "name": wf.name,
                   "problems": [{"where": p.where, "message": p.message} for p in problems]})
    else:
        for problem in problems:
            fail(str(problem), prefix=args.file)
        if not problems:
            print(f"{args.file}: workflow {wf.name!r} is valid "
                  f"({len(wf.tasks)} tasks, {len(wf.references)} references)")
    return 2 if problems else 0


def save(args: argparse.Namespace) -> int:
    info = open_service().save_workflow(read_document(args.file))
    if args.json:
        emit_json(workflow_json(info))
    else:
        print(f"saved draft of {info.name!r} ({info.state})")
    return 0


def _schedule_words(wf: Any) -> str:
    s = wf.schedule
    if s is None:
        return "manual"
    if s.once:
        return f"once at {s.once}"
    return f"cron '{s.cron}' ({s.tz})"


def _next_words(service: Any, info: Any, at: datetime | None) -> str:
    """The next fire ``at`` (an instant of the published version's schedule) as the
    clocks of that schedule's zone show it, the zone named; ``-`` when none is due."""
    if at is None:
        return "-"
    from zoneinfo import ZoneInfo

    wf = service.workflow_version(info.name).definition if info.draft_changed else info.draft
    zone = wf.schedule.tz if wf.schedule else "UTC"
    return f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def list_(args: argparse.Namespace) -> int:
    service = open_service()
    items = service.workflow_overview()
    if args.json:
        emit_json([workflow_summary_json(*item) for item in items])
    else:
        table(["NAME", "STATE", "VERSION", "SCHEDULE", "NEXT", "UPDATED"],
              [[i.name, i.state + (" (draft changed)" if i.state != "draft" and i.draft_changed
                                   else ""),
                i.latest_version, _schedule_words(i.draft), _next_words(service, i, at),
                when(i.updated_at)] for i, _, at in items],
              "no workflows yet: save one with 'jupyter batch workflow save FILE'")
    return 0


def show(args: argparse.Namespace) -> int:
    service = open_service()
    if args.version is not None:
        v = service.workflow_version(args.name, args.version)
        if args.json:
            emit_json({"name": v.name, "version": v.version, "author": v.author,
                       "message": v.message, "published_at": v.published_at.isoformat(),
                       "definition": v.definition.to_dict()})
        else:
            print(f"{v.name} version {v.version}, published {when(v.published_at)} by {v.author}")
            print(v.definition.to_json(), end="")
        return 0
    info, last, at = service.workflow_summary(args.name)
    versions = service.workflow_versions(args.name)
    if args.json:
        data = workflow_summary_json(info, last, at)
        data["versions"] = [{"version": v.version, "author": v.author, "message": v.message,
                             "published_at": v.published_at.isoformat()} for v in versions]
        emit_json(data)
        return 0
    wf = info.draft
    print(f"{info.name}: {info.state}" + (f", latest version {info.latest_version}"
                                          if info.latest_version else ""))
    if wf.description:
        print(f"  {wf.description}")
    print(f"  schedule: {_schedule_words(wf)}")
    if at is not None:
        print(f"  next run: {_next_words(service, info, at)}")
    for ref in wf.references:
        print(f"  reference {ref.id} -> workflow {ref.workflow}" + (f".{ref.task}" if ref.task
                                                                    else ""))
    for task in wf.tasks:
        body = task.resource or task.command or (task.code and "inline code") or ""
        print(f"  task {task.id} ({task.type}) {body}")
    for rel in wf.relations:
        print(f"  {rel.upstream} -> {rel.downstream}" + ("" if rel.crosses_on_rerun
                                                         else " (rerun stops here)"))
    for v in versions:
        print(f"  version {v.version}: {when(v.published_at)} {v.author} {v.message}".rstrip())
    return 0


def publish(args: argparse.Namespace) -> int:
    result = open_service().publish(args.name, args.message)
    v = result.version
    if args.json:
        emit_json({"name": v.name, "version": v.version, "created": result.created,
                   "definition": v.definition.to_dict()})
    elif result.created:
        print(f"published {v.name} version {v.version}")
    else:
        print(f"{v.name}: the draft equals version {v.version}; published it again, "
              "no new version")
    return 0


def offline(args: argparse.Namespace) -> int:
    info = open_service().offline(args.name)
    if args.json:
        emit_json(workflow_json(info))
    else:
        print(f"{info.name} is offline: it will not be scheduled")
    return 0


def export(args: argparse.Namespace) -> int:
    write_out(open_service().export_workflow(args.name, args.version).to_json(), args.output)
    return 0


def register(nouns: Any) -> Any:
    noun = nouns.add_parser("workflow", help="workflow files, drafts and published versions")
    verbs = noun.add_subparsers(dest="verb", metavar="<verb>", required=True)

    def verb(name: str, func: Any, help: str, json_flag: bool = True) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help)
        p.set_defaults(func=func)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        return p

    verb("validate", validate, "check a workflow file; print every problem").add_argument(
        "file", metavar="FILE.workflow.json")
    verb("save", save, "save a workflow file as the draft of its workflow").add_argument(
        "file", metavar="FILE.workflow.json")
    verb("list", list_, "list workflows")
    p = verb("show", show, "show a workflow (its draft, or a published version)")
    p.add_argument("name")
    p.add_argument("--version", type=int, help="a published version")
    p = verb("publish", publish, "publish the draft as a new immutable version")
    p.add_argument("name")
    p.add_argument("-m", "--message", default="", help="what changed")
    verb("offline", offline, "take a published workflow out of scheduling").add_argument("name")
    p = verb("export", export, "write a workflow file (the draft, or a version)", json_flag=False)
    p.add_argument("name")
    p.add_argument("--version", type=int, help="a published version")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    return verbs
