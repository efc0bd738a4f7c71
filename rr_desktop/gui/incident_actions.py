"""What the incident screen's keys write: each is one event appended to the incident's
log (store/incident_log.py) on a worker, field edits carrying the `base` they were made
on (docs/incidents.md). Prompts are the triage ones (gui/triage/prompts.py); Esc in a
prompt writes nothing; a malformed value is refused with the core's sentence."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog, QWidget

from ..domain.incident import IncidentState
from ..domain.incident_events import (
    PRIORITIES,
    ROLES,
    SEVERITIES,
    STATUSES,
    format_time,
    new_uid,
    parse_time,
)
from ..store import incident_log, incidents
from ..store.changes import Changes
from .context import AppContext
from .fuzzy import Choice
from .incident_checklist import split_key
from .incident_links import link_key
from .incident_playbooks import PlaybookSource, reach
from .incident_requests import FUNCTIONS
from .incident_timeline import fact_uid
from .incident_view import IncidentView
from .sitrep_dialog import SitrepDialog
from .triage.prompts import PickPrompt, ReasonPrompt

DUE_PRESETS = ("1", "4", "24", "72", "none")


def parse_due(text: str, now: Any) -> str | None:
    """Hours from now ("4", "0.5"), a time ("2026-05-01T10:00Z"), or "none" -> the
    request's `due` ("" for none); None when it is neither."""
    text = text.strip()
    if text.lower() in ("none", "no", "-"):
        return ""
    try:
        hours = float(text.lower().removesuffix("h").strip())
    except ValueError:
        at = parse_time(text)
        return None if at is None else format_time(at)
    if not 0 < hours <= 24 * 365:
        return None
    return format_time(now + timedelta(hours=hours))


