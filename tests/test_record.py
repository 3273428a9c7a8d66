"""`kata_cli.record`: the dataclass semantics the project relies on, without dataclasses."""

from __future__ import annotations

import ast
import copy
import math
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kata_cli.record import (
    FrozenInstanceError,
    asdict,
    field,
    fields,
    is_record,
    record,
    replace,
)


@record(frozen=True)
class Point:
    """A frozen record."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@record
class Bag:
    name: str
    items: list[int] = field(default_factory=list)
    secret: str = field(default="", repr=False)
    notes: dict[str, Any] = field(default_factory=dict, metadata={"serialise": False})
    LIMIT: ClassVar[int] = 5


@record(eq=False)
class Handle:
    fd: int = -1


@record(repr=False, eq=False)
class Quiet:
    a: int = 1


def test_init_takes_fields_by_position_and_name():
    assert (Point(1, 2).x, Point(1, 2).y) == (1, 2)
    assert Point(y=3, x=4) == Point(4, 3)
    assert Point(5).y == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing required argument 'x'"),
        ((1, 2, (), 4), {}, "takes 3 positional arguments but 4 were given"),
        ((1,), {"x": 2}, "multiple values for argument 'x'"),
        ((1,), {"z": 2}, "unexpected keyword argument 'z'"),
    ],
)
def test_init_refuses_wrong_arguments(args, kwargs, message):
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_default_factory_gives_each_instance_its_own_value():
    first, second = Bag("a"), Bag("b")
    first.items.append(1)
    assert second.items == [] and first.items == [1]


def test_class_variables_are_not_fields():
    assert [item.name for item in fields(Bag)] == ["name", "items", "secret", "notes"]
    assert Bag.LIMIT == 5
    with pytest.raises(TypeError):
        Bag("a", [], "", {}, 6)


def test_defaults_stay_readable_on_the_class():
    assert Point.y == 0 and Bag.secret == ""
    assert not hasattr(Bag, "items")  # a factory leaves no class attribute


def test_repr_shows_fields_in_order_but_not_hidden_ones():
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=())"
    assert repr(Bag("n", [1], "pw")) == "Bag(name='n', items=[1], notes={})"
    assert repr(Quiet()).startswith("<tests.test_record.Quiet object at ")


def test_equality_is_field_by_field_within_one_class():
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != (1, 0, ())  # another type never equals
    same = Point(math.nan)
    assert same == same  # the identity shortcut of tuple comparison, as dataclasses


def test_eq_false_keeps_identity():
    first, second = Handle(3), Handle(3)
    assert first != second and first == first
    assert len({first, second}) == 2


def test_frozen_records_refuse_changes_and_hash_by_fields():
    point = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        point.x = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del point.y  # type: ignore[misc]
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2


def test_mutable_records_with_eq_are_unhashable():
    with pytest.raises(TypeError):
        hash(Bag("a"))
    bag = Bag("a")
    bag.name = "b"
    assert bag.name == "b"


def test_replace_copies_with_changes_and_refuses_unknown_fields():
    point = Point(1, 2, ("t",))
    moved = replace(point, y=9)
    assert moved == Point(1, 9, ("t",)) and point.y == 2
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        replace(point, z=1)
    with pytest.raises(TypeError, match="not a record"):
        replace(object())


def test_fields_carry_metadata():
    notes = next(item for item in fields(Bag("x")) if item.name == "notes")
    assert notes.metadata == {"serialise": False}
    assert next(item for item in fields(Bag) if item.name == "name").metadata == {}


def test_asdict_recurses_through_records_lists_and_dicts():
    bag = Bag("b", [1], notes={"p": [Point(1)], "q": (Point(2, 3),)})
    assert asdict(bag) == {
        "name": "b",
        "items": [1],
        "secret": "",
        "notes": {"p": [{"x": 1, "y": 0, "tags": ()}], "q": ({"x": 2, "y": 3, "tags": ()},)},
    }


def test_is_record_is_true_for_instances_only():
    assert is_record(Point(1)) and not is_record(Point) and not is_record({"x": 1})


def test_post_init_runs_after_the_fields_are_set():
    @record
    class Checked:
        low: int
        high: int

        def __post_init__(self) -> None:
            if self.low > self.high:
                raise ValueError("low above high")

    assert Checked(1, 2).high == 2
    with pytest.raises(ValueError, match="low above high"):
        Checked(3, 2)


def test_mutable_defaults_and_misordered_fields_are_refused():
    with pytest.raises(ValueError, match="mutable default list"):

        @record
        class Bad:
            values: list[int] = []

    with pytest.raises(TypeError, match="non-default field 'b' follows a default"):

        @record
        class Misordered:
            a: int = 0
            b: int  # type: ignore[misc]


def test_a_subclass_inherits_the_fields():
    @record(frozen=True)
    class Point3(Point):
        z: int = 0

    assert [item.name for item in fields(Point3)] == ["x", "y", "tags", "z"]
    assert Point3(1, 2, (), 3).z == 3


def test_records_copy_and_deepcopy():
    bag = Bag("b", [1, 2])
    clone = copy.deepcopy(bag)
    assert clone == bag and clone.items is not bag.items
    assert copy.copy(Point(1, 2)) == Point(1, 2)


def test_the_package_declares_records_not_dataclasses():
    """`dataclasses` costs start-up time (see the module text of kata_cli/record.py)."""
    package = Path(__file__).resolve().parent.parent / "kata_cli"
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if "dataclasses" in names:
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    assert offenders == []
