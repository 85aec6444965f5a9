"""What a person types in the chat, turned into intents, and intents applied to a profile.

The parts: `intents` (what a message can mean), `phrases` (the words and patterns known),
`numbers` and `filters` (reading numbers, genres and years), `parser` (`parse`: text -> intents)
and `edits` (`apply_intent`: profile + intent -> new profile). Import from here; the parts are split
for size, not for separate use.

Every intent says how sure the parser is (`sureness`: exact, confident or guess). Numbers are read as
numbers first ("I'm -5" is no age, "rate 7" no rating, "seventeen" an age to ask about), a title
matched loosely is a guess, and guesses come last in the list: the conversation asks "Did you mean
...?" about each and acts only on a yes.

Pure on purpose: no Textual, Redis, Milvus or Paddle here, only a :class:`TitleIndex` to resolve
titles. So every phrasing the app understands is tested in milliseconds, and the UI stays a thin
shell that renders replies and schedules refreshes.

:func:`parse` never raises and never returns an empty list. Anything it cannot read becomes an
:class:`Unknown` carrying a one-line explanation and a few complete messages the person could send
instead (closest titles, the filter they probably meant, examples), which the app offers as quick
replies. Input is cleaned first: control characters become spaces and long text is cut, so a pasted
novel or a terminal escape sequence is just an odd sentence.

Rules are tried from the most specific to the least: answers to the question just asked ("34",
"loved it"), commands ("help", "reset"), questions ("why X?", "why 3?": `explore`, with "more like
X" and "more like 2", a card by the number it shows), "forget X", ratings
("loved X", "X 4", "4 stars for X"), filters ("no horror", "only comedies", "from the 80s"),
demographics ("I'm 34", "female programmer"), and last a bare title. The watchlist and the seen list
(`lists`: "add Heat to my watchlist", "seen Alien") are tried right after the answers; a message that
is only the path of a file (`paths`: a file dropped on the terminal) is an import, before any rule.
A rule whose title does not resolve does not win: later rules get their chance, and only if none
matches is the most useful title error reported (with the closest titles as suggestions). A message
made of several parts separated by commas or semicolons ("Alien 5, Heat 4") is understood part by
part when it is not understood as a whole.
"""

from movierec_tui.chat.edits import Edit, apply_intent, describe_change, describe_intent, unchanged_message
from movierec_tui.chat.intents import (
    AllowGenre,
    Answer,
    Back,
    ClearFilters,
    Details,
    Dismiss,
    ExcludeGenre,
    Expecting,
    Forget,
    Help,
    ImportFile,
    Intent,
    Load,
    Mainstream,
    Mention,
    MoreLike,
    OnlyGenre,
    PutOnList,
    Quit,
    Rate,
    Reset,
    Save,
    SetAge,
    SetGender,
    SetOccupation,
    ShowLists,
    ShowRatings,
    Skip,
    Suggest,
    Sure,
    TakeOffList,
    Undo,
    Unknown,
    Why,
    YearRange,
)
from movierec_tui.chat.parser import MAX_SUGGESTIONS, echo, parse
from movierec_tui.chat.phrases import EXAMPLES, QUICK_OCCUPATIONS

__all__ = [
    "EXAMPLES",
    "MAX_SUGGESTIONS",
    "QUICK_OCCUPATIONS",
    "AllowGenre",
    "Answer",
    "Back",
    "ClearFilters",
    "Details",
    "Dismiss",
    "Edit",
    "ExcludeGenre",
    "Expecting",
    "Forget",
    "Help",
    "ImportFile",
    "Intent",
    "Load",
    "Mainstream",
    "Mention",
    "MoreLike",
    "OnlyGenre",
    "PutOnList",
    "Quit",
    "Rate",
    "Reset",
    "Save",
    "SetAge",
    "SetGender",
    "SetOccupation",
    "ShowLists",
    "ShowRatings",
    "Skip",
    "Suggest",
    "Sure",
    "TakeOffList",
    "Undo",
    "Unknown",
    "Why",
    "YearRange",
    "apply_intent",
    "describe_change",
    "describe_intent",
    "echo",
    "parse",
    "unchanged_message",
]
