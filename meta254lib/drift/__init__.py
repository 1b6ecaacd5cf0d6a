"""Drift: detection following the drift remediation runbook, and drift history, flow and KPIs."""

from .engine import DriftResult, detect_drift
from .flow import backlog, backlog_age, drift_flow
from .history import filter_history, history_with_current, issue_spells
from .inputs import DriftInputs
from .kpis import kaplan_meier, kpis, remediation_survival, slo_status, time_to_remediation
from .lags import lag_matrix
from .policy import CATEGORIES, DRIFT_TYPES, LAG_PRIORITY, DriftPolicy, policy_from_config
from .reportfile import drift_report_filename, drift_report_json, write_drift_report
from .select import filter_issues, severity_type_matrix, top_issues

__all__ = [
    "CATEGORIES",
    "DRIFT_TYPES",
    "LAG_PRIORITY",
    "DriftInputs",
    "DriftPolicy",
    "DriftResult",
    "backlog",
    "backlog_age",
    "detect_drift",
    "drift_flow",
    "drift_report_filename",
    "drift_report_json",
    "filter_history",
    "filter_issues",
    "history_with_current",
    "issue_spells",
    "kaplan_meier",
    "kpis",
    "lag_matrix",
    "policy_from_config",
    "remediation_survival",
    "severity_type_matrix",
    "slo_status",
    "time_to_remediation",
    "top_issues",
    "write_drift_report",
]
