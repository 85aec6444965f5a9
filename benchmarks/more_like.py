"""Whether "more like X" is about X, on the real data: for each movie asked about, the list
`Recommender.more_like` gives for an empty profile and for a fan of other movies, next to the details
pane's closest matches (`similar_to`).

Usage: python benchmarks/more_like.py [--k 8] [--fan "Sleepless in Seattle" ...] [TITLE ...]
Needs a home where `movierec-tui setup` has run (MOVIEREC_HOME or the default). Prints each list
with its similarities, whether it matches the details pane to the two decimals the pane shows (the
profile may order movies of equal similarity differently), the reasons on the cards, and the time
of each call.
"""

from __future__ import annotations

import argparse

from movierec_tui.config import load_settings
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
from movierec_tui.wording import title_with_year

TITLES = ("The Usual Suspects", "Blade Runner", "Toy Story", "Alien", "Annie Hall")
FAN = ("Sleepless in Seattle", "Pretty Woman", "Notting Hill", "You've Got Mail")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("titles", nargs="*", default=list(TITLES))
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--fan", action="append", help="a movie the fan loved (repeat); default: four romances")
    args = parser.parse_args()
    with Recommender(load_settings()) as engine:
        engine.catalogue_cards()
        titles = engine.titles
        fan = Profile(ratings={titles.search(t, 1)[0].movie_id: 5 for t in (args.fan or FAN)})
        for title in args.titles:
            movie = titles.search(title, 1)[0]
            pane = engine.similar_to(movie.movie_id, args.k)
            print(f"\n{title_with_year(movie)}: details pane", [(title_with_year(c), round(s, 2)) for c, s in pane])
            for who, profile in (("empty profile", Profile()), ("fan", fan)):
                listed = engine.more_like(movie.movie_id, profile, args.k)
                same = [round(r.score, 2) for r in listed] == [round(s, 2) for _, s in pane]
                print(f"  {who}: {'same as the pane' if same else 'DIFFERENT from the pane'}, "
                      f"{engine.last_timings.total:.0f} ms, reasons {sorted({r.reason for r in listed})}")
                print("   ", [(title_with_year(r.card), round(r.score, 2)) for r in listed])


if __name__ == "__main__":
    main()
