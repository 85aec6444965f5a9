"""The words and patterns the chat parser knows: rating verbs and adjectives, commands, filters,
decades, and the regular expressions built from them. Data only; `parser.py` applies them."""

from __future__ import annotations

import re
from typing import Literal

from movierec_tui.catalogue import AGE_BUCKETS

VERBS: dict[str, int] = {
    "loved": 5, "love": 5, "adored": 5, "adore": 5, "really liked": 5, "really like": 5, "really loved": 5,
    "really love": 5, "really enjoyed": 5, "really hated": 1, "really disliked": 1,
    "liked": 4, "like": 4, "enjoyed": 4, "enjoy": 4,
    "meh": 3, "didn't mind": 3, "didnt mind": 3,
    "disliked": 2, "dislike": 2, "didn't like": 2, "didnt like": 2, "did not like": 2, "don't like": 2,
    "dont like": 2, "not a fan of": 2, "wasn't a fan of": 2,
    "hated": 1, "hate": 1, "loathed": 1, "loathe": 1, "despised": 1, "despise": 1, "can't stand": 1,
    "couldn't stand": 1,
}  # fmt: skip
ADJECTIVES: dict[str, int] = {
    "great": 5, "amazing": 5, "awesome": 5, "brilliant": 5, "masterpiece": 5, "perfect": 5, "fantastic": 5,
    "excellent": 5, "the best": 5, "my favourite": 5, "my favorite": 5, "loved": 5, "incredible": 5,
    "wonderful": 5, "superb": 5, "outstanding": 5, "underrated": 4,
    "good": 4, "nice": 4, "fun": 4, "pretty good": 4, "liked": 4, "enjoyable": 4,
    "ok": 3, "okay": 3, "fine": 3, "meh": 3, "so so": 3, "so-so": 3, "average": 3, "alright": 3, "decent": 3,
    "bad": 2, "boring": 2, "poor": 2, "weak": 2, "not great": 2, "not good": 2, "disappointing": 2, "overrated": 2,
    "forgettable": 2, "mediocre": 2,
    "awful": 1, "terrible": 1, "horrible": 1, "the worst": 1, "garbage": 1, "trash": 1, "hated": 1, "dreadful": 1,
}  # fmt: skip
ANSWERS: dict[str, int] = {**ADJECTIVES, **VERBS}  # "loved it", "great", "meh" as answers to a question
DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000,
}  # fmt: skip
AGE_LABELS = {label.lower(): code for code, label in AGE_BUCKETS.items()}
QUICK_OCCUPATIONS = ("programmer", "student", "artist", "scientist", "writer", "educator", "retired", "other")
EXAMPLES = ("I'm 34", "female programmer", "loved Alien", "Heat 4", "no horror", "only comedies",
            "from the 80s", "more like Blade Runner", "why Brazil?", "forget Heat", "help")  # fmt: skip

GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "howdy", "yo", "good morning", "good evening", "hi there"})
THANKS = frozenset({"thanks", "thank you", "thx", "ty", "cheers", "great thanks", "cool", "nice", "awesome"})
HELP_WORDS = frozenset({"help", "h", "?", "commands", "menu", "usage", "examples", "what now", "huh", "what"})
# "seen it, 4", "yes, loved it": an answer to "Have you seen Heat?" before its rating
SEEN_IT = re.compile(r"^(?:yes|yeah|yep|seen(?:\s+it)?|i\s+have(?:\s+seen\s+it)?|i\s+saw\s+it)\b[\s,.!:-]*(?=\S)")
# "hated, hated, hated Titanic": a feeling said again for emphasis is said once
SAID_AGAIN = re.compile(r"\b(loved|hated|liked|disliked|adored|loathed)(?:[\s,!.]+\1)+\b", re.IGNORECASE)
# "older movies", "classics", "something more recent": years the person did not name (the chat asks)
VAGUE_YEARS = re.compile(
    r"(?:(?:something|anything|only|just|some|more|i\s+want)\s+)*"
    r"(?:old|older|oldies|new|newer|recent|classic|classics|modern)(?:\s+(?:ones?|movies?|films?|stuff|classics?))?",
    re.IGNORECASE,
)
# "what should I watch tonight?", "what do you recommend?", "any suggestions?", "give me a recommendation"
SUGGEST = re.compile(
    r"(?:so\s+|ok(?:ay)?\s+)?(?:what|which)\s+(?:movie\s+|film\s+|one\s+)?(?:should|shall|could|can)\s+i\s+"
    r"(?:watch|see)(?:\s+(?:tonight|now|next|today|first))?|"
    r"what\s+(?:do|would)\s+you\s+(?:recommend|suggest)(?:\s+(?:for\s+)?(?:me|tonight))?|"
    r"(?:any|your)\s+(?:recommendations?|suggestions?|picks|tips)|"
    r"(?:give|show)\s+me\s+(?:a\s+|some\s+)?(?:recommendations?|suggestions?|something\s+to\s+watch)|"
    r"(?:recommend|suggest)\s+(?:me\s+)?(?:something|a\s+movie|a\s+film|anything)|"
    r"(?:just\s+)?pick\s+(?:something|one|a\s+movie|a\s+film)(?:\s+for\s+me)?|surprise\s+me|"
    r"(?:i'?m|im|i\s+am)\s+bored|what\s+(?:to|should\s+we)\s+watch(?:\s+tonight)?",
    re.IGNORECASE,
)
RESET_WORDS = frozenset({"reset", "start over", "restart", "new profile", "reset profile", "clear profile",
                          "clear everything", "reset everything", "forget everything", "start again"})  # fmt: skip
CLEAR_WORDS = frozenset({
    "clear filters", "clear filter", "clear the filters", "reset filters", "reset filter", "remove filters",
    "remove filter", "remove the filters", "no filters", "no filter", "drop filters", "drop the filters",
    "all genres", "any genre", "everything", "show everything", "show all", "unfilter", "filters off",
})  # fmt: skip
ANY_YEAR_WORDS = frozenset({"any year", "any decade", "all years", "any time", "any era", "all decades",
                             "any age"})  # fmt: skip
SKIP_WORDS = frozenset({
    "skip", "pass", "next", "dunno", "don't know", "dont know", "not seen", "haven't seen", "havent seen",
    "haven't seen it", "havent seen it", "never seen", "never seen it", "didn't see", "didnt see",
    "didn't see it", "no idea", "n/a", "not sure", "rather not say", "prefer not to say", "skip it", "skip this",
    "skip that", "nope", "no", "not seen it", "haven't watched it", "never watched it", "seen it? no", "not interested",
})  # fmt: skip
BACK_WORDS = frozenset({"back", "go back", "done", "i'm done", "im done", "enough", "that's enough", "thats enough",
                         "stop", "stop asking", "finish", "finished", "my recommendations", "my recs", "for me",
                         "mine", "home", "escape"})  # fmt: skip
YES_WORDS = frozenset({"yes", "y", "yeah", "yea", "yep", "yup", "sure", "correct", "right", "that's it", "thats it",
                        "that one", "yes please", "exactly", "indeed", "of course", "ok", "okay", "yes that one",
                        "yes!", "affirmative", "si", "ja", "oui", "aye", "uh huh", "definitely"})  # fmt: skip
NO_WORDS = frozenset({"no", "n", "nope", "nah", "no thanks", "wrong", "not that one", "neither", "none", "cancel",
                       "no that's wrong", "not that", "never mind", "nevermind", "no way", "nein", "non"})  # fmt: skip
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
            "fifth": 4, "5th": 4, "one": 0, "two": 1, "three": 2, "four": 3, "five": 4}  # fmt: skip
