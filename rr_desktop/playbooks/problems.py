"""Reading a YAML data file, and saying in one sentence what is wrong with it.

Every problem names the file and the place in it (`steps[3].minutes`, 0-based like the
YAML list it points into, or a line and column for a syntax error), so an analyst who
edited a playbook can find the mistake without a traceback. Lists of problems never stop
the other files from loading (docs/playbooks.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import yaml

MAX_FILE_BYTES = 512 * 1024
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file: `file` is how the user finds it, `where` the place
    in it ("" for the whole file), `what` the sentence."""

    file: str
    where: str
    what: str

    def __str__(self) -> str:
        place = f"{self.where} " if self.where else ""
        return f"{self.file}: {place}{self.what}"


class FileInvalid(Exception):
    """Raised inside the loaders for a file that cannot be used; carries the problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last
    silently, which would hide half an edit)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is written twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_mapping)


def read_yaml(path: Path, label: str) -> dict[str, Any]:
    """The file's top-level mapping; FileInvalid with a sentence for anything else."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileInvalid(Problem(label, "", f"is {size} bytes, more than a data file "
                                                 f"may hold ({MAX_FILE_BYTES})"))
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise FileInvalid(Problem(label, "", "is not UTF-8 text")) from None
    except OSError as exc:
        raise FileInvalid(Problem(label, "", f"cannot be read ({exc.strerror or exc})")) \
            from None
    return parse_yaml(text, label)


def parse_yaml(text: str, label: str) -> dict[str, Any]:
    """`text`'s top-level mapping (a file's content, or one sent to the team hub);
    FileInvalid with a sentence for anything else."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise FileInvalid(Problem(label, "", f"is {size} bytes, more than a data file "
                                             f"may hold ({MAX_FILE_BYTES})"))
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FileInvalid(Problem(label, where,
                                  f"is not valid YAML ({exc.problem or exc.context})")) \
            from None
    except yaml.YAMLError as exc:
        raise FileInvalid(Problem(label, "", f"is not valid YAML ({exc})")) from None
    if not isinstance(data, dict):
        raise FileInvalid(Problem(label, "", "must hold a mapping (key: value lines) at "
                                             "the top, not " + _kind(data)))
    return data


def convert(data: Any, kind: type[T], label: str, prefix: str = "") -> T:
    """`data` decoded as `kind` (a msgspec Struct); FileInvalid naming the place."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        where, what = _readable(str(exc), data)
        where = ".".join(p for p in (prefix, where) if p).replace(".[", "[")
        raise FileInvalid(Problem(label, where, what)) from None


_AT = re.compile(r"^(?P<text>.*) - at `\$(?P<path>[^`]*)`$", re.DOTALL)
_EXPECTED = re.compile(r"^Expected `(?P<want>[^`]+)`(?:, got `(?P<got>[^`]+)`)?"
                       r"(?: (?P<op>[<>]=?) (?P<bound>\S+))?$")
_WANTS = {"int": "must be a whole number", "float": "must be a number",
          "str": "must be text", "bool": "must be true or false",
          "array": "must be a list", "object": "must be a mapping (key: value lines)",
          "int | float": "must be a number"}
_BOUNDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}


def _readable(message: str, data: Any) -> tuple[str, str]:
    """msgspec's "Expected `int`, got `str` - at `$.steps[3].minutes`" as
    ("steps[3].minutes", "must be a whole number (not 'ten')")."""
    m = _AT.match(message)
    text, path = (m["text"], m["path"].lstrip(".")) if m else (message, "")
    value = _lookup(data, path)
    if (u := re.match(r"Object contains unknown field `(.+)`$", text)):
        return _join(path, u[1]), "is not a field this file format knows (a typo?)"
    if (r := re.match(r"Object missing required field `(.+)`$", text)):
        return _join(path, r[1]), "is missing"
    if (e := re.match(r"Invalid enum value (.+)$", text)):
        return path, f"cannot be {e[1]}"
    if (x := _EXPECTED.match(text)):
        want = _WANTS.get(x["want"], f"must be {x['want']}")
        if x["op"]:
            return path, f"must be {_BOUNDS[x['op']]} {x['bound'].removesuffix('.0')}"
        return path, f"{want} (not {_shown(value)})"
    return path, text[:1].lower() + text[1:]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _lookup(data: Any, path: str) -> Any:
    node = data
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        try:
            node = node[int(part[1:-1])] if part.startswith("[") else node[part]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return node


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:39] + "…")
    return _kind(value)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
