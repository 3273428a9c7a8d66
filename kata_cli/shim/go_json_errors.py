"""Go `encoding/json` error texts for mount info, so scripts see upstream's messages.

`syntax_error(text)` walks the JSON text the way a byte-level validator does and returns
the message Go's decoder gives for the first offending byte (or None when the text is
valid JSON); `type_error(data)` does the same for values that do not fit upstream's
`MountInfo` struct (unknown keys are ignored, null fits everything).
"""

from __future__ import annotations

from typing import Any

_WS = b" \t\r\n"
_LITERALS = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}
_ESCAPES = b'"\\/bfnrtu'
_HEX = b"0123456789abcdefABCDEF"
_DIGITS = b"0123456789"
_CONTROL_ESCAPES = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
END_OF_INPUT = "unexpected end of JSON input"


class _Syntax(Exception):
    pass


def quote_char(byte: int) -> str:
    """How Go's scanner names a byte in a message: 'x', '\\n', '\\x01', '\\''."""
    if byte == ord("'"):
        return "'\\''"
    if byte == ord('"'):
        return "'\"'"
    if byte in _CONTROL_ESCAPES:
        return f"'{_CONTROL_ESCAPES[byte]}'"
    if byte < 0x20 or byte == 0x7F:
        return f"'\\x{byte:02x}'"
    if byte == ord("\\"):
        return "'\\\\'"
    return f"'{chr(byte)}'"


def syntax_error(text: str) -> str | None:
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    try:
        pos = _value(data, _skip(data, 0))
        pos = _skip(data, pos)
        if pos < len(data):
            _fail(data[pos], "after top-level value")
    except _Syntax as exc:
        return str(exc)
    except RecursionError:
        return "exceeded max depth"
    return None


def _fail(byte: int, context: str) -> None:
    raise _Syntax(f"invalid character {quote_char(byte)} {context}")


def _skip(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _WS:
        pos += 1
    return pos


def _at(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise _Syntax(END_OF_INPUT)
    return data[pos]


def _value(data: bytes, pos: int) -> int:
    byte = _at(data, pos)
    if byte == ord("{"):
        return _object(data, pos + 1)
    if byte == ord("["):
        return _array(data, pos + 1)
    if byte == ord('"'):
        return _string(data, pos + 1)
    if byte == ord("-") or byte in _DIGITS:
        return _number(data, pos)
    if byte in _LITERALS:
        word = _LITERALS[byte]
        for offset in range(1, len(word)):
            got = _at(data, pos + offset)
            if got != word[offset]:
                _fail(got, f"in literal {word.decode()} (expecting {quote_char(word[offset])})")
        return pos + len(word)
    _fail(byte, "looking for beginning of value")
    raise AssertionError  # unreachable


def _object(data: bytes, pos: int) -> int:
    pos = _skip(data, pos)
    if _at(data, pos) == ord("}"):
        return pos + 1
    while True:
        byte = _at(data, pos)
        if byte != ord('"'):
            _fail(byte, "looking for beginning of object key string")
        pos = _skip(data, _string(data, pos + 1))
        byte = _at(data, pos)
        if byte != ord(":"):
            _fail(byte, "after object key")
        pos, end = _after_member(
            data, _value(data, _skip(data, pos + 1)), "}", "object key:value pair"
        )
        if end:
            return pos


def _array(data: bytes, pos: int) -> int:
    pos = _skip(data, pos)
    if _at(data, pos) == ord("]"):
        return pos + 1
    while True:
        pos, end = _after_member(data, _value(data, pos), "]", "array element")
        if end:
            return pos


def _after_member(data: bytes, pos: int, close: str, member: str) -> tuple[int, bool]:
    """After a member of an object or array: past `close` (True), or past a comma to the
    next member (False)."""
    pos = _skip(data, pos)
    byte = _at(data, pos)
    if byte == ord(close):
        return pos + 1, True
    if byte != ord(","):
        _fail(byte, f"after {member}")
    return _skip(data, pos + 1), False


def _string(data: bytes, pos: int) -> int:
    while True:
        byte = _at(data, pos)
        if byte == ord('"'):
            return pos + 1
        if byte < 0x20:
            _fail(byte, "in string literal")
        if byte == ord("\\"):
            escape = _at(data, pos + 1)
            if escape not in _ESCAPES:
                _fail(escape, "in string escape code")
            if escape == ord("u"):
                for offset in range(2, 6):
                    digit = _at(data, pos + offset)
                    if digit not in _HEX:
                        _fail(digit, "in \\u hexadecimal character escape")
                pos += 6
                continue
            pos += 2
            continue
        pos += 1


def _number(data: bytes, pos: int) -> int:
    if data[pos] == ord("-"):
        pos += 1
        byte = _at(data, pos)
        if byte not in _DIGITS:
            _fail(byte, "in numeric literal")
    if data[pos] == ord("0"):
        pos += 1
    else:
        pos = _digits(data, pos)
    if pos < len(data) and data[pos] == ord("."):
        byte = _at(data, pos + 1)
        if byte not in _DIGITS:
            _fail(byte, "after decimal point in numeric literal")
        pos = _digits(data, pos + 1)
    if pos < len(data) and data[pos] in b"eE":
        pos += 1
        if _at(data, pos) in b"+-":
            pos += 1
        byte = _at(data, pos)
        if byte not in _DIGITS:
            _fail(byte, "in exponent of numeric literal")
        pos = _digits(data, pos)
    return pos


def _digits(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _DIGITS:
        pos += 1
    return pos


# -- types ---------------------------------------------------------------------------------
_STRING_FIELDS = ("volume-type", "device", "fstype")


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def type_error(data: Any) -> str | None:
    """Go's first `cannot unmarshal` message for decoding `data` into MountInfo, or None."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return f"json: cannot unmarshal {json_kind(data)} into Go value of type volume.MountInfo"
    for key, value in data.items():
        field = key.lower()
        if value is None:
            continue
        if field in _STRING_FIELDS and not isinstance(value, str):
            return _field_error(value, field, "string")
        if field == "metadata":
            if not isinstance(value, dict):
                return _field_error(value, field, "map[string]string")
            for item in value.values():
                if item is not None and not isinstance(item, str):
                    return _field_error(item, field, "string")
        if field == "options":
            if not isinstance(value, list):
                return _field_error(value, field, "[]string")
            for item in value:
                if item is not None and not isinstance(item, str):
                    return _field_error(item, field, "string")
    return None


def _field_error(value: Any, field: str, go_type: str) -> str:
    return (
        f"json: cannot unmarshal {json_kind(value)} into Go struct field "
        f"MountInfo.{field} of type {go_type}"
    )
