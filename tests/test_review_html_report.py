"""The HTML report in a real headless browser (Debian's chromium and
chromium-driver through selenium): the board steps with the buttons and
the arrow keys, a click on the graph jumps, a click on a mistake shows the
better move and its line and what the mistake puts at stake, and the page
fetches nothing.  Skipped where
chromium, its driver or selenium is absent."""

import json
import os
import shutil
import tempfile

import pytest
from review_helpers import GAME_9, HANDICAP_9, centre_value, stone_ownership, tiny_config

from tengen.review.command import write_outputs
from tengen.review.games import InputGame, rules_for
from tengen.review.html_report import board_string
from tengen.review.mistakes import biggest_mistakes, classify
from tengen.review.reviewer import Reviewer
from tengen.review.text import stake_sentence
from engine.sgf.read import parse_sgf
from nets.inference import Networks

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
                                reason="chromium or chromedriver absent")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="tengen-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1300,1000", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def make_report(tmp, data, name):
    rec = parse_sgf(data, f"{name}.sgf")
    config = tiny_config(tmp, visits=16, thresholds=(0.5, 1, 2), sgf=False, plot=False, csv=False)
    rules = rules_for(rec, None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Networks, "value", centre_value)
        mp.setattr(Networks, "value_and_ownership", stone_ownership)
        review = Reviewer(config).review(rec, rules, name, "fp")
    classify(review, config)
    paths = {"json": tmp / f"{name}.json", "html": tmp / f"{name}.html"}
    write_outputs(review, InputGame(rec, data, 0, name), rules, paths, config)
    game = rec.to_game(rules, upto=0)
    boards = [board_string(game)]
    for c, p in rec.moves:
        game.play(p, c)
        boards.append(board_string(game))
    return review, rec, boards, paths["html"]


@pytest.fixture(scope="module")
def handicap_report(tmp_path_factory):
    return make_report(tmp_path_factory.mktemp("html"), HANDICAP_9, "handicap")


@pytest.fixture(scope="module")
def game_report(tmp_path_factory):
    return make_report(tmp_path_factory.mktemp("html"), GAME_9, "game9")


def open_report(browser, path):
    browser.get(path.as_uri())
    return browser


def shown(browser):
    """{vertex: "B"/"W"} of the stones on the board, and the move shown."""
    stones = {e.get_attribute("data-vertex"): "B" if "black" in e.get_attribute("class") else "W"
              for e in browser.find_elements(By.CSS_SELECTOR, "#board circle.stone")}
    return stones, int(browser.find_element(By.ID, "move-label").get_attribute("data-move"))


