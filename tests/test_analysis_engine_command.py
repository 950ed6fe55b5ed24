"""``tengen analysis``'s command line, KataGo's shape included, and the
command run as a front end runs it: a subprocess with the shipped networks
on a 9x9 board, answering on stdout with JSON lines only."""

import argparse
import json
import shlex
import subprocess
import sys
import threading

import pytest

from tengen.analysis_engine.command import add_arguments, katago_settings, main
from tengen.analysis_engine.config import AnalysisConfig
from tengen.base.config import from_args


def parse(argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser, parser.parse_args(argv)


def config_of(argv) -> tuple[AnalysisConfig, list[str]]:
    _, args = parse(argv)
    settings, warnings = katago_settings(args)
    given = set(vars(args))
    return from_args(AnalysisConfig, args, **{k: v for k, v in settings.items()
                                               if k not in given}), warnings


def test_tengens_own_options_set_the_engine():
    config, warnings = config_of(["--max-visits", "50", "--analysis-threads", "3",
                                  "--report-winrates-as", "SIDETOMOVE", "--max-time", "2.5"])
    assert (config.max_visits, config.analysis_threads, config.report_winrates_as,
            config.max_time) == (50, 3, "SIDETOMOVE", 2.5)
    assert warnings == []


def test_the_defaults_are_katagos_analysis_example():
    config, _ = config_of([])
    assert (config.max_visits, config.report_winrates_as, config.pv_length) == (500, "BLACK", 15)


def test_katagos_command_line_is_accepted_and_its_config_keys_honoured(tmp_path):
    cfg = tmp_path / "analysis.cfg"
    cfg.write_text("# KaTrain's analysis config\nreportAnalysisWinratesAs = WHITE\n"
                   "maxVisits = 120   # visits\nnumAnalysisThreads = 12\nnnCacheSizePowerOfTwo = 20\n"
                   "nnMaxBatchSize = 96\n")
    config, warnings = config_of(["-config", str(cfg), "-model", "kata1-b18.bin.gz",
                                  "-override-config", "maxTime=3,homeDataDir=/tmp",
                                  "-analysis-threads", "2"])
    assert (config.report_winrates_as, config.max_visits, config.max_time,
            config.analysis_threads) == ("WHITE", 120, 3.0, 2)
    assert any("kata1-b18.bin.gz is not used" in w for w in warnings)
    assert any(w.endswith("ignored: nnCacheSizePowerOfTwo, nnMaxBatchSize, homeDataDir")
               for w in warnings)


def test_unusable_katago_arguments_are_warnings_not_failures(tmp_path):
    config, warnings = config_of(["-config", str(tmp_path / "missing.cfg"),
                                  "-override-config", "maxVisits=lots",
                                  "-human-model", "human.bin.gz"])
    assert config.max_visits == 500
    assert len(warnings) == 3
    assert "could not be read" in warnings[0] and "'lots'" in warnings[1]


def test_tengens_options_win_over_katagos(tmp_path):
    config, _ = config_of(["--max-visits", "7", "-override-config", "maxVisits=99",
                           "-quit-without-waiting"])
    assert config.max_visits == 7 and config.quit_without_waiting


def test_a_bad_value_is_the_command_lines_error(capsys):
    parser, args = parse(["-override-config", "reportAnalysisWinratesAs=GREEN"])
    with pytest.raises(SystemExit):
        main(args, parser)
    assert "report winrates as" in capsys.readouterr().err


KATRAIN_QUERY = {
    "id": "QUERY:1", "rules": "japanese", "priority": 1000, "analyzeTurns": [3],
    "maxVisits": 24, "komi": 6.5, "boardXSize": 9, "boardYSize": 9,
    "includeOwnership": True, "includeMovesOwnership": True, "includePolicy": True,
    "initialStones": [], "initialPlayer": "B",
    "moves": [["B", "E5"], ["W", "C3"], ["B", "G7"]],
    "overrideSettings": {"reportAnalysisWinratesAs": "BLACK", "wideRootNoise": 0.04,
                         "maxTime": 8.0}}


def test_the_command_with_the_shipped_networks_answers_as_katago_on_stdout_only():
    """A front end's way: KataGo's command line, a query as KaTrain sends it,
    a bad line and an action; the shipped 9x9 networks."""
    lines = [json.dumps(KATRAIN_QUERY), "{not json", '{"id":"m","action":"query_models"}',
             json.dumps({**KATRAIN_QUERY, "id": "QUERY:2", "moves": [["B", "E5"], ["W", "E5"]],
                         "analyzeTurns": [2]})]
    proc = subprocess.run(
        [sys.executable, "-m", "tengen.cli", "analysis", "-config", "analysis_config.cfg",
         "-model", "kata1.bin.gz", "-analysis-threads", "1"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Started, ready to begin handling requests" in proc.stderr
    assert "kata1.bin.gz is not used" in proc.stderr
    out = [json.loads(row) for row in proc.stdout.splitlines()]       # JSON lines only
    by_id = {}
    for o in out:
        by_id.setdefault(o.get("id"), []).append(o)
    assert by_id["QUERY:2"] == [{"id": "QUERY:2", "field": "moves",
                                 "error": "Illegal move 1: E5 (occupied)"}]
    assert len(by_id[None]) == 1 and "could not parse input line" in by_id[None][0]["error"]
    assert {m["name"] for m in by_id["m"][0]["models"]} == {"policy.safetensors",
                                                            "value.safetensors"}
    warning, final = by_id["QUERY:1"]
    assert warning == {"id": "QUERY:1", "field": "overrideSettings",
                       "warning": "Settings ignored by tengen: wideRootNoise"}
    assert final["isDuringSearch"] is False and final["turnNumber"] == 3
    root = final["rootInfo"]
    assert root["currentPlayer"] == "W" and root["visits"] == 24
    assert 0 <= root["winrate"] <= 1 and abs(root["scoreLead"]) < 81
    moves = final["moveInfos"]
    assert sum(m["visits"] for m in moves) == 24 and [m["order"] for m in moves] == \
        list(range(len(moves)))
    played = {"E5", "C3", "G7"}
    for m in moves:
        assert m["move"] not in played and m["pv"][0] == m["move"]
        assert 0 <= m["winrate"] <= 1 and 0 <= m["prior"] <= 1 and m["scoreStdev"] >= 0
        assert len(m["ownership"]) == 81 and all(-1 <= v <= 1 for v in m["ownership"])
    assert len(final["ownership"]) == 81
    policy = final["policy"]
    assert len(policy) == 82 and sum(p for p in policy if p >= 0) == pytest.approx(1, abs=1e-6)
    # E5, C3 and G7 are taken: -1 there (rows from the top: E5 is row 4, column 4)
    assert [policy[9 * 4 + 4], policy[9 * 6 + 2], policy[9 * 2 + 6]] == [-1, -1, -1]


def test_the_engine_ends_with_the_shell_that_started_it_though_stdin_stays_open():
    """KaTrain runs its altcommand through a shell and stops the engine by
    ending that shell, keeping the engine's stdin open: the engine must go
    too, or KaTrain waits for its stderr to close forever."""
    engine = f"{shlex.quote(sys.executable)} -m tengen.cli analysis --no-warm-up"
    shell = subprocess.Popen(["/bin/sh", "-c", f"{engine}; exit $?"],   # a child, not exec'd
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        shell.stdin.write('{"id": "v", "action": "query_version"}\n')
        shell.stdin.flush()
        assert json.loads(shell.stdout.readline())["id"] == "v"        # the engine is up
        shell.terminate()
        shell.wait()
        stderr: list[str] = []
        reader = threading.Thread(target=lambda: stderr.append(shell.stderr.read()))
        reader.start()
        reader.join(timeout=300)          # EOF: every holder of the pipe, the engine too, gone
        assert not reader.is_alive(), "the engine outlived the shell that started it"
        assert "the process that started the engine has ended; exiting" in stderr[0]
    finally:
        shell.stdin.close()
