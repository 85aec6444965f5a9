"""The chat corpus (tests/chat_corpus.tsv) and how it is scored, shared by tests/test_chat_corpus.py
and benchmarks/chat_accuracy.py.

The catalogue is a fixed list of real-looking titles written here, in MovieLens' spelling, with
made-up rating counts (no MovieLens data): well-known movies, and the traps the issue found (a title
that starts like "I'm", one that is a number, one that contains "Seventeen", "War", "Nothing",
"Before", "Loved", "Romance", ...).

Scoring. Each utterance is parsed (with the question it answers, when the corpus gives one) and
every intent is put in one of three kinds: an *action* (it edits the profile or changes the cards:
ratings, filters, demographics, forget, dismiss, more like, reset; also a movie named for a rating
question), a *question back* (an intent of sureness "guess": the app asks "Did you mean ...?" first),
or *talk* (help, undo, an explanation of what was not understood, ...).
- a **wrong action** is an action, carried out without asking, that the corpus does not expect (the
  wrong movie, rating, field or value);
- an utterance is **understood** when the intents equal the expected ones, with the same sureness
  class (a "?" in the corpus: asked about first).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from movierec_tui import chat
from movierec_tui.catalogue import OCCUPATIONS
from movierec_tui.chat import Expecting, Intent, parse
from movierec_tui.titles import TitleEntry, TitleIndex
from movierec_tui.vocabulary import age_bucket_for

CORPUS = Path(__file__).with_name("chat_corpus.tsv")

CATALOGUE: list[tuple[str, int, int]] = [
    ("Alien", 1979, 2000), ("Aliens", 1986, 1820), ("Alien³", 1992, 841), ("Alien: Resurrection", 1997, 650),
    ("Alien Nation", 1988, 90), ("Heat", 1995, 1000), ("Heathers", 1989, 500), ("Titanic", 1997, 1500),
    ("Titanic", 1953, 40), ("Blade Runner", 1982, 1800), ("Brazil", 1985, 800), ("Toy Story", 1995, 2077),
    ("Toy Story 2", 1999, 1585), ("Godfather, The", 1972, 2200), ("Godfather: Part II, The", 1974, 1600),
    ("Godfather: Part III, The", 1990, 800), ("Hamlet", 1990, 120), ("Hamlet", 1996, 150),
    ("Hamlet", 1948, 60), ("Star Wars: Episode IV - A New Hope", 1977, 2991),
    ("Star Wars: Episode V - The Empire Strikes Back", 1980, 2990),
    ("Star Wars: Episode VI - Return of the Jedi", 1983, 2883),
    ("Star Wars: Episode I - The Phantom Menace", 1999, 2250), ("Matrix, The", 1999, 2590),
    ("Apollo 13", 1995, 1200), ("1941", 1979, 200), ("10", 1979, 150), ("2010", 1984, 300),
    ("1984", 1984, 250), ("2001: A Space Odyssey", 1968, 1700), ("Doctor Dolittle", 1998, 150),
    ("Scream", 1996, 1000), ("Scream 2", 1997, 600), ("Shining, The", 1980, 1100),
    ("Seven (Se7en)", 1995, 1300), ("Good, The Bad and The Ugly, The", 1966, 700), ("Airplane!", 1980, 1300),
    ("Rocky", 1976, 1000), ("Rocky II", 1979, 400), ("Rocky III", 1982, 400), ("Immortal Beloved", 1994, 300),
    ("7th Voyage of Sinbad, The", 1958, 80), ("Edge of Seventeen", 1998, 30), ("Usual Suspects, The", 1995, 1780),
    ("Terminator, The", 1984, 1800), ("Terminator 2: Judgment Day", 1991, 2600), ("Fargo", 1996, 2500),
    ("Pulp Fiction", 1994, 2200), ("Schindler's List", 1993, 2300), ("Shawshank Redemption, The", 1994, 2200),
    ("Forrest Gump", 1994, 2100), ("Jaws", 1975, 1600), ("Jaws 2", 1978, 300), ("Casablanca", 1942, 1600),
    ("Vertigo", 1958, 1000), ("Psycho", 1960, 1200), ("Psycho", 1998, 200), ("American Beauty", 1999, 3400),
    ("Being John Malkovich", 1999, 2200), ("Sixth Sense, The", 1999, 2400), ("Fight Club", 1999, 2000),
    ("Princess Bride, The", 1987, 2300), ("Raiders of the Lost Ark", 1981, 2500),
    ("Indiana Jones and the Last Crusade", 1989, 1600), ("Back to the Future", 1985, 2600),
    ("Back to the Future Part II", 1989, 1100), ("E.T. the Extra-Terrestrial", 1982, 2200),
    ("Ghostbusters", 1984, 1700), ("Groundhog Day", 1993, 1900), ("Die Hard", 1988, 1600),
    ("Die Hard 2", 1990, 900), ("Braveheart", 1995, 2400), ("Gladiator", 2000, 1900),
    ("Silence of the Lambs, The", 1991, 2500), ("L.A. Confidential", 1997, 2200), ("Twelve Monkeys", 1995, 1500),
    ("Stand by Me", 1986, 1700), ("Taxi Driver", 1976, 1200), ("GoodFellas", 1990, 1600),
    ("Clockwork Orange, A", 1971, 1500), ("10 Things I Hate About You", 1999, 700), ("Big", 1988, 1000),
    ("Nothing to Lose", 1997, 200), ("Before Sunrise", 1995, 400), ("Loved", 1997, 10),
    ("Like Water for Chocolate (Como agua para chocolate)", 1992, 600), ("Hate (Haine, La)", 1995, 300),
    ("No Way Out", 1987, 500), ("Help!", 1965, 200), ("Romance", 1999, 80), ("King of Comedy, The", 1983, 300),
    ("WarGames", 1983, 700), ("War of the Worlds, The", 1953, 400), ("Star Trek: First Contact", 1996, 1000),
    ("Star Trek: The Wrath of Khan", 1982, 900), ("Halloween", 1978, 800), ("Seventh Seal, The", 1957, 400),
    ("Seven Years in Tibet", 1997, 500), ("Sixteen Candles", 1984, 600), ("Fifth Element, The", 1997, 1500),
    ("Four Weddings and a Funeral", 1994, 1200), ("12 Angry Men", 1957, 900), ("Mr. Holland's Opus", 1995, 500),
    ("Dead Poets Society", 1989, 1200), ("Retroactive", 1997, 20), ("Teachers", 1984, 40),
    ("Big Lebowski, The", 1998, 1100), ("Amadeus", 1984, 1400), ("Heavenly Creatures", 1994, 300),
    ("Sleepless in Seattle", 1993, 1000), ("Annie Hall", 1977, 1300), ("Manhattan", 1979, 800),
    ("Blues Brothers, The", 1980, 1200), ("Crying Game, The", 1992, 600), ("Run Lola Run (Lola rennt)", 1998, 900),
    ("Life Is Beautiful (La Vita è bella)", 1997, 1600), ("Amelie", 2000, 30), ("Chicken Run", 2000, 1000),
    ("X-Men", 2000, 1500), ("Gone with the Wind", 1939, 1000), ("Wizard of Oz, The", 1939, 1700),
    ("Snow White and the Seven Dwarfs", 1937, 700), ("Fantasia", 1940, 600), ("Lion King, The", 1994, 1700),
    ("Beauty and the Beast", 1991, 1100), ("Aladdin", 1992, 1300), ("Mulan", 1998, 700), ("Babe", 1995, 1700),
    ("Rushmore", 1998, 800), ("Election", 1999, 900), ("Magnolia", 1999, 800), ("Ran", 1985, 400),
    ("Seven Samurai (The Magnificent Seven)", 1954, 800), ("Magnificent Seven, The", 1960, 600),
    ("Unforgiven", 1992, 1000), ("Dances with Wolves", 1990, 1100), ("Good Will Hunting", 1997, 1900),
    ("Saving Private Ryan", 1998, 2650), ("Full Metal Jacket", 1987, 1300), ("Platoon", 1986, 1000),
    ("Apocalypse Now", 1979, 1500), ("Deer Hunter, The", 1978, 800), ("Gandhi", 1982, 700),
    ("Lawrence of Arabia", 1962, 1000), ("Ben-Hur", 1959, 600), ("Sound of Music, The", 1965, 900),
    ("Mary Poppins", 1964, 900), ("Grease", 1978, 900), ("Dirty Dancing", 1987, 700),
    ("When Harry Met Sally...", 1989, 1500), ("Pretty Woman", 1990, 900), ("Notting Hill", 1999, 800),
    ("Love and Death", 1975, 300), ("Bonnie and Clyde", 1967, 700), ("Thelma & Louise", 1991, 900),
    ("Face/Off", 1997, 1300), ("Someone to Watch Over Me", 1987, 90), ("Watcher, The", 2000, 60),
    ("I Saw What You Did", 1965, 20), ("Scary Movie", 2000, 500), ("Original Kings of Comedy, The", 2000, 90),
    ("Funny Face", 1957, 150), ("Funny Bones", 1995, 40), ("Bye Bye, Love", 1995, 30), ("Mr. Wonderful", 1993, 40),
]  # fmt: skip
ENTRIES = [TitleEntry(i + 1, title, year, popularity) for i, (title, year, popularity) in enumerate(CATALOGUE)]
TITLES = TitleIndex(ENTRIES)

ACTIONS = (chat.Rate, chat.Mention, chat.Forget, chat.Dismiss, chat.MoreLike, chat.Why, chat.Details,
           chat.ExcludeGenre, chat.OnlyGenre, chat.AllowGenre, chat.YearRange, chat.SetAge, chat.SetGender,
           chat.SetOccupation, chat.ClearFilters, chat.Reset, chat.PutOnList, chat.TakeOffList, chat.ImportFile,
           chat.Mainstream, chat.Quit)  # fmt: skip
WORDS: dict[str, Intent | type] = {
    "clear": chat.ClearFilters(), "reset": chat.Reset(), "help": chat.Help(), "undo": chat.Undo(),
    "back": chat.Back(), "skip": chat.Skip(), "yes": chat.Answer(True), "no": chat.Answer(False),
    "anyyear": chat.YearRange(None, None), "unknown": chat.Unknown, "suggest": chat.Suggest(),
    "ratings": chat.ShowRatings(), "quit": chat.Quit(),
}  # fmt: skip
GENDERS = {"f": "F", "female": "F", "m": "M", "male": "M"}


def movie(name: str) -> TitleEntry:
    """ "Alien/1979" -> the entry; the year may be left out when the title is unique."""
    title, slash, year = name.rpartition("/")
    if not slash or not year.isdigit():  # "Face/Off": a slash in the title, no year
        title, year = name, ""
    found = [e for e in ENTRIES if e.title == title and (not year or e.year == int(year))]
    if len(found) != 1:
        raise ValueError(f"the corpus names {name!r}, which is {len(found)} movies of the catalogue")
    return found[0]


def _years(text: str) -> chat.YearRange:
    start, _, end = text.partition("-")
    return chat.YearRange(int(start) if start else None, int(end) if end else None)


def _occupation(text: str) -> int:
    if text.isdigit():
        return int(text)
    (code,) = [c for c, name in OCCUPATIONS.items() if name == text or name.split("/")[0] == text]
    return code


def _card(arg: str) -> tuple[TitleEntry | None, int]:
    """ "#3": the card numbered 3; "TITLE or #2001": digits that are also a title (either)."""
    title, _, number = arg.rpartition("#")
    named = title.removesuffix(" or ").strip()
    return (movie(named) if named else None), int(number)


def expected_intent(spec: str) -> tuple[Intent | type, bool]:
    """One expected intent in the corpus notation (see the top of chat_corpus.tsv), and whether it
    must be asked about first (a leading "?"). A bare "unknown" or "skip" is a class."""
    spec = spec.strip()
    guess = spec.startswith("?")
    verb, _, arg = spec.lstrip("?").partition(" ")
    arg = arg.strip()
    if verb in WORDS:
        return WORDS[verb], guess
    list_kinds = {"watch": (chat.PutOnList, "watchlist"), "unwatch": (chat.TakeOffList, "watchlist"),
                  "seen": (chat.PutOnList, "seen"), "unseen": (chat.TakeOffList, "seen")}  # fmt: skip
    if verb in list_kinds:
        kind, name = list_kinds[verb]
        if "#" in arg:
            named, number = _card(arg)
            return kind(named, name, number), guess
        return kind(None if arg == "this" else movie(arg), name), guess
    if verb in ("lists", "openlists"):
        named = {"": None, "watchlist": "watchlist", "seen": "seen"}[arg]
        return chat.ShowLists(named, open=verb == "openlists"), guess  # type: ignore[arg-type]
    if verb == "import":
        return chat.ImportFile(tuple(p.strip() for p in arg.split("|"))), guess
    title_kinds = {"rate": chat.Rate, "mention": chat.Mention, "forget": chat.Forget, "dismiss": chat.Dismiss,
                   "more": chat.MoreLike, "why": chat.Why, "about": chat.Details}  # fmt: skip
    genre_kinds = {"out": chat.ExcludeGenre, "only": chat.OnlyGenre, "allow": chat.AllowGenre}
    intent: Intent
    if verb == "rate":
        name, rating = arg.rsplit(" ", 1)
        intent = chat.Rate(movie(name), float(rating))
    elif verb in ("more", "why", "about", "dismiss") and "#" in arg:
        intent = title_kinds[verb](*_card(arg))
    elif verb in title_kinds:
        intent = title_kinds[verb](None if arg == "this" else movie(arg))
    elif verb in genre_kinds:
        intent = genre_kinds[verb](tuple(arg.split("+")))
    elif verb == "age":
        bucket = arg.startswith("bucket")
        intent = chat.SetAge(int(arg.split()[1])) if bucket else chat.SetAge(age_bucket_for(int(arg)), int(arg))
    elif verb == "gender":
        intent = chat.SetGender(GENDERS[arg.lower()])
    elif verb == "job":
        intent = chat.SetOccupation(_occupation(arg))
    elif verb == "years":
        intent = _years(arg)
    elif verb == "dial":  # "dial +0.25": move the mainstream dial by that much; "dial 0.8": set it
        intent = chat.Mainstream(step=float(arg)) if arg[0] in "+-" else chat.Mainstream(novelty=float(arg))
    elif verb in ("save", "load"):
        intent = (chat.Save if verb == "save" else chat.Load)(arg or None)
    else:
        raise ValueError(f"unknown intent {spec!r} in the corpus")
    return intent, guess


def expecting(spec: str) -> Expecting | None:
    """The question answered: "", "age", "gender", "occupation", "rating Heat/1995", "confirm
    Heat/1995", or "which CHOICE | CHOICE" (the readings offered)."""
    if not spec:
        return None
    kind, _, rest = spec.partition(" ")
    if kind == "rating" or kind == "confirm":
        return Expecting(kind, movie(rest.strip()))  # type: ignore[arg-type]
    if kind == "which":
        return Expecting("which", choices=tuple(c.strip() for c in rest.split("|")))
    return Expecting(kind)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Case:
    line: int
    text: str
    expected: str
    context: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: list[Intent]
    understood: bool
    wrong_actions: list[Intent]


def read_corpus(path: Path = CORPUS) -> list[Case]:
    cases = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row or row[0].startswith("#") or not "".join(row).strip():
                continue
            if len(row) < 2:
                raise ValueError(f"{path.name}:{number}: expected 'utterance<TAB>intents[<TAB>question]', got {row!r}")
            cases.append(Case(number, row[0], row[1], row[2] if len(row) > 2 else ""))
    return cases


def _same(got: Intent, want: Intent | type) -> bool:
    return isinstance(got, want) if isinstance(want, type) else got == want


def score(case: Case) -> Outcome:
    got = parse(case.text, TITLES, expecting(case.context))
    wanted = [expected_intent(spec) for spec in re.split(r"\s*;\s*", case.expected) if spec.strip()]
    understood = len(got) == len(wanted) and all(
        _same(g, w) and (g.sureness == "guess") == guess for g, (w, guess) in zip(got, wanted, strict=True)
    )
    wrong = [
        g
        for g in got
        if isinstance(g, ACTIONS) and g.sureness != "guess" and not any(_same(g, w) for w, _ in wanted)
    ]
    return Outcome(case, got, understood, wrong)


def run(path: Path = CORPUS) -> list[Outcome]:
    return [score(case) for case in read_corpus(path)]
