"""Registries: the names that `TrainConfig`, `build_model`, the command line and `load_run` accept.

A method of your own joins the built-in ones by registering under a name; from then on
that name works wherever a built-in one does (a saved run records the name, so register
before `load_run` too; on the command line, `--import MODULE` runs the module that does):

>>> from mtl_lib.losses import WEIGHTINGS, LossWeighting
>>> @WEIGHTINGS.register("halves")
... class Halves(LossWeighting):
...     def __init__(self, task_names):
...         super().__init__()
...         self.task_names = list(task_names)
...     def combine(self, task_losses):
...         return 0.5 * sum(task_losses.values())
...     def weights(self):
...         return {task: 0.5 for task in self.task_names}
>>> TrainConfig(weighting="halves")

Instances are accepted where names are, for what you build yourself: `TrainConfig(weighting=
Halves(tasks))`, `run_experiment(data, model, vocab=vocab)` and `load_run(directory, model=model)`.
A run records a weighting instance by the name its class is registered under, or else by the
class's import path (`name_of`), and a model instance by its class's import path.

What a registry holds are builders: a class, or a function that returns an instance of the
registry's `base` class (what each registry's builders take is in its module's docstring).
"""

from collections.abc import Callable, Iterator
from typing import Any

from mtl_lib.errors import ConfigError


def class_path(instance: Any) -> str:
    """Where `instance`'s class is defined, "module.Class": how a run names what no name was given for."""
    return f"{type(instance).__module__}.{type(instance).__qualname__}"


class Registry:
    """Names and their builders, of one kind of thing (`kind`: "model", "weighting"), known as `where`."""

    def __init__(self, kind: str, base: type, where: str):
        self.kind = kind
        self.base = base
        self.where = where  # the registry's import path, for error messages: "mtl_lib.losses.WEIGHTINGS"
        self._builders: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """A decorator that registers a class or function under `name`, and returns it unchanged."""
        def add(builder: Callable[..., Any]) -> Callable[..., Any]:
            self.add(name, builder)
            return builder
        return add

    def add(self, name: str, builder: Callable[..., Any]) -> None:
        """Register `builder` under `name`. A name taken by another builder is refused: unregister it first."""
        if not (isinstance(name, str) and name.strip()):
            raise ConfigError(f"a {self.kind} needs a non-empty name to register under; got {name!r}")
        if not callable(builder):
            raise ConfigError(f"a {self.kind} is registered as a class or a function that builds one; got {builder!r}")
        if self._builders.get(name, builder) is not builder:
            raise ConfigError(f"the {self.kind} name {name!r} is taken by {self._builders[name]!r}: "
                              f"choose another name, or remove it first with .remove({name!r})")
        self._builders[name] = builder

    def remove(self, name: str) -> None:
        """Forget the builder registered under `name`."""
        self._builders.pop(self.check(name))

    def build(self, name: str, *args: Any, **options: Any) -> Any:
        """The builder of `name` called with `args` and `options`; the result must be an instance of `base`."""
        built = self._builders[self.check(name)](*args, **options)
        if not isinstance(built, self.base):
            raise ConfigError(f"the {self.kind} {name!r} built a {type(built).__name__}, not a {self.base.__name__}: "
                              f"register a {self.base.__name__} subclass, or a function that returns one")
        return built

    def check(self, name: str) -> str:
        """`name`, if it is registered; else a ConfigError that lists the names and says how to register one."""
        if name not in self._builders:
            raise ConfigError(f"unknown {self.kind} {name!r}; {self.kind}s are: {', '.join(self)}. A {self.kind} of "
                              f"your own must be registered first (in Python, `@{self.where}.register(name)`; "
                              "on the command line, --import the module that registers it)")
        return name

    def name_of(self, instance: Any) -> str:
        """The name `instance`'s class is registered under; else the class's import path, "module.Class"."""
        for name, builder in self._builders.items():
            if builder is type(instance):
                return name
        return class_path(instance)

    def __contains__(self, name: object) -> bool:
        return name in self._builders

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._builders))

    def __len__(self) -> int:
        return len(self._builders)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self)})"
