"""Post-mortems in the window (docs/postmortems.md): the drafts page (`g d`), the editor,
and its commands. Everything works from the cache alone, so a post-mortem can be created
and written with no network at all.

Other screens open a post-mortem through `open_postmortem_for(incident_uid)` (an
incident's "Post-mortem…"); "New post-mortem…" asks which cached incident first.

Crash recovery: every autosave is a committed revision, so the newest revision is the
draft after any crash. While an editor has a post-mortem open its id is listed in
`<data dir>/postmortems-open.json`, and a clean close takes it out; a start that finds
it there says which draft was recovered and from when.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QStackedWidget, QWidget

from ..store import incident_log, pickers, postmortems
from ..store.changes import Changes
from ..store.connections import raw_reader
from ..store.incidents import list_incidents
from .context import AppContext
from .fuzzy import Choice
from .postmortem_action_item import ActionItemDialog
from .postmortem_autosave import Autosaver, editor_text
from .postmortem_conflicts import ConflictsDialog
from .postmortem_drafts import DraftsPage
from .postmortem_editor import STATES, PostmortemEditor
from .postmortem_export import FORMATS, ExportFailed, export, write_bytes
from .postmortem_history import HistoryDialog
from .postmortem_text import action_insertion, load_template
from .text import format_time, one_line
from .triage.prompts import PickPrompt

log = logging.getLogger("rr_desktop.gui.postmortems")

OPEN_FILE = "postmortems-open.json"
Handler = Callable[[], object]


class PostmortemScreens(QObject):
    """`drafts` (the `g d` page) and `editor` (the editor page), both pages of `pages`;
    `autosave`; `recovered` (ids recovered after a crash at this start)."""

    def __init__(self, ctx: AppContext, pages: QStackedWidget,
                 open_dialog: Callable[[QDialog], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.pages, self._open_dialog, self._parent = ctx, pages, open_dialog, parent
        self.db: sqlite3.Connection = raw_reader(ctx.store.path)
        self.drafts = DraftsPage()
        self.editor = PostmortemEditor()
        pages.addWidget(self.drafts)
        pages.addWidget(self.editor)
        self.autosave = Autosaver(ctx, self.editor.text, self)
        self.autosave.status.connect(self.editor.status.setText)
        self.autosave.saved.connect(lambda _rev: self._show_state())
        self.autosave.replaced.connect(self.editor.replace_text)
        self.editor.text.focus_lost.connect(self._focus_lost)
        self.drafts.open_requested.connect(self.open_draft)
        ctx.changes_applied.connect(self._on_changes)
        self._incident_uid = ""
        self._creating: set[str] = set()
        self.recovered = self._recover()

    # -- commands -----------------------------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        ed = self._in_editor
        return {
            "go-drafts": self.show_drafts,
            "new-postmortem": self.ask_incident,
            "pm-open": self.drafts.open_current,
            "pm-heading-1": ed(lambda: self.editor.heading(1)),
            "pm-heading-2": ed(lambda: self.editor.heading(2)),
            "pm-heading-3": ed(lambda: self.editor.heading(3)),
            "pm-list": ed(self.editor.bullets),
            "pm-link": ed(self.editor.link),
            "pm-outline": ed(self.editor.focus_outline),
            "pm-action-item": ed(self.ask_action_item),
            "pm-refresh": ed(self.refresh_from_incident),
            "pm-save": ed(lambda: self.autosave.save_now(
                then=lambda: self.ctx.notifier.info("Post-mortem saved"))),
            "pm-history": ed(self.show_history),
            "pm-state": ed(self.ask_state),
            "pm-export": ed(self.ask_export),
            "pm-merge": ed(self.show_conflicts),
            "pm-close": ed(self.close_editor),
        }

    def _in_editor(self, fn: Handler) -> Handler:
        def run() -> object:
            if self.editor.pm_id is None:
                self.ctx.notifier.info("Open a post-mortem first: g d lists them")
                return None
            if self.pages.currentWidget() is not self.editor:
                self.pages.setCurrentWidget(self.editor)
            return fn()
        return run

    def _locked(self) -> bool:
        if self.editor.text.isReadOnly():
            self.ctx.notifier.info("This post-mortem is final: set it back to draft "
                                   "(Ctrl+Alt+S) to change it")
            return True
        return False

    # -- the drafts list and opening ----------------------------------------------------

    def show_drafts(self) -> None:
        """g d: every post-mortem of the cache, the list focused."""
        self._fill_drafts()
        self.pages.setCurrentWidget(self.drafts)
        self.drafts.table.setFocus()

    def _fill_drafts(self) -> None:
        rows = postmortems.drafts(self.db)
        self.drafts.show_rows(rows, set(self.recovered))
        titles = {pm_id: title for pm_id, title, *_ in rows}
        self.drafts.show_actions(
            [(due, text, owner, titles.get(pm_id, ""), done)
             for pm_id, _key, text, owner, due, done in postmortems.action_items(self.db)],
            self.ctx.clock().astimezone(self.zone()).date())

    def ask_incident(self) -> None:
        """New post-mortem…: pick a cached incident (works offline)."""
        incidents = list_incidents(self.db, open_only=False, limit=500)
        if not incidents:
            self.ctx.notifier.info("No incident in this cache yet: declare one first")
            return
        choices = [Choice(str(i.id), i.title, f"{i.status} \u00b7 {format_time(i.created_at)}")
                   for i in incidents]
        prompt = PickPrompt("New post-mortem", choices, "Which incident? Type to filter",
                            False, self._parent)
        prompt.setObjectName("postmortemIncidentPicker")
        prompt.chosen.connect(self._incident_chosen)
        self._open_dialog(prompt)

    def _incident_chosen(self, key: str) -> None:
        uid = incident_log.uid_of(self.db, int(key)) if key.isdigit() else None
        if uid is None:
            self.ctx.notifier.warn("That incident is no longer in this cache")
            return
        self.open_postmortem_for(uid)

    def open_postmortem_for(self, incident_uid: str) -> None:
        """The incident's post-mortem in the editor; created (pre-filled from the cached
        incident, the analyst's template) if it has none yet."""
        existing = postmortems.for_incident(self.db, incident_uid)
        if existing is not None:
            self.open_draft(existing)
            return
        if not self.ctx.me:
            self.ctx.notifier.warn("Choose who you are first (File, Who am I\u2026): a "
                                   "post-mortem names its author")
            return
        if incident_uid in self._creating:
            return
        template = load_template(self.ctx.data_dir)
        if template.problem:
            self.ctx.notifier.warn(template.problem, 15_000)
        me, now, zone = self.ctx.me, self.ctx.clock(), self.zone()
        self._creating.add(incident_uid)

        def create(db: sqlite3.Connection) -> int:
            return postmortems.create(db, incident_uid, template.text, me, now, zone)

        def done(pm_id: int) -> None:
            self._creating.discard(incident_uid)
            self.open_draft(pm_id)

        self.ctx.run_write("Create post-mortem", create,
                           failure="The post-mortem was not created", on_done=done,
                           on_failure=lambda _exc: self._creating.discard(incident_uid))

    def zone(self) -> ZoneInfo:
        """The analyst's zone (settings), else the computer's: the times the draft shows."""
        return self.ctx.settings.zone or cast(ZoneInfo, datetime.now().astimezone().tzinfo)

    def open_draft(self, pm_id: int) -> None:
        """Show post-mortem `pm_id` in the editor (the open one is saved first)."""
        if self.editor.pm_id == pm_id:
            self.pages.setCurrentWidget(self.editor)
            self.editor.text.setFocus()
            return
        if self.autosave.busy() and self.autosave.unsaved():
            self.autosave.save_now(then=lambda: self.open_draft(pm_id))
            return
        draft = postmortems.get(self.db, pm_id)
        if draft is None:
            self.ctx.notifier.warn("That post-mortem is no longer in this cache")
            return
        self.autosave.save_now()  # the one open now: its text is taken as it is
        if self.editor.pm_id is not None:
            self._mark_open(self.editor.pm_id, False)
        self.autosave.bind(None)
        self.editor.load(draft)
        self.autosave.bind(pm_id)
        self._incident_uid = draft.incident_uid
        self._mark_open(pm_id, True)
        self.pages.setCurrentWidget(self.editor)
        self.editor.text.setFocus()
        if draft.conflicts:
            self.ctx.notifier.info(f"{len(draft.conflicts)} section(s) changed here and on "
                                   "the service: Ctrl+Alt+M merges them", 10_000)

    def close_editor(self) -> None:
        """Esc: save, then back to the drafts (if the save fails, the editor stays)."""
        pm_id = self.editor.pm_id

        def closed() -> None:
            if self.editor.pm_id == pm_id and pm_id is not None:
                self._mark_open(pm_id, False)
                self.autosave.bind(None)
                self.editor.pm_id = None
                self.show_drafts()

        self.autosave.save_now(then=closed)

    def _focus_lost(self) -> None:
        if self.editor.pm_id is not None and not self.ctx.closed:
            self.autosave.save_now()

    def _show_state(self) -> None:
        if self.editor.pm_id is None:
            return
        draft = postmortems.get(self.db, self.editor.pm_id)
        if draft is not None and not self.autosave.busy():
            self.editor.show_state(draft)

    def _on_changes(self, changes: Changes) -> None:
        """A sync may have changed post-mortems: the list follows; an open draft with
        no unsaved typing takes the newer text (one undoable edit)."""
        if not (changes.outbox or changes.channels or changes.all_rows):
            return
        if self.pages.currentWidget() is self.drafts:
            self._fill_drafts()
        pm_id = self.editor.pm_id
        if pm_id is None or self.autosave.busy() or self.autosave.unsaved():
            return
        draft = postmortems.get(self.db, pm_id)
        if draft is None:
            return
        if draft.text != self.autosave.saved_text:
            self.editor.replace_text(draft.text)
            self.autosave.mark_saved(editor_text(self.editor.text))
            self.ctx.notifier.info("The post-mortem was updated from the service")
        self.editor.show_state(draft)

    # -- the editor's commands ----------------------------------------------------------

    def ask_action_item(self) -> None:
        if self._locked():
            return
        today = self.ctx.clock().astimezone(self.zone()).date()
        dialog = ActionItemDialog(pickers.analyst_names(self.db), self.ctx.me, today,
                                  self._parent)
        dialog.chosen.connect(self._add_action_item)
        self._open_dialog(dialog)

    def _add_action_item(self, line: str) -> None:
        if self._locked():
            return
        offset, text = action_insertion(editor_text(self.editor.text), line)
        self.editor.insert(offset, text)
        self.autosave.save_now()

    def refresh_from_incident(self) -> None:
        """Ctrl+Shift+R: regenerate the auto parts the analyst has not edited."""
        if self._locked():
            return
        pm_id, me, zone = self.editor.pm_id, self.ctx.me, self.zone()
        assert pm_id is not None

        def write(db: sqlite3.Connection, text: str) -> tuple[str, list[str], list[str]]:
            now = self.ctx.clock()
            postmortems.save(db, pm_id, text, me, now)
            refreshed, kept = postmortems.refresh_from_incident(db, pm_id, me, now, zone)
            draft = postmortems.get(db, pm_id)
            assert draft is not None
            return draft.text, refreshed, kept

        def done(result: tuple[str, list[str], list[str]]) -> None:
            text, refreshed, kept = result
            self._take(text)
            said = f"Refreshed from the incident: {', '.join(refreshed) or 'nothing'}"
            if kept:
                said += f"; kept as you edited them: {', '.join(kept)}"
            self.ctx.notifier.info(said, 10_000)

        self.autosave.write_after_save("Refresh post-mortem", write, done,
                                       "The post-mortem was not refreshed")

    def _take(self, text: str) -> None:
        """The store's text after a write other than a save: into the editor as one
        undoable edit, known as saved."""
        self.editor.replace_text(text)
        self.autosave.mark_saved(editor_text(self.editor.text))
        self._show_state()
        self.editor.refresh_preview()

    def show_history(self) -> None:
        pm_id = self.editor.pm_id
        assert pm_id is not None
        dialog = HistoryDialog(self._title(), postmortems.revisions(self.db, pm_id),
                               editor_text(self.editor.text),
                               lambda rev: postmortems.revision_text(self.db, rev),
                               self._parent)
        dialog.restore_requested.connect(self._restore)
        self._open_dialog(dialog)

    def _restore(self, revision_id: int) -> None:
        if self._locked():
            return
        pm_id, me = self.editor.pm_id, self.ctx.me
        assert pm_id is not None

        def write(db: sqlite3.Connection, text: str) -> str:
            now = self.ctx.clock()
            postmortems.save(db, pm_id, text, me, now)
            postmortems.restore(db, pm_id, revision_id, me, now)
            draft = postmortems.get(db, pm_id)
            assert draft is not None
            return draft.text

        def done(text: str) -> None:
            self._take(text)
            self.ctx.notifier.info("Revision restored (the text it replaced stays in the "
                                   "history; Ctrl+Z undoes it here)")

        self.autosave.write_after_save("Restore revision", write, done,
                                       "The revision was not restored")

    def ask_state(self) -> None:
        pm_id = self.editor.pm_id
        assert pm_id is not None
        draft = postmortems.get(self.db, pm_id)
        current = draft.state if draft is not None else ""
        choices = [Choice(key, title + (" (now)" if key == current else ""),
                          "locks the text" if key == "final" else "")
                   for key, title in STATES.items()]
        prompt = PickPrompt("Review state", choices, "Draft, in review or final?", False,
                            self._parent)
        prompt.setObjectName("postmortemStatePicker")
        prompt.chosen.connect(self._set_state)
        self._open_dialog(prompt)

    def _set_state(self, state: str) -> None:
        pm_id, me = self.editor.pm_id, self.ctx.me
        assert pm_id is not None

        def write(db: sqlite3.Connection, text: str) -> str:
            now = self.ctx.clock()
            draft = postmortems.get(db, pm_id)
            if draft is not None and draft.state != "final":
                postmortems.save(db, pm_id, text, me, now)
            postmortems.set_state(db, pm_id, state, me, now)
            return state

        def done(state_: str) -> None:
            self._show_state()
            self.ctx.notifier.info(
                "Final: the text is locked" if state_ == "final" else
                f"The post-mortem is {STATES[state_].lower()} now")

        self.autosave.write_after_save("Review state", write, done,
                                       "The review state did not change")

    def show_conflicts(self) -> None:
        pm_id = self.editor.pm_id
        assert pm_id is not None
        draft = postmortems.get(self.db, pm_id)
        if draft is None or not draft.conflicts:
            self.ctx.notifier.info("No section waits for a merge")
            return
        if self._locked():
            return
        dialog = ConflictsDialog(draft.conflicts, self._parent)
        dialog.merged.connect(self._merge)
        self._open_dialog(dialog)

    def _merge(self, heading: str, body: str) -> None:
        pm_id, me = self.editor.pm_id, self.ctx.me
        assert pm_id is not None

        def write(db: sqlite3.Connection, text: str) -> tuple[str, int]:
            now = self.ctx.clock()
            postmortems.save(db, pm_id, text, me, now)
            postmortems.resolve_conflict(db, pm_id, heading, body, me, now)
            draft = postmortems.get(db, pm_id)
            assert draft is not None
            return draft.text, len(draft.conflicts)

        def done(result: tuple[str, int]) -> None:
            self._take(result[0])
            left = result[1]
            self.ctx.notifier.info(f"Merged \u201c{one_line(heading)}\u201d" + (
                f"; {left} more to merge" if left else "; it goes to the service at the "
                "next sync"))

        self.autosave.write_after_save("Merge section", write, done,
                                       "The merged section was not saved")

    def ask_export(self) -> None:
        choices = [Choice(key, name) for key, name in FORMATS.items()]
        prompt = PickPrompt("Export post-mortem", choices, "Markdown, HTML or PDF?", False,
                            self._parent)
        prompt.setObjectName("postmortemExportFormat")
        prompt.chosen.connect(self._ask_path)
        self._open_dialog(prompt)

    def _ask_path(self, fmt: str) -> None:
        name = "".join(ch if ch.isalnum() else "-" for ch in self._title().lower())
        default = Path.home() / f"{'-'.join(p for p in name.split('-') if p)[:60]}.{fmt}"
        dialog = QFileDialog(self._parent, "Export post-mortem", str(default),
                             f"{FORMATS[fmt]} (*.{fmt})")
        dialog.setObjectName("exportPostmortem")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setDefaultSuffix(fmt)
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path), fmt))
        self._open_dialog(dialog)
        # opened from the format picker, which had the focus: back to the text after
        dialog.finished.connect(lambda _code: self._back_to_text())

    def _back_to_text(self) -> None:
        if self.pages.currentWidget() is self.editor:
            self.editor.text.setFocus()

    def export_to(self, path: Path, fmt: str) -> bool:
        """Write the editor's text to `path`; the previous file survives a failure."""
        QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
        try:
            export(path, fmt, self._title(), editor_text(self.editor.text))
        except (ExportFailed, OSError) as exc:
            self.ctx.notifier.error(f"Not exported: {exc}")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.ctx.notifier.info(f"Exported to {path}")
        return True

    def _title(self) -> str:
        pm_id = self.editor.pm_id
        draft = postmortems.get(self.db, pm_id) if pm_id is not None else None
        return draft.title if draft is not None else "Post-mortem"

    # -- open editors and crash recovery ------------------------------------------------

    def _open_path(self) -> Path:
        return self.ctx.data_dir / OPEN_FILE

    def _open_ids(self) -> list[int]:
        try:
            ids = json.loads(self._open_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []

    def _mark_open(self, pm_id: int, is_open: bool) -> None:
        ids = [i for i in self._open_ids() if i != pm_id] + ([pm_id] if is_open else [])
        try:
            write_bytes(self._open_path(), json.dumps(ids).encode())
        except OSError as exc:  # only the recovery message depends on it
            log.warning("could not note the open post-mortems: %s", exc)

    def _recover(self) -> list[int]:
        """Post-mortems an editor had open when the app last stopped without closing
        them: say which were recovered, from when."""
        recovered: list[tuple[int, str, int]] = []
        for pm_id in self._open_ids():
            draft = postmortems.get(self.db, pm_id)
            revs = postmortems.revisions(self.db, pm_id)
            if draft is not None and revs:
                recovered.append((pm_id, draft.title, revs[0].at))
        for pm_id in self._open_ids():
            self._mark_open(pm_id, False)
        if recovered:
            said = "; ".join(f"\u201c{one_line(t)}\u201d as saved at {format_time(at)}"
                             for _, t, at in recovered)
            text = (f"RR Desktop did not close normally: recovered your draft of {said} "
                    "(g d lists it)")
            # said once the window shows its messages (it is still being built)
            QTimer.singleShot(0, lambda: self.ctx.notifier.warn(text, 20_000))
        return [pm_id for pm_id, _, _ in recovered]

    def close(self) -> None:
        """The window is closing (writes are allowed on this thread again): the last
        typing is saved and the editor counts as closed cleanly."""
        pm_id = self.editor.pm_id
        if pm_id is not None:
            try:
                with self.ctx.store.write() as db:
                    self.autosave.save_sync(db)
                self._mark_open(pm_id, False)
            except (sqlite3.Error, OSError, ValueError) as exc:
                log.warning("the open post-mortem was not saved at close: %s", exc)
        self.db.close()
