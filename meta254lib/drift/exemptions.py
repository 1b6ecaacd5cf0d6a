"""Exemptions (rules.yaml ``drift.exemptions``): which issues they cover, and the status of each exemption."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.ids import drift_family
from ..core.schema import UTC_TS
from .frames import text_col

__all__ = ["apply_exemptions", "exemption_table"]


def apply_exemptions(issues: pd.DataFrame, exemptions: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """A copy of ``issues`` with ``exempt``, ``exemption_reason``, ``exemption_expires``, ``exemption_expired``.

    An exemption matches an issue of its service when its subject (if any) and drift family (if any)
    match; of several, an active one wins, then one that never expires, then the latest expiry.
    """
    out = issues.copy()
    out["exempt"] = False
    out["exemption_reason"] = ""
    out["exemption_expires"] = pd.Series(pd.NaT, index=out.index, dtype=UTC_TS)
    out["exemption_expired"] = False
    if exemptions is None or exemptions.empty or out.empty:
        return out
    ex = exemptions.reindex(columns=["service", "subject", "type", "reason", "expires"]).reset_index(drop=True)
    ex = ex.assign(_ex=np.arange(len(ex)), _subj=text_col(ex["subject"]), _type=text_col(ex["type"]))
    ex["_fam"] = ex["_type"].map(lambda t: drift_family(t) if t else "")
    families = {t: drift_family(t) for t in out["type"].unique().tolist()}
    left = out[["id", "service", "subject", "type"]].assign(_fam=out["type"].map(families))
    m = left.merge(ex, on="service", suffixes=("", "_ex"))
    m = m[((m["_subj"] == "") | (m["_subj"] == m["subject"])) & ((m["_fam_ex"] == "") | (m["_fam_ex"] == m["_fam"]))]
    if m.empty:
        return out
    expires = pd.to_datetime(m["expires"], utc=True)
    m = m.assign(_active=expires.isna() | (as_of <= expires), _exp=expires)
    m["_never"] = m["_exp"].isna()
    m = m.sort_values(["id", "_active", "_never", "_exp", "_ex"], ascending=[True, False, False, False, True])
    best = m.drop_duplicates("id").set_index("id")
    idx = out["id"]
    out["exempt"] = idx.map(best["_active"]).fillna(False).astype(bool)
    out["exemption_reason"] = text_col(idx.map(best["reason"]))
    out["exemption_expires"] = idx.map(best["_exp"]).astype(UTC_TS)
    out["exemption_expired"] = idx.map(~best["_active"]).fillna(False).astype(bool)
    return out


def exemption_table(exemptions: pd.DataFrame | None, issues: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every configured exemption with its ``status`` (active / expired, ``, unused`` when it matched

    nothing) and the ids of the issues it matched, sorted by service, subject, type, expiry.

    """
    cols = ["service", "subject", "type", "reason", "expires", "status", "issues", "issue_ids"]
    if exemptions is None or exemptions.empty:
        return pd.DataFrame({c: pd.Series([], dtype=UTC_TS if c == "expires" else "str") for c in cols}).astype(
            {"issues": "int64"}
        )
    ex = exemptions.reindex(columns=["service", "subject", "type", "reason", "expires"]).reset_index(drop=True)
    expires = pd.to_datetime(ex["expires"], utc=True)
    status = np.where(expires.notna() & (expires < as_of), "expired", "active")
    subj, typ = text_col(ex["subject"]), text_col(ex["type"])
    matched = []
    for svc, s, t in zip(ex["service"], subj, typ, strict=True):
        sel = issues[issues["service"] == svc]
        if s:
            sel = sel[sel["subject"] == s]
        if t:
            sel = sel[sel["type"].map(drift_family) == drift_family(t)]
        matched.append(sorted(sel["id"]))
    out = pd.DataFrame(
        {
            "service": ex["service"].astype("str"),
            "subject": subj,
            "type": typ,
            "reason": text_col(ex["reason"]),
            "expires": expires.astype(UTC_TS),
            "status": np.where([len(x) == 0 for x in matched], np.char.add(status.astype(str), ", unused"), status),
            "issues": [len(x) for x in matched],
            "issue_ids": [",".join(x) for x in matched],
        }
    )
    return out.sort_values(["service", "subject", "type", "expires"], kind="mergesort").reset_index(drop=True)
