"""Run control: the options that say how a command runs, not what it
computes, declared once for every command that has them.

A command adds the ones it has beside its own config
(``add_options(parser, Progress)``) and reads them with ``from_args``; a
config that offers one itself declares it with ``option_of``.  They are
never part of a run's saved design: resuming, a progress bar or JSON
output does not change what a run computes.
"""

import logging
import sys
from dataclasses import dataclass

from .config import option

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class Resume:
    resume: bool = option(False, help="continue the run in --out")


@dataclass(frozen=True)
class Progress:
    progress: bool = option(True, help="a progress bar on stderr")


@dataclass(frozen=True)
class JsonOutput:
    json: bool = option(False, help="print one JSON object")


@dataclass(frozen=True)
class Logging:
    log_level: str = option("WARNING", choices=LOG_LEVELS, help="stderr logging level")

    def configure(self) -> None:
        """Log to stderr from ``log_level`` up (stdout carries a command's
        results, or the GTP responses)."""
        logging.basicConfig(stream=sys.stderr, level=getattr(logging, self.log_level),
                            format=LOG_FORMAT)
