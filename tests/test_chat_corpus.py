"""The chat corpus (tests/chat_corpus.tsv, scored by tests/chat_corpus.py): no action on the wrong
movie or field, and the share of messages understood stays at what it is. The numbers and every
failure are printed by `python benchmarks/chat_accuracy.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_corpus import CORPUS, read_corpus, run

MIN_UNDERSTOOD = 0.95  # issue 16's target; the corpus is at or above it (see benchmarks/chat_accuracy.py)
MIN_CASES = 300


def test_the_corpus_gives_no_wrong_action_and_is_understood() -> None:
    outcomes = run()
    assert len(outcomes) >= MIN_CASES
    wrong = [(o.case.line, o.case.text, o.wrong_actions) for o in outcomes if o.wrong_actions]
    assert wrong == []
    understood = sum(o.understood for o in outcomes) / len(outcomes)
    missed = [(o.case.line, o.case.text) for o in outcomes if not o.understood]
    assert understood >= MIN_UNDERSTOOD, missed


def test_every_example_of_issue_16_is_in_the_corpus() -> None:
    texts = {case.text for case in read_corpus(CORPUS)}
    examples = ["I'm -5", "I'm 0", "rate 7", "seventeen", "star wars 1 2", "nothing before 1970",
                "loved Alien and Heat", "I'm a retired teacher", "1996", "Heat 4.5", "4.5/5", "9/10",
                "more like Blade Runner", "why not Aliens?", "why not Heat?", "undo"]  # fmt: skip
    assert [e for e in examples if e not in texts] == []


def test_the_scoring_catches_a_wrong_action_and_a_missed_question(tmp_path: Path) -> None:
    """The score can fail: an action on another movie is a wrong action, and a guess the corpus
    expects to be done at once (or the other way round) is not understood."""
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text("# a comment\nHeat 4\trate Alien 5\nHeats 4\trate Heat 4\nHeat 4\t?rate Heat 4\n", "utf-8")
    wrong, guess_done, sure_asked = run(corpus)
    assert wrong.wrong_actions and not wrong.understood
    assert not guess_done.wrong_actions and not guess_done.understood
    assert not sure_asked.understood


def test_a_malformed_line_is_reported_with_its_place(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text("Heat 4\n", "utf-8")
    with pytest.raises(ValueError, match=r"corpus.tsv:1"):
        read_corpus(corpus)
