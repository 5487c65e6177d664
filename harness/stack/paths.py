"""Where the local stack keeps its data, logs and pid files.

Everything lives under one state folder so ``stack down`` plus deleting that
folder returns the machine to a clean slate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.settings import StackSettings


@dataclass(frozen=True)
class StackPaths:
    """Absolute locations inside the state folder, resolved once per command."""

    root: Path

    @classmethod
    def from_settings(cls, stack: StackSettings) -> StackPaths:
        return cls(root=stack.state_dir.expanduser().resolve())

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def data(self, service: str) -> Path:
        """Data folder of one service (``postgres``, ``redis``, ``s3``)."""
        return self.root / service

    def log_file(self, service: str) -> Path:
        return self.logs / f"{service}.log"

    def pid_file(self, service: str) -> Path:
        return self.run / f"{service}.pid"

    def ensure(self) -> None:
        """Create the folders every command relies on."""
        for folder in (self.root, self.logs, self.run, self.bin):
            folder.mkdir(parents=True, exist_ok=True)
