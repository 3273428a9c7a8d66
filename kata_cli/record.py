"""Value classes declared like dataclasses, without their start-up cost.

`@dataclass` imports `inspect` (and with it `ast`, `dis`, `tokenize`) and compiles
`__init__`, `__repr__`, `__eq__` and friends from generated source for every class:
about a third of a millisecond each, and a plain `kata-cli check` defines some forty
value classes before it reads a file. `@record` takes the same declarations (annotated
fields, defaults, `field(default_factory=..., repr=..., metadata=...)`, `frozen`, `eq`,
`repr`, `__post_init__`) and builds the methods from closures instead, with the
semantics the project relies on:

- `__init__` takes the fields positionally or by name, in declaration order, and calls
  `__post_init__` when the class has one; a field without a default is required;
- `frozen=True` refuses assignment and deletion (`FrozenInstanceError`, an
  AttributeError) and makes instances hashable by their fields;
- `eq=True` (the default) compares instances of the same class field by field and, when
  not frozen, leaves them unhashable, as dataclasses do; `eq=False` keeps identity;
- a mutable default (`list`, `dict`, `set`) is refused: use `default_factory`.

`fields`, `replace`, `asdict` and `is_record` stand in for their `dataclasses` names.
mypy understands `@record` through `typing.dataclass_transform`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_EMPTY: Mapping[str, Any] = {}


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class Field:
    """One declared field: its name, default or factory, and what it takes part in."""

    __slots__ = ("compare", "default", "default_factory", "metadata", "name", "repr")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Any = MISSING,
        repr: bool = True,
        compare: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare
        self.metadata: Mapping[str, Any] = _EMPTY if metadata is None else metadata

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r})"


@overload
def field(
    *,
    default: T,
    repr: bool = ...,
    compare: bool = ...,
    metadata: Mapping[str, Any] | None = ...,
) -> T: ...
@overload
def field(
    *,
    default_factory: Callable[[], T],
    repr: bool = ...,
    compare: bool = ...,
    metadata: Mapping[str, Any] | None = ...,
) -> T: ...
@overload
def field(
    *,
    repr: bool = ...,
    compare: bool = ...,
    metadata: Mapping[str, Any] | None = ...,
) -> Any: ...
def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    repr: bool = True,
    compare: bool = True,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """A field with a factory, metadata, or left out of `repr` or comparison."""
    return Field(default, default_factory, repr, compare, metadata)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(
    *, frozen: bool = False, eq: bool = True, repr: bool = True
) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(field_specifiers=(field, Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = False, eq: bool = True, repr: bool = True
) -> Any:
    """Turn the annotated class attributes of `cls` into fields (see the module text)."""

    def wrap(cls: type[T]) -> type[T]:
        return _process(cls, frozen, eq, repr)

    return wrap if cls is None else wrap(cls)


def _is_class_var(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


def _process(cls: type[T], frozen: bool, eq: bool, with_repr: bool) -> type[T]:
    found: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        found.update(getattr(base, "__record_fields__", {}))
    # (not inspect.get_annotations: importing inspect is the cost this module avoids)
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if _is_class_var(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        item = value if isinstance(value, Field) else Field(default=value)
        if isinstance(item.default, list | dict | set):
            raise ValueError(
                f"{cls.__name__}.{name}: mutable default {type(item.default).__name__} "
                "is not allowed: use default_factory"
            )
        item.name = name
        if item.default is MISSING:
            if isinstance(value, Field):
                delattr(cls, name)
        else:
            setattr(cls, name, item.default)
        found.pop(name, None)
        found[name] = item
    items = tuple(found.values())
    seen_default = False
    for item in items:
        has_default = item.default is not MISSING or item.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"{cls.__name__}: non-default field {item.name!r} follows a default")
        seen_default = seen_default or has_default

    body = dict(cls.__dict__)
    explicit_hash = "__hash__" in body and not (body["__hash__"] is None and "__eq__" in body)
    target: Any = cls  # the methods are set on the class being built
    target.__record_fields__ = found
    setattr(target, "__match_args__", tuple(found))  # noqa: B010 (mypy refuses the attribute form)
    target.__init__ = _make_init(cls, items, frozen)
    if with_repr and "__repr__" not in body:
        target.__repr__ = _make_repr(items)
    if eq and "__eq__" not in body:
        target.__eq__ = _make_eq(items)
    if eq and not explicit_hash:
        target.__hash__ = _make_hash(items) if frozen else None
    if frozen:
        target.__setattr__ = _frozen_setattr
        target.__delattr__ = _frozen_delattr
    return cls


def _make_init(cls: type, items: tuple[Field, ...], frozen: bool) -> Callable[..., None]:
    names = tuple(item.name for item in items)
    post_init = getattr(cls, "__post_init__", None)
    assign = object.__setattr__ if frozen else setattr
    qualname = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(items):
            raise TypeError(
                f"{qualname}() takes {len(items)} positional arguments but {len(args)} were given"
            )
        for name, value in zip(names, args, strict=False):
            if name in kwargs:
                raise TypeError(f"{qualname}() got multiple values for argument {name!r}")
            assign(self, name, value)
        for item in items[len(args) :]:
            name = item.name
            if name in kwargs:
                value = kwargs.pop(name)
            elif item.default is not MISSING:
                value = item.default
            elif item.default_factory is not MISSING:
                value = item.default_factory()
            else:
                raise TypeError(f"{qualname}() missing required argument {name!r}")
            assign(self, name, value)
        if kwargs:
            unknown = next(iter(kwargs))
            raise TypeError(f"{qualname}() got an unexpected keyword argument {unknown!r}")
        if post_init is not None:
            post_init(self)

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


def _make_repr(items: tuple[Field, ...]) -> Callable[[Any], str]:
    shown = tuple(item.name for item in items if item.repr)

    def __repr__(self: Any) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{type(self).__qualname__}({values})"

    return __repr__


def _make_eq(items: tuple[Field, ...]) -> Callable[[Any, Any], Any]:
    compared = tuple(item.name for item in items if item.compare)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine = tuple(getattr(self, name) for name in compared)
        return mine == tuple(getattr(other, name) for name in compared)

    return __eq__


def _make_hash(items: tuple[Field, ...]) -> Callable[[Any], int]:
    compared = tuple(item.name for item in items if item.compare)

    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, name) for name in compared))

    return __hash__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def is_record(value: Any) -> bool:
    """True for a record instance (not the class)."""
    return not isinstance(value, type) and hasattr(type(value), "__record_fields__")


def fields(value: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in declaration order."""
    found = getattr(value, "__record_fields__", None)
    if found is None:
        raise TypeError(f"{value!r} is not a record")
    return tuple(found.values())


def replace(value: T, /, **changes: Any) -> T:
    """A copy of the record `value` with some fields changed."""
    for item in fields(value):
        if item.name not in changes:
            changes[item.name] = getattr(value, item.name)
    return type(value)(**changes)


def asdict(value: Any) -> Any:
    """A record as plain dicts, lists and tuples, recursively (values are not copied)."""
    if is_record(value):
        return {item.name: asdict(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[asdict(item) for item in value])
    if isinstance(value, list | tuple):
        return type(value)(asdict(item) for item in value)
    if isinstance(value, dict):
        return type(value)((asdict(key), asdict(item)) for key, item in value.items())
    return value
