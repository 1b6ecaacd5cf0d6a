"""Remediation plans: the drift remediation runbook, instantiated per service, ordered, scheduled and tracked.

Layers inside the subpackage: ``fmt``, ``windows`` < ``policy`` < ``targets``, ``edits``, ``inputs``,
``classify`` < ``lookups``, ``items``, ``schedule``, ``timeline``, ``runbook``, ``comms``, ``burndown``
< ``result`` < ``plan`` < ``progress``; release trains: ``trains_file`` < ``trains_checks``, ``trains_gates``
< ``trains`` (which reads the plan for the items a train carries).
"""

from .classify import AUTOMATION_CLASSES, RISK_RULE, automation_class
from .edits import manifest_diff, propose_lock, runtime_commands
from .inputs import PlanInputs
from .plan import build_plan, plan_workspace
from .policy import PlanPolicy, plan_policy_from_config
from .progress import ProgressResult, plan_items_from_payload, track_progress
from .result import RemediationPlan
from .targets import lowest_fixed_version, policy_target
from .trains import TrainsResult, release_trains
from .windows import MaintenanceWindow

__all__ = [
    "AUTOMATION_CLASSES",
    "RISK_RULE",
    "MaintenanceWindow",
    "PlanInputs",
    "PlanPolicy",
    "ProgressResult",
    "RemediationPlan",
    "TrainsResult",
    "automation_class",
    "build_plan",
    "lowest_fixed_version",
    "manifest_diff",
    "plan_items_from_payload",
    "plan_policy_from_config",
    "plan_workspace",
    "policy_target",
    "propose_lock",
    "release_trains",
    "runtime_commands",
    "track_progress",
]
