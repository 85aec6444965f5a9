"""The app's CSS parsed once in the session zygote, for every app it forks.

Textual parses the CSS of the app and of every widget class in its own process, twice at start: once
with the default theme's variables when the first screen is styled, and again when the app sets its
own theme. With the parse cache of each `Stylesheet` being its own, that was ~0.15 s of CPU per
session (a sixth of a served app's start), the same result in every app. Here the parse results are
kept per process, keyed by everything the parse depends on (the CSS text, where it was read from, its
scope and priority, and the theme's variables), and the zygote fills that cache before it forks: each
app then finds every rule set it asks for already parsed, in memory it shares with the zygote.

Only the session zygote installs this (`install` + `warm`): a local `movierec-tui` parses as before.
The parsed rule sets are never changed once made (Textual itself reuses them across re-parses).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator

from textual.app import App
from textual.css.model import RuleSet
from textual.css.stylesheet import CSSLocation, Stylesheet
from textual.dom import DOMNode
from textual.theme import Theme

VariablesKey = tuple[tuple[str, str], ...]
_parsed: dict[tuple[str, CSSLocation, bool, int, str, VariablesKey], list[RuleSet]] = {}
_variables_keys: dict[int, tuple[dict[str, str], VariablesKey]] = {}  # by id; the dict is kept alive
_parse_own_rules = Stylesheet._parse_rules


def _variables_key(variables: dict[str, str]) -> VariablesKey:
    """A hashable form of a theme's variables, made once per dict (a re-parse passes on the same one)."""
    known = _variables_keys.get(id(variables))
    if known is None or known[0] is not variables:
        if len(_variables_keys) > 16:  # themes switched back and forth: old dicts need not stay alive
            _variables_keys.clear()
        known = _variables_keys[id(variables)] = (variables, tuple(sorted(variables.items())))
    return known[1]


def _shared_parse_rules(
    self: Stylesheet,
    css: str,
    read_from: CSSLocation,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    key = (css, read_from, is_default_rules, tie_breaker, scope, _variables_key(self._variables))
    rules = _parsed.get(key)
    if rules is None:  # invalid CSS raises here, as before, and is not kept
        rules = _parsed[key] = _parse_own_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
    return rules


def install() -> None:
    """From now on every stylesheet in this process (and its forks) shares parse results."""
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]


def _node_classes() -> Iterator[type[DOMNode]]:
    pending = list(DOMNode.__subclasses__())
    while pending:
        cls = pending.pop()
        yield cls
        pending.extend(cls.__subclasses__())


def warm(app_class: type[App], themes: Iterable[Theme]) -> int:
    """Parses what an `app_class` app will: its CSS (files and `CSS`) and the default CSS of every widget
    class imported so far, with the variables of Textual's default theme (an app that sets its own on
    mount is styled with those first; MovieRecApp sets its own before it runs) and of each of `themes`.
    Returns the number of rule-set lists."""
    app = app_class.__new__(app_class)
    App.__init__(app)  # Textual's part only: the CSS paths and the default theme, nothing is started
    # A base class's CSS is parsed with the priority of the deepest class that brings it, which depends
    # on the classes an app mounts: each one any imported class could give it is parsed.
    classes = {app_class, *_node_classes()}
    defaults = {source for cls in classes for source in DOMNode._get_default_css(cls.__new__(cls))}
    variables = [app.get_css_variables()]
    for theme in themes:
        app.register_theme(theme)
        app.set_reactive(App.theme, theme.name)  # no watcher: this app never runs
        variables.append(app.get_css_variables())
    for each in variables:
        stylesheet = Stylesheet(variables=each)
        stylesheet.read_all(app.css_path)
        if app_class.CSS:
            own = (inspect.getfile(app_class), f"{app_class.__name__}.CSS")
            stylesheet.add_source(app_class.CSS, read_from=own, is_default_css=False)
        stylesheet.parse()
        for read_from, css, tie_breaker, scope in defaults:
            stylesheet._parse_rules(css, read_from, True, tie_breaker, scope)
    return len(_parsed)
