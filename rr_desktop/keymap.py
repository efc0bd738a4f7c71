"""Every command of the app and its default keys, as data (docs/keymap.md).

The Qt layer registers a handler per command name and builds shortcuts, menus, the
command palette and the `?` overlay from this table; the README's keymap section is
generated from it too (`python -m rr_desktop.keymap`). User overrides come from settings
and are checked for conflicts before they take effect. No Qt here.

Keys are written in Qt's portable text form: "J", "Shift+J", "Ctrl+K", and two-key chords
as "G, T".
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from .store.actions import ACTION_TYPES, TriageAction


class Mode(StrEnum):
    """Where a key is live: the whole window, the triage list, the detail pane, the
    Outbox & sync view, the lead board, the trends page, the search box, or a dialog (a
    composer or form,
    a prompt with presets, a picker, the saved views manager). Bare-letter keys are never
    live in a text field."""

    GLOBAL = "global"
    LIST = "list"
    DETAIL = "detail"
    COMPOSER = "composer"
    OUTBOX = "outbox"
    LEAD = "lead board"
    INCIDENTS = "incident list"
    INCIDENT = "incident"
    TRENDS = "trends"
    SEARCH = "search"
    PROMPT = "prompt"
    PICKER = "picker"
    SAVED_VIEWS = "saved views"
    SQL = "sql console"
    POSTMORTEM = "post-mortem editor"
    DRAFTS = "post-mortem drafts"


# Keys of these modes are handled by the focused widget of the mode itself (its
# `handle_command(name)`): a dialog, a picker, the search box.
DELEGATED_MODES = frozenset({Mode.COMPOSER, Mode.SEARCH, Mode.PROMPT, Mode.PICKER,
                             Mode.SAVED_VIEWS})

L, D, G, C = (Mode.LIST,), (Mode.DETAIL,), (Mode.GLOBAL,), (Mode.COMPOSER,)
OB = (Mode.OUTBOX,)
LB = (Mode.LEAD,)
TR = (Mode.TRENDS,)
LD = (Mode.LIST, Mode.DETAIL)
IL, IN = (Mode.INCIDENTS,), (Mode.INCIDENT,)
PM = (Mode.POSTMORTEM,)


@dataclass(frozen=True, slots=True)
class Command:
    """A command's identity and default binding; handlers are bound by the GUI."""

    name: str
    title: str
    keys: tuple[str, ...]
    modes: tuple[Mode, ...]
    help: str
    menu: str | None = None
    needs_selection: bool = False


def _cmd(name: str, title: str, keys: tuple[str, ...], modes: tuple[Mode, ...], help: str,
         menu: str | None = None, sel: bool = False) -> Command:
    return Command(name, title, keys, modes, help, menu, sel)


_MOVING: tuple[Command, ...] = (
    # Moving around
    _cmd("next-item", "Next item", ("J", "Down"), LD, "Move to the next escalation", "Go"),
    _cmd("previous-item", "Previous item", ("K", "Up"), LD,
         "Move to the previous escalation", "Go"),
    _cmd("open-detail", "Open in detail pane", ("Return", "Enter", "O"), L,
         "Focus the detail pane of the current escalation", "Go", True),
    _cmd("back-to-list", "Back to list", ("U", "Esc"), D, "Return focus to the triage list",
         "Go"),
    _cmd("clear-selection", "Clear selection", ("Esc",), L, "Clear the selection in the list",
         "Edit"),
    _cmd("first-item", "First item", ("Home",), L, "Move to the first escalation", "Go"),
    _cmd("last-item", "Last item", ("End",), L, "Move to the last escalation", "Go"),
    _cmd("toggle-select", "Toggle select", ("X",), L,
         "Add the current escalation to the selection, or take it out", "Edit", True),
    _cmd("extend-down", "Extend selection down", ("Shift+J",), L,
         "Select the next escalation too", "Edit", True),
    _cmd("extend-up", "Extend selection up", ("Shift+K",), L,
         "Select the previous escalation too", "Edit", True),
    _cmd("select-all", "Select all in view", ("Ctrl+A",), L,
         "Select every escalation of the view", "Edit"),
)

