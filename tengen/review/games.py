"""The games a run reviews: read from files, folders and archives, named,
their rules decided, and fingerprinted for resuming.

A game's name is its file's (``kgs-123`` for ``kgs-123.sgf``; ``-2`` for the
second game of a collection), made unique within the run by a short hash
of where it came from.  Its fingerprint hashes the SGF bytes and every
setting that changes the search (budget, rollouts, the files of the networks
loaded for its board size, tengen's and the schema's versions): a finished
review whose JSON carries the same fingerprint is not searched again.
"""

import hashlib
import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from engine.rules import RULE_SETS, Rules, rules_named
from engine.sgf.archive import ReadStats, iter_records
from engine.sgf.record import GameRecord
from tengen import __version__
from tengen.base.paths import calibration_path

from .config import AnalyzeConfig
from .schema import REVIEW_METHOD, SCHEMA_VERSION

log = logging.getLogger(__name__)


@dataclass
class InputGame:
    record: GameRecord
    data: bytes          # the bytes of the SGF file it came from
    index: int           # its game's index in that file's collection
    name: str


def _stem(source: str) -> str:
    """``dir/a.zip:x/kgs 1.sgf#2`` -> ``kgs_1-2``."""
    base, _, game = source.partition("#")
    base = base.replace("\\", "/").rpartition(":")[2] if ":" in base.rpartition("/")[2] \
        else base
    base = os.path.basename(base.replace("\\", "/"))
    if base.lower().endswith(".sgf"):
        base = base[:-4]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "game"
    return f"{stem}-{game}" if game else stem


def find_games(paths: list[str], stats: ReadStats) -> list[InputGame]:
    """Every game in ``paths`` (files, folders, archives; bad ones counted
    in ``stats`` and logged, not raised), uniquely named."""
    found = [(rec, data, k) for rec, data, k in iter_records(paths, stats, with_data=True)]
    stems = [_stem(rec.source) for rec, _, _ in found]
    count = Counter(stems)
    games = []
    for (rec, data, k), stem in zip(found, stems):
        if count[stem] > 1:
            stem += "-" + hashlib.sha1(rec.source.encode()).hexdigest()[:6]
        games.append(InputGame(rec, data, k, stem))
    return games


def rules_for(record: GameRecord, override: str | None) -> Rules:
    """``--rules``, else the file's ``RU`` when tengen knows it, else Chinese."""
    if override:
        return rules_named(override)
    ru = record.properties.get("RU")
    if ru:
        try:
            return rules_named(ru[0].strip().replace(" ", "-"))
        except ValueError:
            log.info("%s: rules %r unknown, reviewed under Chinese rules", record.source, ru[0])
    return RULE_SETS["chinese"]


def _file_digest(path: str | os.PathLike[str] | None) -> str | None:
    if path is None or not os.path.exists(path):
        return None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def _calibration(value_path: str | os.PathLike[str] | None) -> Path | None:
    """The value network's calibration file (``nets.score``), which changes
    the review's scores and win rates as much as the network does."""
    return None if value_path is None else calibration_path(value_path)


def search_settings(config: AnalyzeConfig, size: int) -> dict:
    """The settings that change what the search finds on an n x n board (the
    ``settings`` of the JSON, and the fingerprint's).  The networks digested
    are the ones the search loads for that size
    (``NetworkConfig.policy_path(size)``): a 9x9 review records the 9x9
    networks, and a resumed one notices when they change."""
    visits, seconds = config.budget
    net = config.networks
    return {"visits": visits, "seconds": seconds, "rollouts": config.rollouts,
            "batch_size": config.batch_size, "seed": config.seed, "tengen": __version__,
            "models": {"policy": _file_digest(net.policy_path(size)),
                       "value": _file_digest(net.value_path(size)),
                       "calibration": _file_digest(_calibration(net.value_path(size)))},
            # only when used, so that reviews made before these settings existed stay valid
            **({"symmetries": config.symmetries} if config.symmetries != 1 else {}),
            **({"recheck": config.recheck, "recheck_visits": config.recheck_visits}
               if config.recheck else {})}


def fingerprint(game: InputGame, rules: Rules, settings: dict) -> str:
    h = hashlib.sha256()
    h.update(game.data)
    h.update(json.dumps({"index": game.index, "rules": rules.name, "schema": SCHEMA_VERSION,
                         "method": REVIEW_METHOD, **settings}, sort_keys=True).encode())
    return h.hexdigest()[:24]
