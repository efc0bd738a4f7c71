"""The top of the incident screen: title, status with the time each stage was reached,
severity and priority with their history, markets, who holds each role (and who held
it, from when to when), the metrics read from the timeline, and any field in conflict,
prominently, with the key that resolves it. Everything is plain text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..domain.incident import IncidentState, metrics
from ..domain.incident_events import ROLES, STATUSES
from .incident_clocks import span
from .incident_section import when
from .text import one_line

ARROW = " \u2192 "


def _show(value: object) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def history(state: IncidentState, name: str) -> str:
    """"S2 (declared) → S1 (time, who)" from the timeline's field changes."""
    changes = [e for e in state.timeline
               if e.kind == "field" and e.text.startswith(f"{name}: ")]
    if not changes:
        return f"{_show(getattr(state, name))} (since declared)"
    first_old = changes[0].text.split(": ", 1)[1].split(ARROW)[0]
    return ARROW.join([f"{first_old} (declared)",
                       *(f"{e.text.split(ARROW, 1)[-1]} ({when(e.at)}, {e.actor})"
                         for e in changes)])


def stages_text(state: IncidentState) -> str:
    return " \u00b7 ".join(f"{s} {when(state.stage_times[s])}" for s in STATUSES
                           if s in state.stage_times)


def roles_text(state: IncidentState) -> str:
    now_parts, past = [], []
    for role in ROLES:
        held = [s for s in state.roles if s.role == role and s.renounced_at is None]
        now_parts.append(f"{role.capitalize()}: " + (", ".join(
            f"{s.analyst} (since {when(s.assumed_at)})" for s in held) or "\u2014"))
        past += [f"{s.analyst} {role} {when(s.assumed_at)} to {when(s.renounced_at)}"
                 for s in state.roles if s.role == role and s.renounced_at is not None]
    return " \u00b7 ".join(now_parts) + (("\nEarlier: " + "; ".join(past)) if past else "")


def metrics_text(state: IncidentState) -> str:
    m = metrics(state)
    return (f"Time to detect {span(m.detect)} \u00b7 acknowledge {span(m.acknowledge)} "
            f"\u00b7 contain {span(m.contain)} \u00b7 resolve {span(m.resolve)}")


def conflicts_text(state: IncidentState) -> str:
    lines = []
    for c in state.conflicts:
        values = " vs ".join(f"{_show(v)} ({who}, {when(at)})" for _uid, v, who, at
                             in c.values)
        lines.append(f"\u26a0 CONFLICT on {c.field}: {values} \u2014 r keeps yours or "
                     "takes theirs")
    return "\n".join(lines)


def _label(name: str, wrap: bool = True) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


class IncidentHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = _label("incidentTitle")
        self.fields = _label("incidentFields")
        self.stages = _label("incidentStages")
        self.history = _label("incidentHistory")
        self.roles = _label("incidentRoles")
        self.metrics = _label("incidentMetrics")
        self.conflicts = _label("incidentConflicts")
        self.conflicts.setStyleSheet("color: #b42318; font-weight: bold;")
        self.problems = _label("incidentProblems")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for label in (self.title, self.fields, self.stages, self.history, self.roles,
                      self.metrics, self.conflicts, self.problems):
            layout.addWidget(label)

    def show_state(self, state: IncidentState) -> None:
        self.title.setText(one_line(state.title))
        self.fields.setText(
            f"Status: {state.status} \u00b7 Severity {state.severity} \u00b7 Priority "
            f"{state.priority} \u00b7 Markets: {one_line(', '.join(state.markets)) or 'none'}"
            + (f" \u00b7 Type: {one_line(state.type)}" if state.type else ""))
        self.stages.setText(f"Stages: {stages_text(state)}")
        self.history.setText(f"Severity: {one_line(history(state, 'severity'))}\n"
                             f"Priority: {one_line(history(state, 'priority'))}")
        self.roles.setText(roles_text(state))
        self.metrics.setText(metrics_text(state))
        self.conflicts.setText(conflicts_text(state))
        self.conflicts.setVisible(bool(state.conflicts))
        self.problems.setText("Skipped events: " + "; ".join(state.problems[:3])
                              if state.problems else "")
        self.problems.setVisible(bool(state.problems))
