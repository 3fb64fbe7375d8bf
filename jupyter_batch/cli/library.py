"""``jupyter batch library list|show|use|copy``: the built-in programs."""

from __future__ import annotations

import argparse
from typing import Any

from ..model.scalars import parse_pairs
from ..model.wire import program_detail_json, program_json, resource_json, workflow_json
from .context import open_service
from .output import emit_json, table, when


def list_(args: argparse.Namespace) -> int:
    programs = open_service().library_programs()
    if args.json:
        emit_json([program_json(p, v) for p, v in programs])
    else:
        table(["NAME", "VERSION", "TITLE"], [[p.name, v, p.title] for p, v in programs], "")
    return 0


def _example(program: Any) -> str:
    """The example parameters as a command line."""
    import shlex

    from ..model.program import task_param
    from ..model.variables import param_text

    pairs = " ".join(f"--param {shlex.quote(f'{k}={param_text(task_param(v))}')}"
                     for k, v in program.example.items())
    return f"jupyter batch library use {program.name} --workflow my_{program.name} {pairs}"


def show(args: argparse.Namespace) -> int:
    program, versions, source = open_service().library_program(args.name)
    if args.json:
        emit_json(program_detail_json(program, versions, source))
        return 0
    print(f"{program.name}: {program.title}")
    print(f"  {program.description}")
    print(f"  resource {program.resource}, version {versions[-1].version} "
          f"(the script: jupyter batch resource cat {program.resource})")
    print()
    table(["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "HELP"],
          [[p.name, p.type + (f" ({'|'.join(p.choices)})" if p.choices else ""),
            "yes" if p.required else "", "" if p.default is None else p.default, p.help]
           for p in program.params], "")
    print()
    print(f"example: {_example(program)}")
    print()
    table(["VERSION", "CREATED", "MESSAGE"],
          [[v.version, when(v.created_at), v.message] for v in versions], "")
    return 0


def use(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput

    if args.timezone and not args.cron:
        raise InvalidInput("--timezone goes with --cron")
    schedule = None
    if args.cron:
        schedule = {"cron": args.cron, **({"timezone": args.timezone} if args.timezone else {})}
    # text: the program's schema says what each parameter is, and reads it so
    params = parse_pairs(args.param, typed=False)
    info = open_service().use_library_program(args.name, args.workflow, params, schedule,
                                              args.publish)
    if args.json:
        emit_json(workflow_json(info))
    elif info.state == "published":
        print(f"published workflow {info.name!r} version {info.latest_version}: it runs "
              f"library program {args.name}; run it now with "
              f"'jupyter batch workflow run {info.name}'")
    else:
        print(f"saved workflow {info.name!r} (draft): it runs library program {args.name}; "
              f"publish it with 'jupyter batch workflow publish {info.name}'")
    return 0


def copy(args: argparse.Namespace) -> int:
    added = open_service().copy_library_program(args.name, args.new_name)
    if args.json:
        emit_json(resource_json(args.new_name, [added.version]))
    else:
        print(f"copied {added.version.message.removeprefix('copied from ')} to "
              f"{added.version.ref}; change it and add it again with "
              f"'jupyter batch resource add {args.new_name}'")
    return 0


def register(nouns: Any) -> None:
    noun = nouns.add_parser("library", help="built-in programs, turned into a workflow in "
                                            "one step")
    verbs = noun.add_subparsers(dest="verb", metavar="<verb>", required=True)

    p = verbs.add_parser("list", help="list the programs")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=list_)

    p = verbs.add_parser("show", help="a program's parameters, an example and its versions")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=show)

    p = verbs.add_parser("use", help="save a workflow that runs the program")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--workflow", required=True, metavar="W", help="the new workflow's name")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a parameter (repeat; a list as a,b,c)")
    p.add_argument("--cron", metavar="EXPR", help="run on this cron schedule once published")
    p.add_argument("--timezone", metavar="TZ", help="the cron schedule's time zone "
                                                    "(default UTC)")
    p.add_argument("--publish", action="store_true", help="publish the workflow at once")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=use)

    p = verbs.add_parser("copy", help="copy a program into a resource of your own")
    p.add_argument("name", metavar="NAME")
    p.add_argument("new_name", metavar="NEW.py")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=copy)
