"""The Textual app (see main.py for how it is put together).

`from movierec_tui.app import MovieRecApp` loads the app on first use, so importing one of the
Textual-free parts (conversation.py) does not import Textual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from movierec_tui.app.main import MovieRecApp

__all__ = ["MovieRecApp"]


def __getattr__(name: str) -> Any:
    if name == "MovieRecApp":
        from movierec_tui.app.main import MovieRecApp

        return MovieRecApp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