_INCIDENT_COMMANDS: tuple[Command, ...] = (
    # Incident list (g i) and the incident screen (docs/incident-screen.md)
    _cmd("incidents-next", "Next incident", ("J", "Down"), IL, "Move to the next incident",
         "Incident"),
    _cmd("incidents-previous", "Previous incident", ("K", "Up"), IL,
         "Move to the previous incident", "Incident"),
    _cmd("incidents-open", "Open incident", ("Return", "Enter"), IL,
         "Open the incident screen of the current incident", "Incident"),
    _cmd("incidents-declare", "Declare incident…", ("C",), IL,
         "Declare a new incident by title", "Incident"),
    _cmd("incident-next-row", "Next row", ("J", "Down"), IN,
         "Move down the section that has the focus", "Incident"),
    _cmd("incident-previous-row", "Previous row", ("K", "Up"), IN,
         "Move up the section that has the focus", "Incident"),
    _cmd("incident-next-section", "Next section", ("Tab",), IN,
         "Timeline, checklist, requests, containment, linked escalations", "Incident"),
    _cmd("incident-previous-section", "Previous section", ("Shift+Tab", "Backtab"), IN,
         "The previous section", "Incident"),
    _cmd("incident-back", "Back to the incident list", ("U", "Esc"), IN,
         "Leave the incident screen for the list", "Incident"),
    _cmd("incident-fact", "Log a fact…", ("M",), IN,
         "Add a fact to the timeline", "Incident"),
    _cmd("incident-pin", "Pin or unpin fact", ("P",), IN,
         "Pin the selected timeline fact (pinned facts are listed first), or unpin it",
         "Incident"),
    _cmd("incident-status", "Set status…", ("S",), IN,
         "Active, contained, stable, resolved, closed (each stage's time is kept)",
         "Incident"),
    _cmd("incident-severity", "Set severity…", ("V",), IN, "S0 to S3", "Incident"),
    _cmd("incident-priority", "Set priority…", ("Y",), IN, "P0 to P4", "Incident"),
    _cmd("incident-role", "Take or leave a role…", ("O",), IN,
         "Commander, scribe or liaison: take it, or leave it if you hold it", "Incident"),
    _cmd("incident-resolve-conflict", "Resolve conflict…", ("R",), IN,
         "A field two people set without seeing each other: keep yours or take theirs",
         "Incident"),
    _cmd("incident-playbook", "Start playbook…", ("B",), IN,
         "Start a playbook: its checklist and statutory clocks join the incident",
         "Incident"),
    _cmd("incident-tick", "Tick or untick step", ("Space",), IN,
         "Mark the selected checklist step done (timestamped), or reopen it", "Incident"),
    _cmd("incident-step-note", "Step evidence or note…", ("E",), IN,
         "Record evidence or a note on the selected checklist step", "Incident"),
    _cmd("incident-request", "New stakeholder request…", ("Q",), IN,
         "Ask a function (Legal, Comms, ...) something, with a due time", "Incident"),
    _cmd("incident-answer", "Answer request…", ("A",), IN,
         "Record the answer to the selected stakeholder request", "Incident"),
    _cmd("incident-containment", "New containment action…", ("N",), IN,
         "Add a containment action (planned)", "Incident"),
    _cmd("incident-containment-done", "Containment action done", ("D",), IN,
         "Mark the selected containment action done", "Incident"),
    _cmd("incident-open-link", "Open linked escalation", ("Return", "Enter"), IN,
         "Show the selected linked escalation in triage (f there moves it)", "Incident"),
    _cmd("incident-unlink", "Unlink escalation", ("X",), IN,
         "Take the selected linked escalation out of this incident", "Incident"),
    _cmd("incident-postmortem", "Post-mortem\u2026", ("Shift+P",), IN,
         "Write this incident's post-mortem (made from the cached incident; works "
         "offline), or open it", "Incident"),
    _cmd("incident-sitrep", "Situation report…", ("W",), IN,
         "Draft a sitrep (team or executive) from the incident; copy it, record it as sent",
         "Incident"),
)

