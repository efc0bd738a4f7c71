"""The front matter of a template file: `key: value` lines between two `---` lines at the
top (docs/templates.md). Deliberately not YAML: a handful of known keys, one line each,
so a typo is a clear sentence naming the file and the line, never a silent default."""

from __future__ import annotations


class TemplateFileError(ValueError):
    """A template file that cannot be used; the message is one sentence naming it."""


def split_front_matter(text: str, shown: str, allowed: frozenset[str],
                       ) -> tuple[dict[str, str], str]:
    """({key: value}, body) of a template's text; `shown` names the file in messages.
    Raises TemplateFileError."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise TemplateFileError(f"{shown} does not start with a '---' front matter line "
                                "(title: ...).")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise TemplateFileError(f"{shown} has no closing '---' after its front matter."
                                ) from None
    front: dict[str, str] = {}
    for n, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        key = key.strip()
        if not colon or key not in allowed:
            raise TemplateFileError(
                f"{shown} line {n}: expected one of {', '.join(sorted(allowed))} "
                f"followed by ':', found {line.strip()[:40]!r}.")
        if key in front:
            raise TemplateFileError(f"{shown} line {n}: {key} is given twice.")
        front[key] = value.strip()
    return front, "\n".join(lines[end + 1:]).strip("\n")