def expected(board, n=9):
    return {"ABCDEFGHJ"[i % n] + str(n - i // n): c for i, c in enumerate(board) if c != "."}


def test_the_board_steps_with_the_buttons_and_the_arrow_keys(browser, handicap_report):
    review, rec, boards, html = handicap_report
    b = open_report(browser, html)
    assert shown(b) == (expected(boards[0]), 0)          # the two handicap stones
    assert set(expected(boards[0])) == {"C7", "G3"}
    b.find_element(By.ID, "next").click()
    assert shown(b) == (expected(boards[1]), 1)
    last = b.find_element(By.CSS_SELECTOR, "#board .last-move").get_attribute("data-vertex")
    assert last == review.moves[0].move
    body = b.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert shown(b) == (expected(boards[3]), 3)
    assert "move 3, W G7" in b.find_element(By.ID, "comment").text
    body.send_keys(Keys.ARROW_LEFT)
    assert shown(b)[1] == 2
    body.send_keys(Keys.END)
    assert shown(b) == (expected(boards[-1]), len(rec.moves))
    b.find_element(By.ID, "first").click()
    assert shown(b)[1] == 0


def test_a_click_on_the_graph_jumps_to_that_move(browser, game_report):
    review, rec, boards, html = game_report
    b = open_report(browser, html)
    graph = b.find_element(By.ID, "graph")
    width = graph.size["width"]
    for k in (7, 2, len(rec.moves)):
        x = round(width * k / len(rec.moves) - width / 2)      # offsets from the centre
        x = max(-(width // 2) + 2, min(x, width // 2 - 2))
        ActionChains(b).move_to_element_with_offset(graph, x, 0).click().perform()
        assert shown(b) == (expected(boards[k]), k)
    cursor = float(b.find_element(By.ID, "cursor").get_attribute("x1"))
    assert cursor == pytest.approx(1000.0)


def test_a_click_on_a_mistake_shows_the_better_move_and_its_line(browser, game_report):
    review, rec, boards, html = game_report
    b = open_report(browser, html)
    m = (biggest_mistakes(review, "B") + biggest_mistakes(review, "W"))[0]
    item = b.find_element(By.CSS_SELECTOR, f".mistakes li[data-move='{m.number}']")
    assert m.best_move in item.text and m.klass in item.text
    item.click()
    stones, number = shown(b)
    assert number == m.number - 1                                 # the position before it
    labels = {e.text: e.get_attribute("data-vertex")
              for e in b.find_elements(By.CSS_SELECTOR, "#board .pv-label")}
    assert labels["1"] == m.best_move
    for k, vertex in enumerate(m.best_pv[1:], 2):
        if str(k) in labels:
            assert labels[str(k)] == vertex
    assert stones[m.best_move] == m.color                          # the line is played out
    assert len(stones) > len(expected(boards[m.number - 1])) or len(m.best_pv) > 2
    line = json.loads(b.execute_script(
        "return document.getElementById('review-data').textContent"))["lines"][str(m.number)]
    marks = b.find_elements(By.CSS_SELECTOR, "#board .played-mark")
    x, y = "ABCDEFGHJ".index(m.move[0]), 9 - int(m.move[1:])
    if line["board"][y * 9 + x] == ".":       # the move played, crossed, unless the line plays there
        assert [e.get_attribute("data-vertex") for e in marks] == [m.move]
    else:
        assert not marks
    assert "better line" in b.find_element(By.ID, "comment").text
    assert "active" in item.get_attribute("class")


def test_the_summary_shows_both_players_figures(browser, game_report):
    review, _, _, html = game_report
    b = open_report(browser, html)
    text = b.find_element(By.ID, "summary").text
    assert "Alice" in text and "Bob" in text
    for c in ("B", "W"):
        assert f"{100 * review.players[c]['best_match']:.1f}%" in text
    assert b.find_element(By.ID, "title").text == "Alice (B) vs Bob (W): B+R"


def test_the_page_works_offline_and_logs_no_error(browser, game_report):
    _, _, _, html = game_report
    b = open_report(browser, html)
    assert b.execute_script("return performance.getEntriesByType('resource').length") == 0
    errors = [e for e in b.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    data = json.loads(b.execute_script(
        "return document.getElementById('review-data').textContent"))
    assert data["schema"] == "tengen-analysis" and len(data["boards"]) == 11


def test_the_candidates_of_the_next_move_show_with_their_win_rates(browser, game_report):
    review, _, _, html = game_report
    b = open_report(browser, html)
    b.execute_script("showPosition(4)")
    assert not b.find_elements(By.CSS_SELECTOR, "#board .candidate")
    b.find_element(By.ID, "show-candidates").click()
    m = review.moves[4]                                   # move 5, searched at position 4
    labels = {e.get_attribute("data-vertex"): e.text
              for e in b.find_elements(By.CSS_SELECTOR, "#board .candidate-label")}
    assert labels == {c.move: f"{100 * c.winrate:.0f}" for c in m.candidates if c.move != "pass"}
    body = b.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)                      # they follow the position
    following = {e.get_attribute("data-vertex")
                 for e in b.find_elements(By.CSS_SELECTOR, "#board .candidate")}
    assert following == {c.move for c in review.moves[5].candidates if c.move != "pass"}


def test_a_mistake_shows_what_it_puts_at_stake_as_squares_on_the_board(browser, game_report):
    review, _, _, html = game_report
    staked = [m for c in ("B", "W") for m in biggest_mistakes(review, c)
              if m.stake is not None and m.stake.changes]
    assert staked
    m = staked[0]
    b = open_report(browser, html)
    item = b.find_element(By.CSS_SELECTOR, f".mistakes li[data-move='{m.number}']")
    assert item.find_element(By.CSS_SELECTOR, ".stake-text").text == stake_sentence(m.stake)
    item.click()
    squares = {e.get_attribute("data-vertex"): e for e in
               b.find_elements(By.CSS_SELECTOR, "#board rect.stake")}
    assert {v: float(e.get_attribute("data-change")) for v, e in squares.items()} == \
        m.stake.changes
    for vertex, change in m.stake.changes.items():      # red: given up, blue: gained
        assert squares[vertex].get_attribute("fill") == ("#e53935" if change > 0 else "#1e88e5")
    around = b.find_elements(By.CSS_SELECTOR, "#board .stake-around")
    assert [e.get_attribute("data-vertex") for e in around] == [m.stake.around]
    assert "At stake:" in b.find_element(By.ID, "comment").text
    b.find_element(By.ID, "show-stakes").click()          # switched off: the position, no squares
    assert not b.find_elements(By.CSS_SELECTOR, "#board rect.stake")
    b.execute_script(f"showMistake({m.number})")
    assert not b.find_elements(By.CSS_SELECTOR, "#board rect.stake")
