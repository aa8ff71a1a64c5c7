"""Where ``journal run`` finds experiments: the ``journal.experiments`` entry-point group, and
``run:`` lines in ``<results>/experiments.yml``.

An experiment is a typed config dataclass and a function ``run(config, request)`` that trains one
seed (:class:`journal.experiments.RunRequest`) and returns the paths of the records it wrote.
It is registered in one of two ways:

- **an entry point** in the package that holds it (``pyproject.toml``)::

      [project.entry-points."journal.experiments"]
      digits_mlp = "digits.train:run"            # the function: its config is the annotation
                                                 # of its first parameter
      # or an Experiment object, so listing never imports the training code:
      # digits_mlp = "digits:EXPERIMENT"

- **a line in the results folder's** ``experiments.yml``, for a script that is not a package::

      digits_mlp:
        run: train_digits:run                    # module:function, imported from the current folder

The bundled experiments register through the same group (this package's own entry points). In a
source tree whose installed metadata predates them, they are read from its ``pyproject.toml``.
Entry points are loaded on first use, so ``journal --help`` and completion import nothing heavy.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import sys
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import JournalError, UnknownExperimentError
from ..paths import DECLARATIONS_FILE

if TYPE_CHECKING:
    from ..declarations import DeclarationError

GROUP = "journal.experiments"
"""The entry-point group experiments register in."""
EXTRA_MODULES = ("torch", "PIL", "tqdm")
"""What the bundled experiments import that the core does not install."""
BUNDLED_PREFIX = "journal.experiments."


class MissingExtraError(JournalError):
    """A bundled experiment was started without the ``[experiments]`` extra installed."""

    def __init__(self, experiment: str, module: str) -> None:
        self.experiment = experiment
        self.module = module
        super().__init__(f"experiment '{experiment}' needs {module}; bundled experiments need the "
                         "[experiments] extra (torch): pip install 'runjournal[experiments]'")


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: its config dataclass and its training entry point.

    ``entry_point`` (``"module:function"``) is imported on first use, so an ``Experiment`` can
    be listed without importing torch; ``function`` is the entry point already loaded.
    """

    name: str
    summary: str
    config_cls: type
    entry_point: str = ""  # "module:function", imported on first use
    function: Callable[..., list[Path]] | None = field(default=None, compare=False, repr=False)

    def runner(self) -> Callable[..., list[Path]]:
        """The ``run(config, request)`` function."""
        if self.function is not None:
            return self.function
        loaded = _load(self.entry_point, self.name)
        if not callable(loaded):
            raise JournalError(f"experiment '{self.name}' ({self.entry_point}): not a function")
        runner: Callable[..., list[Path]] = loaded
        return runner

    @classmethod
    def from_function(cls, name: str, function: Callable[..., Any], where: str) -> Experiment:
        """An experiment from its ``run(config, request)`` function: the config class is the
        annotation of the first parameter (a dataclass), the summary its docstring's first line.

        Raises:
            JournalError: the function's first parameter is not annotated with a dataclass.
        """
        try:
            first = next(iter(inspect.signature(function).parameters))
            hints = typing.get_type_hints(function)
        except (StopIteration, TypeError, ValueError, NameError) as exc:
            raise JournalError(f"experiment '{name}' ({where}): expected run(config, request) with "
                               f"the config annotated by its dataclass ({exc or 'no parameters'})"
                               ) from None
        config_cls = hints.get(first)
        if not (isinstance(config_cls, type) and dataclasses.is_dataclass(config_cls)):
            raise JournalError(f"experiment '{name}' ({where}): the first parameter of "
                               f"{getattr(function, '__name__', 'run')} must be annotated with "
                               "its config dataclass, e.g. run(config: DigitsConfig, request)")
        doc = inspect.getdoc(function) or inspect.getdoc(config_cls) or ""
        return cls(name=name, summary=doc.strip().split("\n\n")[0].replace("\n", " "),
                   config_cls=config_cls, entry_point=where, function=function)


def _load(target: str, name: str) -> Any:
    """The object ``module:attribute`` names (the module imported, the current folder on the
    path for scripts that are not installed)."""
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise JournalError(f"experiment '{name}': '{target}' is not module:function")
    if not module.startswith(BUNDLED_PREFIX) and str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if module.startswith(BUNDLED_PREFIX) and missing in EXTRA_MODULES:
            raise MissingExtraError(name, missing) from None
        raise JournalError(f"experiment '{name}' ({target}): cannot import {module}: "
                           f"no module named '{exc.name}'") from None
    obj = loaded
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise JournalError(f"experiment '{name}' ({target}): {module} has no '{attr}'") from None
    return obj


