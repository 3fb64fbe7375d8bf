"""Set OS resource limits, then become the task's program.

Run as ``python -S rlimit_exec.py MEMORY_BYTES CPU_SECONDS -- argv...`` (0 = no limit).
Setting limits in a small launcher rather than a ``preexec_fn`` keeps process start-up
thread-safe in a threaded engine; the launcher costs one interpreter start, and only for
tasks that have limits.
"""

import os
import resource
import sys


def main() -> None:
    memory, cpu = int(sys.argv[1]), int(sys.argv[2])
    argv = sys.argv[4:]
    if memory:
        # RLIMIT_DATA (heap and private mappings, Linux >= 4.7) caps what a program
        # allocates; RLIMIT_AS would also count reserved address space, which stops a
        # JVM from even starting under a modest cap
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(f"cannot run {argv[0]!r}: {exc.strerror}", file=sys.stderr)
        sys.exit(127)


if __name__ == "__main__":
    main()
