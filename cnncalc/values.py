"""Immutable records without code generation at import.

A frozen dataclass generates and compiles its `__init__` (and more) when its module is
imported: about 0.3 ms per class, several milliseconds of `cnncalc shapes` for a process
that lasts a tenth of a second. A `Value` reads its fields from the class's annotations
once and fills them with one generic constructor; like `@dataclass(frozen=True, eq=False)`
its fields cannot be set after construction, and a value is equal only to itself.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # typing.Self is Python 3.11+; the type checker has typing_extensions
    from typing_extensions import Self


class Value:
    """Fields are the annotated names of the class and its bases, bases first; a name
    assigned in the class body is that field's default. `replace(**changes)` gives a copy
    with some fields changed."""

    fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = tuple(name for name, hint in vars(cls).get("__annotations__", {}).items()
                    if "ClassVar" not in str(hint) and name not in cls.fields)
        taken = [name for name in own if name in ("fields", "replace", "astuple")]
        if taken:
            raise TypeError(f"{cls.__name__}: a field may not be named {taken[0]!r}")
        cls.fields = cls.fields + own

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self.fields
        if len(args) == len(fields) and not kwargs:  # the common case: every field, in order
            self.__dict__.update(zip(fields, args))
            return
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields: "
                            f"{', '.join(fields)}")
        values = dict(zip(fields, args))
        for name, value in kwargs.items():
            if name not in fields or name in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {name!r}")
            values[name] = value
        for name in fields:
            if name not in values:
                if not hasattr(type(self), name):
                    raise TypeError(f"{type(self).__name__} needs the field {name!r}")
                values[name] = getattr(type(self), name)  # the default in the class body
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes` (field: value) applied."""
        return type(self)(**{**{name: getattr(self, name) for name in self.fields}, **changes})

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.fields)
        return f"{type(self).__name__}({shown})"

    def astuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.fields)


class Compared(Value):
    """A Value equal to another of its class whose fields are equal, and hashable by them
    (like `@dataclass(frozen=True)`): for locations, windows, fields."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.astuple() == other.astuple()

    def __hash__(self) -> int:
        return hash(self.astuple())