_OTHERS: tuple[Command, ...] = (
    # Composer and forms
    _cmd("submit", "Submit", ("Ctrl+Return", "Ctrl+Enter"), C,
         "Send what the composer or form holds", None),
    _cmd("submit-next", "Submit and next", ("Ctrl+Shift+Return", "Ctrl+Shift+Enter"), C,
         "Send, then move to the next escalation", None),
    _cmd("reply-templates", "Reply templates", ("Ctrl+T",), C,
         "In the reply composer: pick a template for the escalation's language and "
         "partner (Enter inserts it, placeholders filled)", None),
    # Search box, prompts, pickers, the saved views manager
    _cmd("search-results", "Go to the results", ("Return", "Enter", "Down"), (Mode.SEARCH,),
         "Leave the search box for the list of results", None),
    _cmd("search-cancel", "Clear the search", ("Esc",), (Mode.SEARCH,),
         "Clear the search and go back to the list", None),
    _cmd("search-everywhere", "Search every escalation", ("Ctrl+Return", "Ctrl+Enter"),
         (Mode.SEARCH,), "Search the typed words in All, not only in the current view",
         None),
    *(_cmd(f"preset-{n}", f"Preset {n}", (f"Alt+{n}",), (Mode.PROMPT,),
           f"Use the prompt's preset number {n} (a reason, a snooze time)", None)
      for n in range(1, 10)),
    _cmd("choice-next", "Next choice", ("Down",), (Mode.PICKER,),
         "Move down the list while typing", None),
    _cmd("choice-previous", "Previous choice", ("Up",), (Mode.PICKER,),
         "Move up the list while typing", None),
    _cmd("choice-pick", "Pick", ("Return", "Enter"), (Mode.PICKER,),
         "Pick the highlighted choice (or what was typed, where new values are allowed)",
         None),
    _cmd("view-move-up", "Move view up", ("Alt+Up",), (Mode.SAVED_VIEWS,),
         "Move the selected saved view up (its Ctrl+N key follows)", None),
    _cmd("view-move-down", "Move view down", ("Alt+Down",), (Mode.SAVED_VIEWS,),
         "Move the selected saved view down", None),
    _cmd("view-delete", "Delete view…", ("Delete",), (Mode.SAVED_VIEWS,),
         "Delete the selected saved view (asks first)", None),
    _cmd("create", "Create escalation or incident\u2026", ("C",), LD,
         "Type in an escalation (a call, a chat, a meeting), or open an incident by title",
         "Triage"),
    _cmd("save-view", "Save view\u2026", (), G,
         "Save the current view and search under a name (Ctrl+1..9 follow the order)",
         "View"),
    _cmd("sort-by", "Sort by\u2026", (), G,
         "Sort the view by a column (a header click does it too); Triage order undoes it",
         "View"),
    _cmd("manage-views", "Manage saved views\u2026", (), G,
         "Reorder your saved views (Ctrl+1..9 follow the order) or delete them", "View"),
    # A surge suggestion in the banner (docs/surges.md)
    _cmd("surge-declare", "Surge: declare an incident\u2026", ("Ctrl+Shift+D",), G,
         "List the surge's escalations, select them and escalate them to a new incident "
         "(f, its title suggested), or add them to the incident most of them are in",
         "Triage"),
    _cmd("surge-show", "Surge: show its escalations", ("Ctrl+Shift+L",), G,
         "List exactly the escalations of the surge the banner names (id:...)", "Triage"),
    _cmd("surge-dismiss", "Surge: dismiss the suggestion", ("Ctrl+Shift+X",), G,
         "Hide the surge suggestion until the surge grows materially", "Triage"),
    # Outbox & sync view
    _cmd("next-tab", "Next tab", ("Ctrl+Tab",), (*OB, *LB), "Show the next tab", "Sync"),
    _cmd("previous-tab", "Previous tab", ("Ctrl+Shift+Tab", "Ctrl+Backtab"), (*OB, *LB),
         "Show the previous tab", "Sync"),
    _cmd("conflict-mine", "Conflict: keep mine", ("M",), OB,
         "Keep your value and push it over the source's", "Sync"),
    _cmd("conflict-theirs", "Conflict: take theirs", ("T",), OB,
         "Take the source's value; your change to that field is dropped (recorded)", "Sync"),
    _cmd("conflict-edit", "Conflict: edit…", ("E",), OB,
         "Type a third value and push it", "Sync"),
    _cmd("retry-op", "Retry refused change", ("R",), OB,
         "Queue a refused (dead) change again", "Sync"),
    _cmd("copy-raw", "Copy raw payload", ("C",), OB,
         "Copy a quarantined record's raw payload to the clipboard", "Sync"),
    # Lead board
    _cmd("lead-open-queue", "Open the analyst's queue", ("Return", "Enter"), LB,
         "Show the analyst's open escalations in the triage list (assignee:<id> is:open)",
         "Lead"),
    _cmd("lead-edit-analyst", "Edit analyst\u2026", ("E",), LB,
         "Edit the analyst's policy areas, shift hours and time zone, and capacity", "Lead"),
    _cmd("lead-rebalance", "Rebalance\u2026", ("B",), LB,
         "Propose moving unassigned items and the excess over capacity to analysts on "
         "shift with room, with why; Apply assigns them in one step (z undoes it)", "Lead"),
    # SQL console (docs/sql-console.md)
    _cmd("sql-run", "Run query", ("Ctrl+Return", "Ctrl+Enter"), (Mode.SQL,),
         "Run the query (the selected text if any) on the cache, read-only", None),
    _cmd("sql-cancel", "Cancel query", ("Esc",), (Mode.SQL,),
         "Stop the running query; otherwise back to the editor", None),
    _cmd("sql-history-previous", "Previous query", ("Alt+Up",), (Mode.SQL,),
         "Show the query run before (the history is kept in the data dir)", None),
    _cmd("sql-history-next", "Next query", ("Alt+Down",), (Mode.SQL,),
         "Show the query run after, then what you were typing", None),
    # Post-mortems (docs/postmortems.md). The editor is a text field: its keys are chords
    # with Ctrl or Alt (Ctrl+1..9 are the saved views everywhere, so headings take Alt).
    _cmd("go-drafts", "Post-mortem drafts", ("G, D",), G,
         "Every post-mortem in this cache: state, last change, unsynced, open merges",
         "View"),
    _cmd("new-postmortem", "New post-mortem\u2026", (), G,
         "Write the post-mortem of a cached incident (works offline); opens it if it "
         "exists", "File"),
    _cmd("pm-open", "Open post-mortem", ("Return", "Enter"), (Mode.DRAFTS,),
         "Open the selected post-mortem in the editor", None),
    *(_cmd(f"pm-heading-{n}", f"Heading {n}", (f"Ctrl+Alt+{n}",), PM,
           f"Make the line a level-{n} heading (again: plain text)", None)
      for n in (1, 2, 3)),
    _cmd("pm-list", "Bulleted list", ("Ctrl+Shift+8",), PM,
         "Make the selected lines list items (again: plain lines)", None),
    _cmd("pm-link", "Link", ("Ctrl+L",), PM,
         "Make the selection a link; type its address where it is selected", None),
    _cmd("pm-outline", "Outline", ("Ctrl+Shift+O",), PM,
         "Go to a heading: pick it in the outline (Enter goes there)", None),
    _cmd("pm-action-item", "Add action item\u2026", ("Ctrl+Shift+A",), PM,
         "Add an action item with an owner from the roster and a due date (in 7 days)",
         None),
    _cmd("pm-refresh", "Refresh from incident", ("Ctrl+Shift+R",), PM,
         "Regenerate the parts drawn from the incident; parts you edited stay as written",
         None),
    _cmd("pm-save", "Save now", ("Ctrl+S",), PM,
         "Save the draft now (it also saves itself after a pause and when you leave)",
         None),
    _cmd("pm-history", "Revision history\u2026", ("Ctrl+Alt+H",), PM,
         "Every saved revision with what differs from the draft; restore one", None),
    _cmd("pm-state", "Review state\u2026", ("Ctrl+Alt+S",), PM,
         "Draft, in review or final (final locks the text)", None),
    _cmd("pm-export", "Export\u2026", ("Ctrl+Alt+E",), PM,
         "Save the post-mortem as Markdown, HTML or PDF", None),
    _cmd("pm-merge", "Merge sections\u2026", ("Ctrl+Alt+M",), PM,
         "Sections changed here and on the service: see both, write the merged text",
         None),
    _cmd("pm-close", "Close post-mortem", ("Esc",), PM,
         "Save and go back to the drafts", None),
    _cmd("export-team-metrics", "Export team metrics\u2026", (), G,
         "Save the lead board's team metrics (the period shown) as XLSX or CSV", "Lead"),
    _cmd("handover", "Shift handover pack\u2026", ("Ctrl+Shift+H",), G,
         "What the next shift needs: open P0/P1, SLA at risk before their shift ends, "
         "incidents, changes and your notes since the last handover; export or record it",
         "Lead"),
    *_INCIDENT_COMMANDS,
    # Trends
    _cmd("trends-recommend", "Make a recommendation\u2026", ("R",), TR,
         "Turn the finding at the cursor into a recommendation (text, owner function; its "
         "window, counts and escalations go with it)", "Lead"),
    _cmd("trends-export", "Export trends report\u2026", ("E",), TR,
         "Save the figures, findings, recommendations and charts as Markdown, HTML or PDF",
         "Lead"),
    _cmd("trends-export-chart", "Save chart as PNG\u2026", ("P",), TR,
         "Save the volume chart as a PNG image", "Lead"),
    # Global
    _cmd("palette", "Command palette\u2026", ("Ctrl+K",), G,
         "Find any command by name; shows its key", "Help"),
    _cmd("search", "Search\u2026", ("/",), G,
         "Full-text search with operators (sev: pri: status: channel: market: region: "
         "cat: assignee: is: before: after:)", "Go"),
    _cmd("undo", "Undo", ("Z", "Ctrl+Z"), G, "Undo the last action (a whole batch too)",
         "Edit"),
    _cmd("redo", "Redo", ("Ctrl+Shift+Z",), G, "Redo what was undone", "Edit"),
    _cmd("go-triage", "Go to Triage", ("G, T",), G, "New escalations, by priority", "View"),
    _cmd("go-mine", "Go to Mine", ("G, M",), G, "Open escalations assigned to you", "View"),
    _cmd("go-snoozed", "Go to Snoozed", ("G, S",), G, "Snoozed escalations", "View"),
    _cmd("go-sla", "Go to SLA at risk", ("G, A",), G,
         "Open escalations whose SLA is at risk or breached", "View"),
    _cmd("go-all", "Go to All", ("G, E",), G, "Every cached escalation", "View"),
    _cmd("go-outbox", "Outbox & sync", ("G, O",), G,
         "Channel freshness, queued changes, conflicts and quarantined records", "View"),
    _cmd("go-lead", "Lead board", ("G, L",), G,
         "Every analyst's open items by priority, SLA at risk and breached, shift and load",
         "View"),
    _cmd("go-incidents", "Incidents", ("G, I",), G,
         "Major incidents: status, severity, priority, markets, linked escalations",
         "View"),
    _cmd("go-sql", "SQL console", ("G, Q",), G,
         "Read-only SQL on the cache, with views v_escalations, v_incidents, v_sla, "
         "v_timeline", "View"),
    _cmd("export-table", "Export table\u2026", ("Ctrl+Shift+E",), G,
         "Save the table shown (triage list, search results, lead board, Outbox & sync, "
         "a query's result) as XLSX or CSV, its rows and columns as shown", "File"),
    _cmd("go-trends", "Trends", ("G, R",), G,
         "Volumes, clocks, SLA breach rates and surges over a period, with the change from "
         "the one before; findings become recommendations in an exportable report", "View"),
    *(_cmd(f"view-{n}", f"Saved view {n}", (f"Ctrl+{n}",), G, f"Show saved view {n}",
           "View") for n in range(1, 10)),
    _cmd("toggle-split", "Toggle split pane", ("Ctrl+\\",), G,
         "Show or hide the detail pane", "View"),
    _cmd("sync-now", "Sync now", ("F5", "Ctrl+R"), G,
         "Sync every channel now (resets backoff)", "Sync"),
    _cmd("sync-details", "Sync details\u2026", (), G,
         "Show each channel's sync state and last error", "Sync"),
    _cmd("shortcuts", "Keyboard shortcuts", ("?", "Shift+?"), G,
         "The keys that work where the focus is", "Help"),
    _cmd("about", "About RR Desktop", (), G, "Version, runtime and data location", "Help"),
    _cmd("choose-identity", "Who am I\u2026", (), G,
         "Choose who you are from the roster (the assignee of 'assign to me', the author of "
         "your notes and replies)", "File"),
    _cmd("add-channel", "Add channel\u2026", (), G,
         "Set up a channel (Zendesk, Jira, mailbox, feed, REST, ...) and test it", "File"),
    _cmd("import-spreadsheet", "Import spreadsheet\u2026", (), G,
         "Import a partner's or regulator's CSV/XLSX list as a channel", "File"),
    _cmd("quit", "Quit", ("Ctrl+Q",), G, "Quit RR Desktop", "File"),
)