class IncidentActions(QObject):
    """The incident screen's writing commands; `prompt` is the dialog open, if any."""

    def __init__(self, ctx: AppContext, view: IncidentView,
                 open_dialog: Callable[[QDialog], None], parent: QWidget,
                 open_escalation: Callable[[int], None]) -> None:
        super().__init__(parent)
        self.ctx, self.view, self._open = ctx, view, open_dialog
        self._parent, self._open_escalation = parent, open_escalation
        self.prompt: QDialog | None = None
        self.playbooks = PlaybookSource(ctx.data_dir)

    # -- plumbing --------------------------------------------------------------------

    def _ask(self, dialog: QDialog, then: Callable[[str], None]) -> None:
        self.prompt = dialog
        dialog.chosen.connect(then)  # type: ignore[attr-defined]
        dialog.finished.connect(lambda _c, d=dialog: self._closed(d))
        self._open(dialog)

    def _closed(self, dialog: QDialog) -> None:
        if self.prompt is dialog:
            self.prompt = None
            # the last prompt of a chain (a request asks five things): the keyboard goes
            # back to the section it came from once the window has it again
            QTimer.singleShot(0, self._refocus)

    def _refocus(self) -> None:
        if self.prompt is None and self.view.isVisible():
            self.view.focus_section(self.view.sections.index(self.view.current_section()))

    def _text(self, title: str, question: str, then: Callable[[str], None],
              placeholder: str = "Text (required)", presets: tuple[str, ...] = ()) -> None:
        self._ask(ReasonPrompt(title, question, presets, self._parent, placeholder), then)

    def _pick(self, title: str, choices: list[Choice], then: Callable[[str], None],
              placeholder: str = "Type to filter", allow_new: bool = False) -> None:
        self._ask(PickPrompt(title, choices, placeholder, allow_new, self._parent), then)

    def _state(self) -> IncidentState | None:
        state = self.view.state
        if state is None or not self.view.isVisible():
            self.ctx.notifier.info("Open an incident first: g i lists them")
            return None
        if not self.ctx.me:
            self.ctx.notifier.info("Choose who you are first (File > Who am I)")
            return None
        return state

    def _write(self, kind: str, data: Mapping[str, Any], base: str | None = None,
               done: str = "") -> None:
        uid, me, now = self.view.uid, self.ctx.me, self.ctx.clock()
        assert uid is not None

        def write(db: Any) -> Changes:
            if kind == "unlink":
                incident_log.append(db, uid, kind, me, now, data, refresh_row=False)
                return Changes(incident_log.refresh(db, uid)[1], incidents=True)
            incident_log.append(db, uid, kind, me, now, data, base)
            return Changes(incidents=True)

        self.ctx.run_write(f"incident-{kind}", write, failure="Not recorded",
                           changes=lambda c: c, on_done=lambda _c: self.ctx.notifier.info(
                               done) if done else None)

    # -- commands --------------------------------------------------------------------

    def sitrep(self) -> None:
        """Draft a situation report from the incident; recording it (after copying or
        sending it) puts a `sitrep` event on the timeline."""
        state = self._state()
        if state is None:
            return
        now = self.ctx.clock()
        dialog = SitrepDialog(state, now, now.astimezone().tzinfo or UTC, self.ctx.data_dir,
                              parent=self._parent)
        dialog.recorded.connect(lambda audience, text: self._write(
            "sitrep", {"audience": audience, "text": text},
            done=f"{audience.capitalize()} sitrep recorded on the timeline"))
        self.prompt = dialog
        dialog.finished.connect(lambda _c, d=dialog: self._closed(d))
        self._open(dialog)

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"incident-fact": self.log_fact, "incident-pin": self.pin,
                "incident-status": self.set_status,
                "incident-severity": lambda: self.set_field("severity", SEVERITIES),
                "incident-priority": lambda: self.set_field("priority", PRIORITIES),
                "incident-role": self.role, "incident-resolve-conflict": self.resolve,
                "incident-playbook": self.start_playbook, "incident-tick": self.tick,
                "incident-step-note": self.step_note, "incident-request": self.request,
                "incident-answer": self.answer, "incident-containment": self.containment,
                "incident-containment-done": self.containment_done,
                "incident-open-link": self.open_link, "incident-unlink": self.unlink,
                "incident-sitrep": self.sitrep}

    def log_fact(self) -> None:
        if self._state() is not None:
            self._text("Log a fact", "What is now known (it joins the timeline):",
                       lambda text: self._write("fact", {"text": text}), "Fact (required)")

    def pin(self) -> None:
        state = self._state()
        if state is None:
            return
        uid = fact_uid(self.view.timeline.current_key(), state)
        fact = next((f for f in state.facts if f.uid == uid), None)
        if fact is None:
            self.ctx.notifier.info("Select a fact in the timeline to pin it")
            return
        self._write("pin", {"fact": fact.uid, "pinned": not fact.pinned})

    def set_status(self) -> None:
        state = self._state()
        if state is None:
            return
        at = STATUSES.index(state.status) if state.status in STATUSES else 0
        choices = [Choice(s, s, "next stage") for s in STATUSES[at + 1:]] + \
            [Choice(s, s, "back to this stage") for s in STATUSES[:at]]
        self._pick("Set status", choices, lambda s: self._write(
            "status", {"status": s}, state.head("status")))

    def set_field(self, name: str, values: tuple[str, ...]) -> None:
        state = self._state()
        if state is None:
            return
        current = getattr(state, name)
        choices = [Choice(v, v, "now" if v == current else "") for v in values]
        self._pick(f"Set {name}", choices, lambda v: self._write(
            "set", {"field": name, "value": v}, state.head(name)))

    def role(self) -> None:
        state = self._state()
        if state is None:
            return
        me = self.ctx.me
        choices = [Choice(f"{r}:{me not in state.holders(r)}",
                          f"{'Take' if me not in state.holders(r) else 'Leave'} {r}",
                          ", ".join(state.holders(r)) or "nobody holds it") for r in ROLES]

        def chosen(key: str) -> None:
            role, _, assume = key.partition(":")
            self._write("role", {"role": role, "analyst": me, "assume": assume == "True"})
        self._pick("Take or leave a role", choices, chosen)

    def resolve(self) -> None:
        state = self._state()
        if state is None:
            return
        if not state.conflicts:
            self.ctx.notifier.info("No field of this incident is in conflict")
            return
        choices, picks = [], {}
        for c in state.conflicts:
            for n, (uid, value, who, _at) in enumerate(c.values):
                shown = ", ".join(value) if isinstance(value, list) else str(value)
                key = f"{c.field}#{n}"
                picks[key] = (c.field, uid, value)
                choices.append(Choice(key, f"{c.field}: "
                                      f"{'keep mine' if who == self.ctx.me else 'take theirs'}"
                                      f" \u2014 {shown}", f"set by {who}"))

        def chosen(key: str) -> None:
            name, base, value = picks[key]
            if name == "status":
                self._write("status", {"status": value}, base, f"status: {value} stands")
            else:
                self._write("set", {"field": name, "value": value}, base,
                            f"{name}: {value} stands")
        self._pick("Resolve conflict", choices, chosen)

    def start_playbook(self) -> None:
        state = self._state()
        if state is None:
            return
        books = self.playbooks.available()
        for problem in self.playbooks.problems():
            self.ctx.notifier.warn(f"A playbook file was left out: {problem}")
        if not books:
            self.ctx.notifier.info("No playbooks are installed on this desktop")
            return

        def chosen(book: str) -> None:
            try:
                data = self.playbooks.resolve(book, state.markets)
            except ValueError as exc:
                self.ctx.notifier.warn(f"The playbook could not be started: {exc}")
                return
            self._write("playbook_start", {**data, "run": new_uid()},
                        done="Playbook started: space ticks the selected step")
        self._pick("Start playbook", [Choice(i, t, i) for i, t in books], chosen)

    def _step(self, state: IncidentState) -> tuple[str, Any] | None:
        key = self.view.checklist.current_key()
        if key is None:
            self.ctx.notifier.info("Select a checklist step first (b starts a playbook)")
            return None
        run_id, step_id = split_key(key)
        run = next((r for r in state.runs if r.run == run_id), None)
        step = None if run is None else next((s for s in run.steps if s.id == step_id), None)
        return None if step is None else (run_id, step)

    def tick(self) -> None:
        state = self._state()
        found = None if state is None else self._step(state)
        if found is not None:
            run, st = found
            self._write("step", {"run": run, "step": st.id, "done": not st.done,
                                 "note": st.note, "evidence": st.evidence_text})

    def step_note(self) -> None:
        state = self._state()
        found = None if state is None else self._step(state)
        if found is None:
            return
        run, st = found

        def which(kind: str) -> None:
            self._text(f"Step: {kind}", f"{kind.capitalize()} for \u201c{st.title}\u201d"
                       + (f" (wanted: {st.evidence})" if st.evidence else "") + ":",
                       lambda text: self._write("step", {
                           "run": run, "step": st.id, "done": st.done,
                           "note": text if kind == "note" else st.note,
                           "evidence": text if kind == "evidence" else st.evidence_text}),
                       f"{kind.capitalize()} (required)")
        self._pick("Evidence or note", [Choice("evidence", "Evidence", st.evidence),
                                        Choice("note", "Note", "")], which)

    def request(self) -> None:
        if self._state() is None:
            return
        asked: dict[str, Any] = {"request": new_uid()}

        def blocking(answer: str) -> None:
            self._write("request", {**asked, "blocking": answer == "yes"},
                        done=f"Asked {asked['function']}")

        def due(text: str) -> None:
            value = parse_due(text, self.ctx.clock())
            if value is None:
                self.ctx.notifier.warn("Due: give hours from now (4), a time "
                                       "(2026-05-01T10:00Z) or none; nothing was asked")
                return
            asked["due"] = value
            self._pick("Blocking?", [Choice("yes", "Blocking", "the response waits on it"),
                                     Choice("no", "Not blocking", "")], blocking)

        def question(text: str) -> None:
            asked["question"] = text
            self._text("Due", "Due in how many hours (or a time, or none)?", due,
                       "Hours, a time or none", DUE_PRESETS)

        def of_whom(text: str) -> None:
            asked["asked_of"] = text
            self._text("Question", "What is asked:", question, "Question (required)")

        def function(text: str) -> None:
            asked["function"] = text
            state = self.view.state
            found = self.playbooks.contacts(text, state.markets if state else [])
            if not found:
                self._text("Asked of", f"Who in {text} is asked?", of_whom,
                           "A name or team (required)")
                return
            names = {s.id: s.name for s in found}
            choices = [Choice(s.id, s.name, " \u00b7 ".join(
                x for x in (", ".join(s.markets or s.regions) or "global", s.hours,
                            reach(s.channels)) if x)) for s in found]
            self._pick("Asked of", choices, lambda key: of_whom(names.get(key, key)),
                       f"Who in {text} is asked (from the directory, or type a name)", True)

        self._pick("New stakeholder request", [Choice(f, f, "") for f in FUNCTIONS],
                   function, "Function (or type a market team, e.g. Market team JP)", True)

    def answer(self) -> None:
        state = self._state()
        if state is None:
            return
        key = self.view.requests.current_key()
        req = next((r for r in state.requests if r.uid == key), None)
        if req is None:
            self.ctx.notifier.info("Select a stakeholder request first (q asks one)")
            return
        self._text("Answer", f"{req.function}'s answer to: {req.question}",
                   lambda text: self._write("request_update", {
                       "request": req.uid, "status": "answered", "answer": text}),
                   "Answer (required)")

    def containment(self) -> None:
        if self._state() is not None:
            self._text("Containment action", "What is being done to contain it:",
                       lambda text: self._write("containment", {
                           "action": new_uid(), "text": text, "state": "planned"}),
                       "Action (required)")

    def containment_done(self) -> None:
        state = self._state()
        if state is None:
            return
        key = self.view.containment.current_key()
        if not any(a.uid == key for a in state.containment):
            self.ctx.notifier.info("Select a containment action first (n adds one)")
            return
        self._write("containment_update", {"action": key, "state": "done"})

    def _link(self, state: IncidentState) -> Any:
        key = self.view.links.current_key()
        link = next((ln for ln in state.links
                     if link_key(ln.source, ln.external_id) == key), None)
        if link is None:
            self.ctx.notifier.info("Select a linked escalation first")
        return link

    def open_link(self) -> None:
        state = self._state()
        link = None if state is None else self._link(state)
        if link is None:
            return
        esc_id = self.view.members.get(link_key(link.source, link.external_id))
        if esc_id is None:
            self.ctx.notifier.info(f"{link.external_id} is not in this cache")
            return
        self._open_escalation(esc_id)

    def unlink(self) -> None:
        state = self._state()
        link = None if state is None else self._link(state)
        if link is not None:
            self._write("unlink", {"source": link.source, "external_id": link.external_id},
                        done=f"{link.external_id} is no longer in this incident")

    def declare(self, then: Callable[[int], None]) -> None:
        """c on the incident list: a new incident by title."""
        if not self.ctx.me:
            self.ctx.notifier.info("Choose who you are first (File > Who am I)")
            return
        me = self.ctx.me

        def made(title: str) -> None:
            now = self.ctx.clock()
            self.ctx.run_write("declare-incident",
                               lambda db: incidents.create_incident(db, title, me, now),
                               failure="The incident could not be declared",
                               changes=Changes(incidents=True), on_done=then)
        self._text("Declare incident", "A title for the new incident:", made,
                   "Title (required)")