# "nothing before 1970": a year filter said the other way round.
YEAR_NEGATIONS = frozenset({"nothing", "no", "none", "no movies", "no films", "nothing made", "nothing released",
                            "nothing from", "not", "none from", "no movies from", "no films from", "hide",
                            "hide everything", "hide anything", "skip", "skip anything", "exclude", "drop",
                            "don't show", "dont show", "don't show me", "dont show me", "no old movies",
                            "no old films", "nothing older", "nothing newer", "no stuff"})  # fmt: skip
QUIT_WORDS = frozenset({"quit", "exit", "bye", "bye bye", "goodbye", "good bye", "see you", "see ya", "log out",
                        "logout", "quit the app", "close the app"})  # fmt: skip
UNDO_WORDS = frozenset({"undo", "oops", "undo that", "take that back", "undo last"})
LIST_WORDS = frozenset({"profiles", "saved profiles", "list profiles", "show profiles", "load", "load profile",
                         "my profiles"})  # fmt: skip
THIS_WORDS = frozenset({"", "this", "that", "this one", "that one", "this movie", "that movie", "it", "this film"})
SELF = (
    r"(?:i\s*am|i'?m|im|age|aged|gender|sex|job|occupation|i\s+work\s+as|my\s+job\s+is|working\s+as|"
    r"i'?m\s+working\s+as|i\s+work\s+in)"
)

YEAR = r"(?:18|19|20)\d\d"
FILLER_START = re.compile(
    r"^(?:(?:please|pls|ok|okay|so|well|hey|um+|uh+|and|also|then|now|maybe|oh|hmm+|honestly|frankly|tbh|i\s+think|i\s+guess|i'?d\s+say)\b[\s,]*)+"
    r"(?=\S)",
    re.IGNORECASE,
)
FILLER_END = re.compile(
    r"(?<=\S)[\s,]*\b(?:please|pls|thanks|thank you|thx|from me|yesterday|last night|last week|today|recently|"
    r"the other day|i guess|i think|i suppose|tbh|honestly)\s*$",
    re.IGNORECASE,
)