def action_commands(actions: Sequence[type[TriageAction]] = ACTION_TYPES,
                    ) -> tuple[Command, ...]:
    """The commands of the triage actions (store/actions/), in their order: each action
    class names its own keys, so adding an action adds its commands here, and so to the
    menus, the palette, the `?` overlay and the README table."""
    return tuple(
        Command(c.name, c.title, c.keys, tuple(Mode(m) for m in c.modes), c.help, "Triage",
                True)
        for action in actions for c in action.commands)


def all_commands(actions: Sequence[type[TriageAction]] = ACTION_TYPES) -> tuple[Command, ...]:
    """Every command of the app, in menu and README order."""
    return (*_MOVING, *action_commands(actions), *_OTHERS)


COMMANDS: tuple[Command, ...] = all_commands()

MENU_ORDER = ("File", "Edit", "View", "Go", "Triage", "Sync", "Lead", "Incident", "Help")


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two commands bound to the same key where both can be live at once."""

    key: str
    first: str
    second: str

    def sentence(self) -> str:
        return f"{self.key} is bound to both {self.first} and {self.second}"


def normalize_key(key: str) -> str:
    """A comparable form of a key text: modifiers sorted, case folded, chord parts kept."""
    parts = []
    for chord in key.split(","):
        chord = chord.strip()
        if not chord:
            continue
        bits = chord.split("+") if chord != "+" else ["+"]
        if len(bits) > 1 and bits[-1] == "":  # "Ctrl++"
            bits = [*bits[:-2], "+"]
        mods, base = sorted(b.strip().lower() for b in bits[:-1]), bits[-1].strip().lower()
        parts.append("+".join([*mods, base]))
    return ", ".join(parts)


def _overlap(a: Sequence[Mode], b: Sequence[Mode]) -> bool:
    return Mode.GLOBAL in a or Mode.GLOBAL in b or bool(set(a) & set(b))


def find_conflicts(commands: Iterable[Command]) -> list[Conflict]:
    """Keys bound twice in overlapping modes, and keys that are the first stroke of a
    chord in the same mode (the chord could never be typed)."""
    seen: list[tuple[str, str, Command]] = []
    found: list[Conflict] = []
    for cmd in commands:
        for key in cmd.keys:
            norm = normalize_key(key)
            for other_norm, other_key, other in seen:
                if not _overlap(cmd.modes, other.modes) or other.name == cmd.name:
                    continue
                if other_norm == norm:
                    found.append(Conflict(key, other.name, cmd.name))
                elif (norm.startswith(other_norm + ", ")
                      or other_norm.startswith(norm + ", ")):
                    found.append(Conflict(key if len(norm) < len(other_norm) else other_key,
                                          other.name, cmd.name))
            seen.append((norm, key, cmd))
    return found


class KeymapError(ValueError):
    """User overrides that cannot be applied; `str()` lists every problem."""


def with_overrides(overrides: Mapping[str, Sequence[str]],
                   commands: Sequence[Command] = COMMANDS) -> tuple[Command, ...]:
    """The commands with user key overrides ({command name: [keys]}; [] unbinds).

    Raises KeymapError naming unknown commands and every conflict the overrides create;
    the defaults stay in force in that case (the caller shows the message)."""
    by_name = {c.name: c for c in commands}
    if not isinstance(overrides, Mapping):
        raise KeymapError("the keymap settings should map command names to lists of keys")
    unknown = sorted(str(n) for n in overrides if n not in by_name)
    if unknown:
        raise KeymapError("unknown command(s) in the keymap settings: " + ", ".join(unknown))
    not_lists = sorted(f"{n}: {keys!r}" for n, keys in overrides.items()
                       if not isinstance(keys, list | tuple))
    if not_lists:
        raise KeymapError("keys should be a list, e.g. [\"Shift+E\"] ([] unbinds): "
                          + "; ".join(not_lists))
    bad_keys = [f"{n}: {k!r}" for n, keys in overrides.items() for k in keys
                if not isinstance(k, str) or not normalize_key(k)]
    if bad_keys:
        raise KeymapError("not a key: " + "; ".join(bad_keys))
    result = tuple(replace(c, keys=tuple(overrides[c.name])) if c.name in overrides else c
                   for c in commands)
    conflicts = find_conflicts(result)
    if conflicts:
        raise KeymapError("; ".join(c.sentence() for c in conflicts))
    return result


def display_key(key: str) -> str:
    """Key text as the README and overlays show it: "g t", "Shift+J", "Ctrl+K"."""
    if "," in key.strip(",") and key.strip() != ",":
        return " ".join(display_key(p.strip()) for p in key.split(",") if p.strip())
    if len(key) == 1 and key.isalpha():
        return key.lower()
    return key


def keymap_markdown(commands: Sequence[Command] = COMMANDS) -> str:
    """The README's keymap table, generated from the registry."""
    lines = ["| Keys | Command | Where |", "|---|---|---|"]
    for c in commands:
        keys = " / ".join(f"`{display_key(k)}`" for k in c.keys) or "(palette)"
        keys = keys.replace("|", "\\|")
        lines.append(f"| {keys} | {c.title.rstrip(chr(0x2026))} | "
                     f"{', '.join(m.value for m in c.modes)} |")
    return "\n".join(lines) + "\n"


README_START = "<!-- keymap:start (generated by python -m rr_desktop.keymap --readme) -->"
README_END = "<!-- keymap:end -->"


def with_readme_section(readme: str, commands: Sequence[Command] = COMMANDS) -> str:
    """README text with the generated keymap between its markers."""
    start, end = readme.index(README_START), readme.index(README_END)
    return (readme[:start + len(README_START)] + "\n\n" + keymap_markdown(commands) + "\n"
            + readme[end:])


def main(argv: Sequence[str]) -> int:
    if argv[1:2] == ["--readme"]:
        path = argv[2] if len(argv) > 2 else "README.md"
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(with_readme_section(text))
        return 0
    sys.stdout.write(keymap_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
