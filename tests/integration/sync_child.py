"""Runs one sync of the demo channel in a child process (killed with SIGKILL by tests).

Usage: python -m tests.integration.sync_child DB_FILE URL PAGE_SIZE [CHECKPOINT_PAGES]
       python -m tests.integration.sync_child --zygote

CHECKPOINT_PAGES lowers the WAL size at which a sync checkpoints (the app's is 64 MB), so
kills also land inside checkpoints of a small test feed.

`--zygote` imports everything once and then forks one sync child per line read on
stdin ("DB_FILE<TAB>URL<TAB>PAGE_SIZE<TAB>CHECKPOINT_PAGES"): each child prints
"START <pid>" and its report, the zygote "EXIT <pid> <status>" once the child ended,
the status being "killed" for SIGKILL or the exit code. A test that kills 200 syncs
then pays the imports (~0.7 s) once instead of 200 times; each child is still its own
process, killed mid-run.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from rr_desktop.store import store as store_module
from tests.integration.sync_env import make_env


class _Url:
    def __init__(self, url: str) -> None:
        self.url = url


def run(db_file: str, url: str, page_size: int, checkpoint_pages: int | None) -> int:
    if checkpoint_pages is not None:
        store_module.BULK_AUTOCHECKPOINT_PAGES = checkpoint_pages
    env = make_env(_Url(url), Path(db_file), page_size=page_size)  # type: ignore[arg-type]
    print(f"START {os.getpid()}", flush=True)
    report = env.engine.run("demo")
    print(report.summary(), flush=True)
    return 1 if report.error else 0


def zygote() -> int:
    for line in sys.stdin:
        db_file, url, page_size, checkpoint = line.rstrip("\n").split("\t")
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the child: one sync, then out without the parent's cleanup
            code = 1
            try:
                code = run(db_file, url, int(page_size), int(checkpoint))
            finally:
                sys.stdout.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        print(f"EXIT {pid} {'killed' if killed else os.waitstatus_to_exitcode(status)}",
              flush=True)
    return 0


def main() -> int:
    if sys.argv[1:] == ["--zygote"]:
        return zygote()
    checkpoint = int(sys.argv[4]) if len(sys.argv) > 4 else None
    return run(sys.argv[1], sys.argv[2], int(sys.argv[3]), checkpoint)


if __name__ == "__main__":
    sys.exit(main())