def alternatives(words: dict[str, int] | frozenset[str]) -> str:
    """A regex alternation of phrases, longest first, any run of spaces between words."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_HALF_STARS = r"\d(?:[.,]\d)?½?|½"  # "4", "4.5", "4,5", "3½", "½"
RATING_SUFFIX = re.compile(
    r"(?P<title>.+?)\s*(?:[=:]|\s[-–—](?=\s)|\s+(?:deserves|gets|earns|is\s+worth)(?:\s+an?)?\s|\s)\s*"
    rf"(?:(?P<n>-?(?:{_HALF_STARS}))(?:\s*/\s*5|\s*stars?|\s*out\s+of\s+5)?|"
    r"(?P<n10>-?\d{1,2}(?:[.,]\d)?)\s*(?:/|out\s+of)\s*10|(?P<stars>[★⭐*]{1,5})(?P<half>½)?)",
    re.IGNORECASE,
)
RATING_PREFIX = re.compile(
    rf"(?P<n>{_HALF_STARS})(?:\s*/\s*5)?(?:\s*stars?)?\s+(?:for|to|on)\s+(?P<title>.+)|"
    r"(?:i'?d\s+|i\s+would\s+|i\s+)?(?:give|gave|rate|rated|rating|score)\s+(?P<title2>.+?)\s+(?:a\s+|as\s+|an?\s+)?"
    rf"(?P<n2>-?(?:{_HALF_STARS}|\d\d))(?P<ten>\s*/\s*10)?(?:\s*/\s*5)?(?:\s*stars?)?",
    re.IGNORECASE,
)
RATE_WITHOUT_NUMBER = re.compile(
    r"(?:rate|i'?ve\s+seen|i\s+have\s+seen|seen|watched|i\s+watched|i'?ve\s+watched)\s+(?P<title>.+)", re.IGNORECASE
)
RATING_VERB = re.compile(
    r"(?:i\s+)?(?:(?:totally|absolutely|kinda|kind\s+of|sort\s+of|just|truly|honestly)\s+)?"
    rf"(?P<verb>{alternatives(VERBS)})\s+(?P<title>.+?)"
    r"(?:\s+(?:(?P<more>a\s+lot|so\s+much|very\s+much)|too|a\s+bit|a\s+little|at\s+all))?",
    re.IGNORECASE,
)
RATING_ADJECTIVE = re.compile(
    r"(?P<title>.+?)(?:\s+(?:was|is|were|-)|\s*[=:])\s+(?:(?:really|so|pretty|just|quite|a|an|truly|totally)\s+)*"
    rf"(?P<adj>{alternatives(ADJECTIVES)})(?:\s+(?:movie|film|one))?",
    re.IGNORECASE,
)
# "Heat - loved it", "Heat: hated it", "Heat, great", "Heat (meh)": a dash needs a space before it ("Spider-Man")
FEELING_AFTER = re.compile(r"(?P<title>.+?)\s*(?:\s[-–—]+|[:,.;!]+|\()\s*(?P<feeling>[^()]+?)\s*\)?[\s.!]*")
FAVOURITE_IS = re.compile(  # "my favourite film is Heat": the adjective first
    r"(?P<adj>my\s+favou?rite)\s+(?:movie|film)(?:\s+(?:ever|of\s+all\s+time))?\s+(?:is|was)\s+(?P<title>.+?)",
    re.IGNORECASE,
)
WHY = re.compile(
    r"why\b\s*(?:(?:did|do|would|should)\s+(?:you|i)\s+(?:recommend|suggest|pick|choose|show|like|watch)(?:\s+me)?\s+|"
    r"(?:is|was|are)(?:n'?t|\s+not)?\s+|(?:isn'?t|aren'?t|wasn'?t)\s+|recommend\s+|not\s+|this\s+one\s*$)?"
    r"(?P<title>.*?)(?:\s+(?:recommended|suggested|here|there|on\s+(?:the|my)\s+list|in\s+(?:the|my)\s+list|"
    r"showing|shown|for\s+me))?\s*\?*",
    re.IGNORECASE,
)
# "tell me about Fargo", "what's Fargo about?", "info on 3", "details of this": the details screen
DETAILS = re.compile(
    r"(?:(?:(?:can|could)\s+you\s+)?tell\s+me\s+(?:a\s+bit\s+|a\s+little\s+|more\s+)?about|more\s+about|"
    r"(?:more\s+)?info(?:rmation)?\s+(?:on|about|for)|(?:show\s+(?:me\s+)?)?(?:the\s+)?details?\s+(?:of|for|on|about))"
    r"\s+(?P<title>.+?)\s*\?*|what(?:'?s|\s+is)\s+(?P<title2>.+?)\s+about\s*\?*",
    re.IGNORECASE,
)
MORE_LIKE = re.compile(
    r"(?:(?:show\s+me|give\s+me|find(?:\s+me)?|i\s+want|recommend|suggest|have\s+you\s+got|do\s+you\s+have|"
    r"got|any)\s+)?(?:some\s+)?"
    r"(?:more|movies|films|something|anything|stuff|others?|similar(?:\s+(?:movies|films))?)\s+"
    r"(?:just\s+|a\s+bit\s+)?(?:like|to)\s+(?P<title>.+)|"
    r"(?:(?:movies|films|something|anything|stuff|what'?s|what\s+is|anything)\s+)?similar\s+to\s+(?P<title2>.+)",
    re.IGNORECASE,
)
FORGET = re.compile(
    r"(?:forget|unrate|remove|delete|erase|take\s+back)\s+(?:about\s+)?(?:my\s+)?(?:rating\s+(?:of|for)\s+)?"
    r"(?P<title>.+)",
    re.IGNORECASE,
)
DISMISS = re.compile(
    r"(?:dismiss|hide|never\s+show(?:\s+me)?|not\s+interested\s+in|no\s+more|don'?t\s+show(?:\s+me)?|ban)\s+"
    r"(?P<title>.+)",
    re.IGNORECASE,
)
GENRE_RULES: tuple[tuple[re.Pattern[str], Literal["out", "only", "allow"]], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"(?:not\s+into|no|not|without|hide|exclude|skip|nothing|never|no\s+more|drop|less|fewer|remove|ban|block|"
         r"don'?t\s+show(?:\s+me)?|i\s+(?:hate|don'?t\s+(?:really\s+)?like|dislike|can'?t\s+stand)|hate|not\s+into|"
         r"(?:i'?m|im|i\s+am)\s+not\s+(?:really\s+|very\s+)?(?:into|a\s+fan\s+of|big\s+on|keen\s+on|fond\s+of)|"
         r"anything\s+but|enough)\s+(?P<g>.+)", "out"),
        (r"(?P<g>.+?)\s+(?:is|are)\s+(?:out|banned|off|not\s+ok|not\s+okay|boring)", "out"),
        (r"(?:only|just|nothing\s+but|show(?:\s+me)?\s+only|i\s+only\s+want|only\s+want|i\s+want\s+only|"
         r"strictly|only\s+show(?:\s+me)?)\s+(?P<g>.+)", "only"),
        (r"(?P<g>.+?)\s+only", "only"),
        (r"(?:allow|include|unhide|bring\s+back|show(?:\s+me)?|with)\s+(?P<g>.+?)(?:\s+again)?", "allow"),
        (r"(?P<g>.+?)\s+(?:(?:is|are)\s+(?:fine|ok|okay|allowed|alright|back|good)(?:\s+again)?|again)", "allow"),
    )
)  # fmt: skip
DECADE = re.compile(
    r"(?:(?:from|in|of|during)\s+)?(?:the\s+)?(?:(?P<century>18|19|20)?(?P<d>\d)0\s*'?\s*s|['’](?P<d2>\d)0\s*'?s|"
    r"(?P<word>" + "|".join(DECADE_WORDS) + r"))\b",
    re.IGNORECASE,
)
RANGE = re.compile(
    rf"(?:(?:from|between)\s+)?(?P<a>{YEAR})\s*(?:-|–|—|to|and|until|till|through)\s*(?P<b>{YEAR})\b",
    re.IGNORECASE,
)
AFTER = re.compile(
    r"\b(?P<word>after|since|from|newer\s+than|post|starting(?:\s+from)?|later\s+than)\s+(?P<y>\d{4})\b",
    re.IGNORECASE,
)
BEFORE = re.compile(
    r"\b(?P<word>before|until|till|up\s+to|through|older\s+than|pre|earlier\s+than|by)\s+(?P<y>\d{4})\b",
    re.IGNORECASE,
)
FILTER_NOISE_START = re.compile(
    r"^(?:(?:only|just|movies|films|show\s+me|something|anything|stuff|i\s+want|give\s+me)\s+)+", re.IGNORECASE
)
FILTER_NOISE_END = re.compile(
    r"(?:(?:^|\s+)(?:movies|films|only|please|ones|stuff|flicks|on|onwards?|and\s+later|or\s+later|and\s+newer))+$",
    re.IGNORECASE,
)


# -- the watchlist and the seen list (chat/lists.py) ----------------------------------------------
def _compiled(*patterns: str) -> tuple[re.Pattern[str], ...]:
    """The patterns of one intent, tried in order, case-insensitive."""
    return tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)


_THE = r"(?:(?:my|the|your)\s+)?"
_WATCHLIST = r"(?:watch\s*-?\s*list|watch[\s-]+later(?:\s+list)?|to[\s-]+watch(?:\s+list)?|list\s+to\s+watch)"
_SEEN_LIST = r"(?:seen(?:[\s-]+(?:it\s+)?list)?|watched(?:\s+list)?)"
WATCHLIST_ADD = _compiled(
    rf"(?:add|put|save|keep|stick|pop|throw)\s+(?P<title>.+?)\s+(?:to|on|onto|in|into)\s+{_THE}(?:{_WATCHLIST}|list)",
    rf"(?P<title>.+?)\s+(?:to|on|onto)\s+{_THE}{_WATCHLIST}",
    rf"(?:add\s+to\s+{_THE}{_WATCHLIST}|{_WATCHLIST}|watch\s+later)\s*[:\-]?\s+(?P<title>.+)",
    r"(?:save|keep)\s+(?P<title>.+?)\s+for\s+later",
    r"(?:i\s+)?(?:want|wanna|need|have|'d\s+like|would\s+like|must)\s+(?:to\s+)?(?:watch|see)\s+(?P<title>.+)",
    r"remind\s+me\s+to\s+(?:watch|see)\s+(?P<title>.+)",
)  # fmt: skip
WATCHLIST_REMOVE = _compiled(
    rf"(?:remove|delete|take|drop|cross|strike|scratch)\s+(?P<title>.+?)\s+(?:off|from|out\s+of)\s+{_THE}"
    rf"(?:{_WATCHLIST}|list)",
    rf"(?P<title>.+?)\s+off\s+{_THE}{_WATCHLIST}",
    r"un-?watchlist\s+(?P<title>.+)",
)  # fmt: skip
SEEN_ADD = _compiled(
    r"(?:i'?ve\s+|i\s+have\s+|i\s+|ive\s+)?(?:already\s+)?(?:seen|watched|saw)\s+(?P<title>.+?)(?:\s+already)?",
    r"mark\s+(?P<title>.+?)\s+(?:as\s+)?(?:seen|watched)",
    rf"(?:add|put)\s+(?P<title>.+?)\s+(?:to|on)\s+{_THE}{_SEEN_LIST}",
)  # fmt: skip
SEEN_REMOVE = _compiled(
    r"un-?see\s+(?P<title>.+)",
    r"(?:i\s+)?(?:have\s*n'?t|haven'?t|havent|have\s+not|never|not|didn'?t|did\s+not)\s+(?:seen|watched|see|watch)\s+"
    r"(?P<title>.+)",
    r"mark\s+(?P<title>.+?)\s+(?:as\s+)?(?:unseen|not\s+seen|unwatched)",
    rf"(?:remove|delete|take|drop)\s+(?P<title>.+?)\s+(?:off|from|out\s+of)\s+{_THE}{_SEEN_LIST}",
)  # fmt: skip
# "watchlist", "show my watchlist", "what have I seen", "open my lists": (which list, open the screen)
_SHOW = (r"(?:(?P<open>open|browse)|show(?:\s+me)?|list|view|see|check|display|what'?s\s+(?:on|in)|"
         r"what\s+is\s+(?:on|in))")
# "my ratings", "show my ratings", "what did I rate?", "which movies have I rated so far"
SHOW_RATINGS = re.compile(
    rf"(?:{_SHOW}\s+)?{_THE}ratings\s*\??|(?:what|which\s+(?:movies|films))\s+(?:have|did)\s+i\s+(?:rate|rated)"
    r"(?:\s+(?:already|so\s+far))?\s*\??",
    re.IGNORECASE,
)
SHOW_LISTS = re.compile(
    rf"(?:{_SHOW}\s+)?{_THE}(?:(?P<watchlist>{_WATCHLIST})|(?P<seen>seen(?:[\s-]+(?:it\s+)?list|\s+movies)|"
    r"watched\s+list)|(?P<both>lists|movie\s+lists))\s*\??|"
    r"(?:what\s+(?:have|did)\s+i\s+(?P<seen2>seen|watched|see|watch)(?:\s+already|\s+so\s+far)?|"
    r"(?:what|which\s+movies)\s+(?:do|did)\s+i\s+want\s+to\s+(?P<watchlist2>watch|see))\s*\??",
    re.IGNORECASE,
)
