"""``python -m workers workers.main.WorkerSettings``: the import worker.

Like ``arq workers.main.WorkerSettings`` (which still works, with arq's own
polling), but run as :class:`workers.polling.ImportWorker`.  The settings path
is the one argument, so process listings and health checks name it as before.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from arq.worker import get_kwargs

from workers.polling import ImportWorker

DEFAULT_SETTINGS = "workers.main.WorkerSettings"


def main(argv: list[str]) -> None:
    path = argv[0] if argv else DEFAULT_SETTINGS
    module, _, name = path.rpartition(".")
    settings = getattr(importlib.import_module(module), name)
    options: dict[str, Any] = dict(get_kwargs(settings))  # arq annotates the values oddly
    ImportWorker(**options).run()


if __name__ == "__main__":
    main(sys.argv[1:])