def _resolve(name: str, target: str) -> Experiment:
    """The experiment a registration names: an :class:`Experiment` object or a run function."""
    obj = _load(target, name)
    if isinstance(obj, Experiment):
        return obj if obj.name == name else dataclasses.replace(obj, name=name)
    if callable(obj):
        return Experiment.from_function(name, obj, target)
    raise JournalError(f"experiment '{name}' ({target}): expected an Experiment or a run function, "
                       f"found {type(obj).__name__}")


def _source_tree_entry_points() -> dict[str, str]:
    """This package's own ``journal.experiments`` entry points read from ``pyproject.toml``, for
    a source tree run without (or with stale) installed metadata."""
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    project = data.get("project", {})
    if project.get("name") != "runjournal":
        return {}
    group = project.get("entry-points", {}).get(GROUP, {})
    return {str(k): str(v) for k, v in group.items()}


def installed() -> dict[str, str]:
    """Names → ``module:attribute`` of the experiments registered as entry points (the first
    of two with one name wins), the bundled ones included."""
    from importlib.metadata import entry_points

    found: dict[str, str] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep.value)
    if not any(v.startswith(BUNDLED_PREFIX) for v in found.values()):
        for name, value in _source_tree_entry_points().items():
            found.setdefault(name, value)
    return found


def declared(results_dir: str | Path | None,
             bad: list[DeclarationError] | None = None) -> dict[str, str]:
    """Names → ``module:function`` of the ``run:`` lines in ``<results_dir>/experiments.yml``.
    An invalid experiment's entry is left out, as the site leaves it out, and its error goes to
    ``bad`` (so one typo does not stop every other experiment)."""
    if results_dir is None:
        return {}
    from ..declarations import load_declarations

    bad = [] if bad is None else bad
    return {name: d.run for name, d in load_declarations(results_dir, bad).items() if d.run}


class Registry(Mapping[str, Experiment]):
    """Name → :class:`Experiment`, from the entry points (and, given a results folder, its
    ``experiments.yml``); each experiment is loaded when first looked up."""

    def __init__(self, results_dir: str | Path | None = None) -> None:
        self._results_dir = results_dir
        self._targets: dict[str, str] | None = None
        self._loaded: dict[str, Experiment] = {}
        self.invalid: dict[str, DeclarationError] = {}
        """Experiments whose ``experiments.yml`` entry is invalid, with the error naming it."""

    def targets(self) -> dict[str, str]:
        if self._targets is None:
            targets = installed()
            bad: list[DeclarationError] = []
            found = declared(self._results_dir, bad)
            self.invalid = {str(e.field).split(".", 1)[0]: e for e in bad}
            for name, target in found.items():
                if name in targets and targets[name] != target:
                    raise JournalError(
                        f"experiment '{name}' is installed ({targets[name]}) and declared in "
                        f"{Path(self._results_dir or '.') / DECLARATIONS_FILE} ({target}); "
                        "rename one of them")
                targets[name] = target
            self._targets = targets
        return self._targets

    def __getitem__(self, name: str) -> Experiment:
        if name not in self._loaded:
            self._loaded[name] = _resolve(name, self.targets()[name])
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.targets()))

    def __len__(self) -> int:
        return len(self.targets())

    def __contains__(self, name: object) -> bool:
        return name in self.targets()


REGISTRY = Registry()
"""The installed experiments (entry points), the bundled five among them."""


def get_experiment(name: str, results_dir: str | Path | None = None) -> Experiment:
    """The experiment called ``name``, installed or declared with a ``run:`` line in
    ``results_dir``'s ``experiments.yml`` (read only for a name that is not installed);
    :class:`UnknownExperimentError` lists the valid ones."""
    if name in REGISTRY or results_dir is None:  # installed: experiments.yml is not read
        registry: Registry = REGISTRY
    else:
        registry = Registry(results_dir)
    if name not in registry:
        if name in registry.invalid:  # declared, but its entry is invalid: say why
            raise registry.invalid[name]
        raise UnknownExperimentError(name, sorted(registry))
    return registry[name]


def experiment_names(results_dir: str | Path | None = None) -> list[str]:
    """The names ``journal run`` accepts (for completion: nothing is imported)."""
    return sorted(Registry(results_dir).targets())
