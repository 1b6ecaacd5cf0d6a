"""The plan's communications: who to notify for each wave, and when.

Per wave (and for the security fixes, wave 0), ``notice_days`` allowed days before it starts: the
owning teams, the teams owning the direct dependents of what changes, the escalation levels of its
items and the notification channels of upgrade-policies.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core.columns import SERVICE, SEVERITY, TEAM
from ..core.schema import PLAN_COMMUNICATIONS, frame_from_records
from .fmt import iso_day, listing
from .fmt import text as _text
from .policy import PlanPolicy
from .schedule import by_wave, next_allowed

__all__ = ["communications"]

_Item = Mapping[str, Any]
#: A notification round: (wave, notify on, its items, when it happens).
_Round = tuple[int, pd.Timestamp, list[_Item], str]


def communications(
    scoped: Sequence[_Item],
    waves: pd.DataFrame,
    start: pd.Timestamp,
    policy: PlanPolicy,
    teams: pd.DataFrame | None,
    escalation: Mapping[str, Mapping[str, str]],
    direct_of: Mapping[str, tuple[str, ...]],
    team_of: Mapping[str, str],
) -> pd.DataFrame:
    """:data:`~meta254lib.core.schema.PLAN_COMMUNICATIONS` of the shown items.

    Parameters
    ----------
    scoped : sequence of mapping
        The shown plan items.
    waves : DataFrame
        ``PLAN_WAVES`` of those items.
    start : Timestamp
        The plan's first day: nobody is notified before it.
    policy : PlanPolicy
    teams : DataFrame or None
        ``TEAMS`` (contact and slack per team).
    escalation : mapping
        ``L1``/``L2``/``L3`` -> ``{name, contact, slack}``.
    direct_of : mapping
        service -> its direct dependents.
    team_of : mapping
        service -> owning team.

    Returns
    -------
    DataFrame
        Rows per round: owners, dependents, escalation levels, channels.
    """
    contact = _team_contacts(teams)
    rows: list[dict[str, Any]] = []
    for rnd in _rounds(scoped, waves, start, policy):
        owners = _owners(rnd[2], team_of)
        rows.extend(_owner_rows(rnd, owners, contact))
        rows.extend(_dependent_rows(rnd, owners, contact, direct_of, team_of, policy))
        rows.extend(_escalation_rows(rnd, escalation))
        rows.extend(_channel_rows(rnd, policy))
    return frame_from_records(PLAN_COMMUNICATIONS, rows)


def _team_contacts(teams: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """team -> (contact, slack), the first row of each team."""
    contact: dict[str, tuple[str, str]] = {}
    if teams is not None and len(teams):
        for r in teams.reindex(columns=["team", "contact", "slack"]).to_dict("records"):
            t = _text(r[TEAM])
            if t and t not in contact:
                contact[t] = (_text(r["contact"]), _text(r["slack"]))
    return contact


def _rounds(scoped: Sequence[_Item], waves: pd.DataFrame, start: pd.Timestamp, policy: PlanPolicy) -> list[_Round]:
    """The security fixes now, then each wave ``notice_days`` allowed days before it starts."""
    rounds: list[_Round] = []
    sec = [it for it in scoped if it["security"]]
    if sec:
        rounds.append((0, start, sec, "security fixes start now"))
    in_wave = by_wave(scoped)
    for w in waves.itertuples(index=False):
        mine = [it for it in in_wave.get(w.wave, ()) if not it["security"]]
        if not mine or pd.isna(w.start):
            continue
        notify = w.start
        for _ in range(policy.notice_days):
            prev = next_allowed(notify, policy, step=-1)
            if prev < start:
                break
            notify = prev
        notify = max(notify, start)
        rounds.append((w.wave, notify, mine, f"wave {w.wave} runs {iso_day(w.start)} to {iso_day(w.end)}"))
    return rounds


def _owners(mine: Sequence[_Item], team_of: Mapping[str, str]) -> dict[str, list[str]]:
    """team -> the services of the round it owns (``(no team)`` for unowned ones); a root-cause item
    concerns the owners of every service it lists."""
    owners: dict[str, list[str]] = {}
    for it in mine:
        for s in it.get("services") or (it[SERVICE],):
            team = it[TEAM] if s == it[SERVICE] else team_of.get(s, "")
            if s not in owners.get(team or "(no team)", []):
                owners.setdefault(team or "(no team)", []).append(s)
    return owners


def _row(
    rnd: _Round, audience: str, role: str, contact: str, channel: str, services: tuple[str, ...], message: str
) -> dict[str, Any]:
    wave, day, _mine, _when = rnd
    return {
        "wave": wave,
        "notify_on": day,
        "audience": audience,
        "role": role,
        "contact": contact,
        "channel": channel,
        "services": services,
        "message": message,
    }


def _owner_rows(
    rnd: _Round, owners: Mapping[str, list[str]], contact: Mapping[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    _wave, _day, mine, when = rnd
    rows = []
    for t in sorted(owners):
        svcs = tuple(sorted(set(owners[t])))
        n = sum(1 for it in mine if set(it.get("services") or (it[SERVICE],)) & set(svcs))
        c, sl = contact.get(t, ("", ""))
        rows.append(_row(rnd, t, "owner", c, sl, svcs, f"{when}: {n} item(s) to land for {', '.join(svcs)}"))
    return rows


def _dependent_rows(
    rnd: _Round,
    owners: Mapping[str, list[str]],
    contact: Mapping[str, tuple[str, str]],
    direct_of: Mapping[str, tuple[str, ...]],
    team_of: Mapping[str, str],
    policy: PlanPolicy,
) -> list[dict[str, Any]]:
    """The teams owning services that call or consume a changed service directly.

    They run the integration and contract tests (services further away hear of it when their
    provider moves).
    """
    _wave, _day, mine, when = rnd
    changed = {it[SERVICE] for it in mine}
    direct: dict[str, set[str]] = {}
    for x in changed:
        for d in direct_of.get(x, ()):
            t = team_of.get(d, "")
            if t and t not in owners and d not in changed:
                direct.setdefault(t, set()).add(d)
    rows = []
    for t in sorted(direct):
        svcs = tuple(sorted(direct[t]))
        c, sl = contact.get(t, ("", ""))
        message = (
            f"{when}: services you own depend directly on what changes "
            f"({listing(svcs, len(svcs), policy.dependents_listed)}); "
            "run your integration and contract tests"
        )
        rows.append(_row(rnd, t, "dependent", c, sl, svcs, message))
    return rows


def _escalation_rows(rnd: _Round, escalation: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    _wave, _day, mine, when = rnd
    rows = []
    for lvl, sev in (("L3", "high"), ("L2", "medium"), ("L1", "low")):
        sel = [it for it in mine if it[SEVERITY] == sev]
        if not sel:
            continue
        info = escalation.get(lvl, {})
        rows.append(
            _row(
                rnd,
                f"{lvl} {_text(info.get('name'))}".strip(),
                "escalation",
                _text(info.get("contact")),
                _text(info.get("slack")),
                tuple(sorted({it[SERVICE] for it in sel})),
                f"{when}: {len(sel)} {sev}-severity item(s) escalate to {lvl}",
            )
        )
    return rows


def _channel_rows(rnd: _Round, policy: PlanPolicy) -> list[dict[str, Any]]:
    _wave, _day, mine, when = rnd
    rows = []
    for key, label in (("auto_upgrades", "automated"), ("manual_reviews", "approval or manual")):
        sel = [it for it in mine if (it["automation"] == "automated") == (key == "auto_upgrades")]
        ch = policy.channels.get(key, "")
        if sel and ch:
            services = tuple(sorted({it[SERVICE] for it in sel}))
            message = f"{when}: {len(sel)} {label} item(s) (notifications.channels.{key})"
            rows.append(_row(rnd, ch, "channel", "", ch, services, message))
    return rows
