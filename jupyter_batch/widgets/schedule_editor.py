"""The schedule editor: manual only, a cron expression in a time zone, or once at a time;
with the next five fire times as the scheduler will compute them, in the chosen zone."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import ipywidgets

from ..model.schedule import fires_after
from ..model.workflow import CATCHUP_POLICIES, Schedule
from ..validation import cron_problem
from .problems import ErrorLabels

#: the fields this editor shows; others a loaded schedule has (start, end, ...) are kept
SHOWN = ("cron", "once", "timezone", "catchup")


def next_fires(schedule: dict[str, Any], after: datetime,
               count: int = 5) -> tuple[list[datetime], str | None]:
    """The next ``count`` fires after ``after`` in the schedule's zone, by the scheduler's
    own arithmetic (``model.schedule``: DST gaps and repeats included); or why there are
    none to show (a bad cron, zone or time)."""
    zone_name = schedule.get("timezone") or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return [], f"unknown time zone {zone_name!r}"
    cron = schedule.get("cron")
    if cron is not None and (why := cron_problem(cron)):
        return [], why
    try:
        fires = list(islice(fires_after(Schedule(cron=cron, once=schedule.get("once"),
                                                 timezone=zone_name), after), count))
    except ValueError:
        return [], f"{schedule.get('once')!r} is not an ISO-8601 time"
    return [fire.astimezone(zone) for fire in fires], None


def fires_html(fires: list[datetime], problem: str | None, zone: str) -> str:
    if problem:
        return f'<span style="color:#b91c1c">{html.escape(problem)}</span>'
    if not fires:
        return "<i>no fire time ahead</i>"
    items = "".join(f"<li>{f:%a %Y-%m-%d %H:%M} {html.escape(f.tzname() or '')} "
                    f"(UTC{f:%z})</li>" for f in fires)
    return f"next fire times in {html.escape(zone)}:<ul style='margin:0'>{items}</ul>"


class ScheduleEditor(ipywidgets.VBox):
    """Edits a workflow's ``schedule``; ``on_change`` gets the new one (None: manual only).

    ``clock`` says what "now" is for the next fire times (the tests fix it).
    """

    def __init__(self, on_change: Callable[[dict[str, Any] | None], None],
                 clock: Callable[[], datetime]) -> None:
        self._on_change = on_change
        self._clock = clock
        self._kept: dict[str, Any] = {}
        self._loading = False
        self.fire_times: list[datetime] = []
        self.problem: str | None = None
        self.kind = ipywidgets.ToggleButtons(options=[("manual only", "manual"),
                                                      ("cron", "cron"), ("once", "once")])
        self.cron = ipywidgets.Text(description="cron", placeholder="0 2 * * *",
                                    continuous_update=False)
        self.timezone = ipywidgets.Combobox(description="time zone", placeholder="UTC",
                                            options=sorted(available_timezones()),
                                            ensure_option=False, continuous_update=False)
        self.once = ipywidgets.Text(description="once at", continuous_update=False,
                                    placeholder="2026-12-01T02:00:00+01:00")
        self.catchup = ipywidgets.Dropdown(description="catch-up",
                                           options=[("(default: none)", "")]
                                           + [(p, p) for p in CATCHUP_POLICIES])
        self.preview = ipywidgets.HTML()
        self.errors = ErrorLabels(SHOWN, on_change=self._show_preview)
        for name, field in (("kind", self.kind), *((f, getattr(self, f)) for f in SHOWN)):
            field.observe(lambda _c, name=name: self._edited(name), "value")
        super().__init__()
        self._draw()

    @property
    def value(self) -> dict[str, Any] | None:
        kind = self.kind.value
        if kind == "manual":
            return None
        value = {**self._kept, kind: getattr(self, kind).value.strip()}
        if self.timezone.value.strip():
            value["timezone"] = self.timezone.value.strip()
        if kind == "cron" and self.catchup.value:
            value["catchup"] = self.catchup.value
        return value

    def load(self, schedule: dict[str, Any] | None) -> None:
        """Show ``schedule`` without reporting a change."""
        schedule = schedule or {}
        self._loading = True
        try:
            self._kept = {k: v for k, v in schedule.items() if k not in SHOWN}
            self.kind.value = ("cron" if "cron" in schedule else
                               "once" if "once" in schedule else "manual")
            for name in SHOWN:
                text = schedule.get(name)
                field = getattr(self, name)
                if isinstance(text, str) and (name != "catchup" or text in CATCHUP_POLICIES):
                    field.value = text
                else:
                    field.value = ""
                    if name in schedule:  # kept as it is, for validation to point at
                        self._kept[name] = text
        finally:
            self._loading = False
        self._draw()

    def _edited(self, name: str) -> None:
        if self._loading:
            return
        self.errors.clear("" if name == "kind" else name)
        self._draw()
        self._on_change(self.value)

    def _draw(self) -> None:
        kind = self.kind.value
        fields = {"manual": (), "cron": ("cron", "timezone", "catchup"),
                  "once": ("once", "timezone")}[kind]
        rows: list[ipywidgets.Widget] = [self.kind]
        for name in fields:
            rows += [getattr(self, name), self.errors[name]]
        value = self.value
        if value is None:
            self.fire_times, self.problem = [], None
        else:
            self.fire_times, self.problem = next_fires(value, self._clock())
            rows.append(self.preview)
        self._show_preview()
        self.children = [*rows, self.errors[""]]

    def _show_preview(self) -> None:
        """The next fire times, or why there are none — unless a field's red label
        (validation's) says that already: a problem is said once."""
        value = self.value
        said = self.problem and any(self.problem in text
                                    for text in self.errors.texts.values())
        self.preview.value = "" if value is None or said else fires_html(
            self.fire_times, self.problem, value.get("timezone") or "UTC")
