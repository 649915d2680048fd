"""What every checker shares: `Feedback`, trying the learner's function safely, and the worked solutions.

A checker never raises: whatever the learner's function does, it returns `Feedback`, whose
message names the case tried, the learner's value, the expected one, and a hint for the
likely mistake. Each checker is registered with its reference answer (`answered_by`), which
passes it and which `solution(checker)` shows on request, so no notebook stores the answer.
"""

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Feedback:
    """What a checker found: `passed`, and a message for the learner."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        return ("Right: " if self.passed else "Not yet: ") + self.message


def attempt(function: Callable, *args):
    """The learner's result, or a `Feedback` that names the exception it raised."""
    try:
        return function(*args)
    except Exception as exc:  # the learner's code may fail in any way; say how, do not crash
        return Feedback(False, f"your function raised {type(exc).__name__}: {exc}")


def shown(value) -> str:
    """A value as a message shows it: numbers to four significant digits, tensors and arrays as lists."""
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
        value = value.tolist()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(shown(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key!r}: {shown(item)}" for key, item in value.items()) + "}"
    return repr(value)


def close(yours, expected, tolerance: float = 1e-5) -> bool:
    """Whether two answers agree: numbers, tensors, arrays and sequences of them, or dicts with the same keys."""
    if isinstance(expected, Mapping):
        return (isinstance(yours, Mapping) and set(yours) == set(expected)
                and all(close(yours[key], expected[key], tolerance) for key in expected))
    try:
        yours, expected = (np.asarray(torch.as_tensor(value).detach(), dtype=float) for value in (yours, expected))
    except (TypeError, ValueError, RuntimeError):  # not a number, nor numbers
        return False
    return yours.shape == expected.shape and np.allclose(yours, expected, rtol=tolerance, atol=tolerance)


def as_number(result) -> float | None:
    """`result` as a float when it is one number (a Python or NumPy number, a one-element tensor), else None."""
    if isinstance(result, (int, float, np.number)) and not isinstance(result, bool):
        return float(result)
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        return result.item()
    return None


def hint_for(yours, mistakes: Iterable[tuple[object, str]], otherwise: str) -> str:
    """The hint of the first typical mistake whose answer `yours` equals, else `otherwise`."""
    return next((hint for answer, hint in mistakes if close(yours, answer)), otherwise)


def mismatch(case: str, saying: str, yours, expected, hint: str) -> Feedback:
    """'with {case}, {saying} {yours}; it should be {expected}.', then the hint: `saying` is "your loss is"."""
    return Feedback(False, f"with {case}, {saying} {shown(yours)}; it should be {shown(expected)}. {hint}")


def returned(case: str, result, wanted: str) -> Feedback:
    """Feedback for a result of the wrong kind: what came back, and what should have."""
    return Feedback(False, f"with {case}, your function returned {shown(result)}; return {wanted}")


@dataclass(frozen=True)
class _Answer:
    reference: Callable  # passes the checker
    shown: tuple[object, ...]  # what `solution` prints: the reference, after the library code it builds on


_ANSWERS: dict[Callable, _Answer] = {}


def answered_by(reference: Callable, *builds_on: object) -> Callable[[Callable], Callable]:
    """Register the decorated checker's worked solution: `reference`, shown after the objects it `builds_on`.

    `@answered_by(grad_reverse, GradientReversal)` shows the library's Function, then the call.
    """
    def register(checker: Callable) -> Callable:
        _ANSWERS[checker] = _Answer(reference, (*builds_on, reference))
        return checker
    return register


def _answer(checker: Callable) -> _Answer:
    if checker not in _ANSWERS:
        names = ", ".join(sorted(registered.__name__ for registered in _ANSWERS))
        raise TypeError(f"{getattr(checker, '__name__', checker)!r} is not an exercise checker; they are: {names}")
    return _ANSWERS[checker]


def reference(checker: Callable) -> Callable:
    """The reference answer of `checker`, a function with the signature the exercise asks for."""
    return _answer(checker).reference


class Source(str):
    """Source code that a notebook cell shows as code, not as a quoted string."""

    def __repr__(self) -> str:
        return str(self)


def solution(checker: Callable) -> Source:
    """One worked answer to the exercise that `checker` checks: `solution(check_gradient_reversal)`."""
    return Source("\n\n\n".join(inspect.getsource(part).rstrip() for part in _answer(checker).shown))
