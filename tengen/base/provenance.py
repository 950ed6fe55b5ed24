"""What produced a model or a run: the code's commit and the machine, as
every trained file records them."""

import os
import platform
import subprocess
import sys
from pathlib import Path


def machine_description() -> str:
    """The CPU model, its cores, and the PyTorch version if PyTorch is loaded."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    torch = sys.modules.get("torch")     # named only when the run uses it
    versions = f", torch {torch.__version__}" if torch is not None else ""
    return f"{cpu}, {os.cpu_count()} cores{versions}"


def git_commit() -> str:
    """The short commit hash of the checkout, or "" outside one."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
