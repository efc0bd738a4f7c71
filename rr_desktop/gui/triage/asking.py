"""Asking an action's inputs (store/actions/base.py: AskReason, AskCanonical, ...) with the
prompts of prompts.py, one after another; Esc on any prompt cancels the whole action.

One prompt per input kind: an action made of known kinds needs no code here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from ...domain import Analyst
from ...store.actions import (
    AskAnalyst,
    AskCanonical,
    AskIncident,
    AskQueue,
    AskReason,
    AskSnooze,
    AskTags,
    AskText,
    Identity,
    Input,
)
from ...templates.reply_values import load_templates
from ..context import AppContext
from ..fuzzy import Choice
from ..lookups import CHOICE_PREFIX, Lookups
from ..text import one_line
from .prompts import Composer, PickPrompt, ReasonPrompt, SnoozePrompt, TagsPrompt
from .reply_templates import ReplyOffer
from .selection import Selection

Values = dict[str, Any]
Done = Callable[[Values], None]
NEIGHBOURS = 40
ADVANCE = "_advance"  # set by the composer's "submit and next"


class InputAsker(QObject):
    """Runs the prompts for a command's inputs and hands the answers on.

    `open_prompt(dialog)` shows a prompt (the controller tracks it and gives the focus
    back when it closes)."""

    def __init__(self, ctx: AppContext, lookups: Lookups, selection: Selection,
                 parent: QWidget, open_prompt: Callable[[QDialog], None]) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lookups = lookups
        self._selection = selection
        self._parent = parent
        self._open = open_prompt
        self._drafts: dict[tuple[int, str], str] = {}

    def _references(self, values: Values) -> dict[str, str]:
        """`{key}_ref` for each escalation an earlier answer named (`canonical_id`): how
        a question names it (store/actions/base.py: Input questions)."""
        return {f"{k}_ref": self._lookups.reference(v) for k, v in values.items()
                if k.endswith("_id") and isinstance(v, int)}

    def ask(self, title: str, inputs: tuple[Input, ...], ids: list[int], target: str,
            done: Done) -> None:
        """Ask `inputs` in order for the escalations `ids` (named `target` in prompts),
        then call `done(values)`."""
        self._next(title, list(inputs), ids, target, {}, done)

    def _next(self, title: str, todo: list[Input], ids: list[int], target: str,
              values: Values, done: Done) -> None:
        if not todo:
            done(values)
            return
        wanted, rest = todo[0], todo[1:]

        def answer(**got: Any) -> None:
            self._next(title, rest, ids, target, {**values, **got}, done)

        self._prompt(title, wanted, ids, target, values, answer)

    def _prompt(self, title: str, wanted: Input, ids: list[int], target: str,
                values: Values, answer: Callable[..., None]) -> None:
        key, parent, ctx = wanted.key, self._parent, self._ctx
        match wanted:
            case Identity():
                answer(**{key: ctx.me})
            case AskReason():
                presets = wanted.presets or tuple(
                    ctx.settings.get(wanted.presets_setting) if wanted.presets_setting else ())
                question = wanted.question.format(target=target, **values,
                                                  **self._references(values))
                prompt = ReasonPrompt(title, question, presets, parent)
                prompt.chosen.connect(lambda reason: answer(**{key: reason}))
                self._open(prompt)
            case AskCanonical():
                choices = self._lookups.duplicate_candidates(
                    ids, self._selection.neighbours(ids[0], NEIGHBOURS))
                pick = PickPrompt(title, choices,
                                  "Canonical escalation: type to filter, or its id at the source",
                                  True, parent)

                def picked(text: str) -> None:
                    if text.startswith(CHOICE_PREFIX):
                        answer(**{key: int(text.removeprefix(CHOICE_PREFIX))})
                        return
                    found = self._lookups.by_external_id(text)
                    if not found:
                        ctx.notifier.warn(f"No cached escalation has the id {one_line(text)}")
                        return
                    answer(**{key: found[0]})

                pick.chosen.connect(picked)
                self._open(pick)
            case AskSnooze():
                snooze = SnoozePrompt(ctx.clock(), parent)
                snooze.chosen.connect(
                    lambda until, reason: answer(**{key: until, "reason": reason}))
                self._open(snooze)
            case AskAnalyst():
                roster = self._lookups.roster()
                # Suggestions for the (first) item come first, best first, with why
                # (domain/assignment.py); then everyone else on the roster.
                suggested = self._lookups.suggestions(ids[0], ctx.clock())
                first = {s.analyst_id for s in suggested}
                listed = {e.analyst.id: e.analyst for e in roster}
                analysts = [Choice(s.analyst_id, s.name, " \u00b7 ".join(
                    [f"suggested: {s.sentence()}", s.analyst_id,
                     *_markets_languages(listed.get(s.analyst_id))])) for s in suggested]
                analysts += [Choice(e.analyst.id, e.analyst.name,
                                    f"{e.analyst.id} \u00b7 {e.describe()}")
                             for e in roster if e.analyst.id not in first]
                analysts.append(Choice("", "Unassigned", "clear the assignee"))
                known = {e.analyst.id for e in roster}
                pick = PickPrompt(title, analysts,
                                  f"Assign {target} to: type a name, market or language",
                                  True, parent)

                def assignee_picked(who: str) -> None:
                    if not who or who in known:
                        answer(**{key: who or None})
                    else:  # a typed name nobody on the roster has: only if confirmed
                        self._confirm_unknown(who, lambda: answer(**{key: who}))

                pick.chosen.connect(assignee_picked)
                self._open(pick)
            case AskQueue():
                queues = [Choice(q, q) for q in ctx.settings.get("queues")]
                pick = PickPrompt(title, queues, "Queue", True, parent)
                pick.chosen.connect(lambda queue: answer(**{key: queue}))
                self._open(pick)
            case AskIncident():
                incidents = [Choice(str(i), name, f"incident #{i}")
                             for i, name in self._lookups.incidents()]
                known = {c.key for c in incidents}
                pick = PickPrompt(title, incidents,
                                  "Choose an incident, or type a title to create one", True,
                                  parent)
                pick.chosen.connect(lambda chosen: answer(**(
                    {"incident_id": int(chosen)} if chosen in known
                    else {"new_title": chosen})))
                self._open(pick)
            case AskTags():
                tags = TagsPrompt(self._lookups.tags_of(ids[0]), parent)
                tags.chosen.connect(lambda add, remove: answer(add=add, remove=remove))
                self._open(tags)
            case AskText():
                self._compose(wanted, ids[0], target, answer, len(ids) == 1)
            case _:
                raise TypeError(f"no prompt for {wanted!r}")

    def _confirm_unknown(self, who: str, then: Callable[[], None]) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Not on the roster",
                          f"{one_line(who)!r} is not on the roster (no source lists an "
                          "analyst by that id). Assign anyway? The source receives it as "
                          "it is.", QMessageBox.StandardButton.Yes
                          | QMessageBox.StandardButton.No, self._parent)
        box.setObjectName("unknownAssignee")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        yes = QMessageBox.StandardButton.Yes
        box.finished.connect(lambda code: then() if code == yes else None)
        self._open(box)

    def _compose(self, wanted: AskText, esc_id: int, target: str,
                 answer: Callable[..., None], single: bool = True) -> None:
        draft_key = (esc_id, wanted.kind)
        # A template is filled from one escalation (its reporter, its id): a reply to a
        # whole selection is written by hand, never with the first one's details.
        offer = self._reply_offer(esc_id) if wanted.kind == "reply" and single else None
        composer = Composer(wanted.kind, target, self._drafts.get(draft_key, ""), self._parent,
                            offer)

        def closed(_code: int) -> None:
            text = composer.draft().strip()
            if composer.result() == QDialog.DialogCode.Accepted or not text:
                self._drafts.pop(draft_key, None)
            else:
                self._drafts[draft_key] = composer.draft()

        def submitted(kind: str, text: str, advance: bool) -> None:
            got: Values = {wanted.key: text, ADVANCE: advance}
            if wanted.kind == "note":  # the composer may log a note as a fact instead
                got["as_fact"] = kind == "fact"
            answer(**got)

        composer.finished.connect(closed)
        composer.submitted.connect(submitted)
        self._open(composer)


    def _reply_offer(self, esc_id: int) -> ReplyOffer | None:
        """The templates a reply on `esc_id` may start from (read on each r, so a
        template file edited meanwhile is offered as it is now); a file that did not
        load is named in the status bar."""
        subject = self._lookups.reply_subject(esc_id)
        if subject is None:
            return None
        me = self._ctx.me
        analyst = (self._lookups.analyst_name(me) or me) if me else None
        offer = ReplyOffer(load_templates(self._ctx.data_dir), subject, analyst)
        trouble = offer.problems_sentence()
        if trouble:
            self._ctx.notifier.warn(trouble)
        return offer


def _markets_languages(analyst: Analyst | None) -> list[str]:
    """What a picker shows of an analyst so that typing a market or language finds them."""
    if analyst is None:
        return []
    return [p for p in (" ".join(analyst.markets), " ".join(analyst.languages)) if p]
