"""The handler of every command of the main window, by command name (the keys, menus,
palette and overlay all come from rr_desktop.keymap)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .main_window import MainWindow


def window_handlers(win: MainWindow) -> dict[str, Callable[[], object]]:
    t = win.table
    handlers: dict[str, Callable[[], object]] = {
        "next-item": lambda: t.move_current(1),
        "previous-item": lambda: t.move_current(-1),
        "first-item": lambda: t.select_row(0),
        "last-item": lambda: t.select_row(win.model.rowCount() - 1),
        "open-detail": win.open_detail,
        "back-to-list": win.back_to_list,
        "clear-selection": t.clear_selection_keep_current,
        "toggle-select": t.toggle_current,
        "extend-down": lambda: t.extend_selection(1),
        "extend-up": lambda: t.extend_selection(-1),
        "select-all": t.selectAll,
        "submit": lambda: win.composer_submit(False),
        "submit-next": lambda: win.composer_submit(True),
        "palette": win.show_palette,
        "search": win.views.focus_search,
        "go-triage": lambda: win.views.show_view(win.views.view_named("Triage")),
        "go-mine": lambda: win.views.show_view(win.views.view_named("Mine")),
        "go-snoozed": lambda: win.views.show_view(win.views.view_named("Snoozed")),
        "go-sla": lambda: win.views.show_view(win.views.view_named("SLA at risk")),
        "go-all": lambda: win.views.show_view(win.views.view_named("All")),
        "go-outbox": win.show_sync_page,
        "toggle-split": win.toggle_split,
        "sync-now": win.sync_now,
        "sync-details": lambda: win.show_sync_details(None),
        "shortcuts": win.show_shortcuts,
        "about": win.show_about,
        "manage-views": win.manage_views,
        "quit": win.close,
        **win.triage.handlers(),
        **win.outbox.handlers(),
        **win.services.handlers(),
    }
    for n in range(1, 10):
        handlers[f"view-{n}"] = partial(win.views.show_index, n - 1)
    return handlers
