"""How well the chat understands people: tests/chat_corpus.tsv parsed against the fixed catalogue of
tests/chat_corpus.py. Prints the wrong actions (an action, done without asking, on the wrong movie
or field: target 0), the understood share (the expected intents, asked about first where the corpus
says so: target >= 95%) and every failure, with what was expected and what came out.

Usage: python benchmarks/chat_accuracy.py [--corpus tests/chat_corpus.tsv]
Exit status 1 when there is a wrong action, so a script can gate on it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from chat_corpus import CORPUS, Outcome, run


def describe(intent: object) -> str:
    text = repr(intent)
    return text if len(text) <= 160 else text[:159] + "…"


def report(outcomes: list[Outcome]) -> int:
    wrong = [o for o in outcomes if o.wrong_actions]
    missed = [o for o in outcomes if not o.understood]
    understood = len(outcomes) - len(missed)
    print(f"utterances:     {len(outcomes)}")
    print(f"wrong actions:  {sum(len(o.wrong_actions) for o in outcomes)} (in {len(wrong)} utterances; target 0)")
    print(f"understood:     {understood}/{len(outcomes)} = {understood / max(1, len(outcomes)):.1%} (target >= 95%)")
    for outcome in missed:
        case = outcome.case
        context = f"  [answering: {case.context}]" if case.context else ""
        flag = "WRONG ACTION" if outcome.wrong_actions else "not understood"
        print(f"\n{flag}: line {case.line}: {case.text!r}{context}")
        print(f"  expected: {case.expected}")
        for intent in outcome.got:
            print(f"  got:      {intent.sureness:9} {describe(intent)}")
    return 1 if wrong else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    return report(run(args.corpus))


if __name__ == "__main__":
    sys.exit(main())
