"""A deterministic sample platform: a workspace in the real upstream formats, with history.

:func:`generate_sample` writes a folder laid out like a checkout of the 254Carbon meta repository
(see ``WORKSPACE.md``). The platform is *simulated*, week by week, and every artifact is derived from
that one simulation, so the files agree with each other the way real ones do:

- spec releases (``config/specs-index.json``) make pinned services lag; services upgrade after a
  delay that depends on the kind of release and on how responsive the service is (some within days,
  some after months, some never);
- each weekly drift report is what the platform's ``detect_drift.py`` finds in that week's catalog
  (spec lag, missing locks, staleness, shared externals, unregistered events), written the way the
  tool writes it: the older half with ``DriftIssue(...)`` repr strings, the newer half with dicts;
- each weekly quality snapshot records metrics (coverage random walks, advisories hitting pins and
  versioned externals, policy and test failures, deployment freshness, drift counts) and the score
  the platform's implemented formula gives them (:func:`meta254lib.quality.scores.implemented_score`, applied
  to a whole snapshot at once through :func:`meta254lib.quality.scores.score_history`), so recorded scores
  match their own metrics.

The default size (60 services, 26 weeks) is the bundled ``data/sample``. Planted on purpose: a
dependency cycle (``portfolio-service → exposure-calculator → position-tracker → portfolio-service``),
layering violations (``api-gateway → curve-aggregator`` matches a forbidden pattern,
``weather-ingest → load-forecaster`` points up the layers), a dangling dependency (``market-data-api``
still depends on the retired ``legacy-quotes``), ``postgres``/``postgresql`` spellings, an internal
service misfiled as external, a catalog service without a manifest (``status-page``), missing locks
and exactly one lock that disagrees with its manifest, unregistered events, one active, one expired
and one open-ended drift exemption, a service added mid-way (``spp-connector``), a service retired
mid-way, a maturity promotion, and a ``dependency-graph.yaml`` one week behind the catalog.

Larger sizes add generated "fleet" services ordered by domain layer, each depending on services a
few positions before it (``u → u - randint(1, 30)``), which gives deep dependency chains; a few back
edges close cycles. ``internal_edges`` sets the total number of internal dependency entries. Above
2,000 services the history files are written without indentation (the pure-Python JSON encoder that
indentation needs would dominate the run), and from 20,000 service-weeks the weeks are written by two
forked worker processes; neither changes the content.

Same arguments give byte-identical files: all randomness comes from ``random.Random`` seeded with
the seed, all times derive from ``end``, and nothing iterates over an unordered set.

Examples
--------
>>> import tempfile, json
>>> with tempfile.TemporaryDirectory() as tmp:
...     summary = generate_sample(Path(tmp) / "ws", services=20, weeks=3)
...     catalog = json.loads((Path(tmp) / "ws" / "catalog" / "service-index.json").read_text())
>>> summary["services"], catalog["metadata"]["total_services"], summary["drift_reports"]
(20, 20, 3)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ..core.errors import ParameterError
from ..quality.params import ScoringParams
from .sample_files import (
    advisory_record,
    choose_exemptions,
    load_thresholds,
    readme_text,
    write_catalog,
    write_config,
    write_manifests,
)
from .sample_model import Platform, file_stamp
from .sample_platform import build_platform
from .sample_weeks import WeekJob, fork_pool, snapshot_time, write_week, write_week_in_worker
from .sample_writer import Writer, prepare_out

__all__ = ["DEFAULTS", "MIN_SERVICES", "generate_sample"]

#: Default arguments of :func:`generate_sample` (the bundled ``data/sample``).
DEFAULTS: dict[str, Any] = {"services": 60, "weeks": 26, "seed": 254, "end": "2025-10-06"}
#: Smallest catalog the generator builds (the planted graph cases need the first 16 curated services;
#: below 20 the two stale services are left out).
MIN_SERVICES = 16

#: Largest catalog whose history files are indented like the platform's (larger ones are compact).
_INDENT_UP_TO = 2000
#: Service-weeks from which the weekly files are written by two forked workers.
_PARALLEL_FROM = 20_000


def generate_sample(
    out: Path,
    *,
    services: int = 60,
    weeks: int = 26,
    seed: int = 254,
    end: str = "2025-10-06",
    internal_edges: int | None = None,
) -> dict[str, Any]:
    """Write a deterministic sample platform workspace into ``out``.

    Parameters
    ----------
    out : Path
        Target folder. It must be empty, absent, or a previously generated sample (whose contents
        are replaced).
    services : int
        Services in the final catalog (at least :data:`MIN_SERVICES`). Up to 60 they come from the
        curated platform; beyond, generated fleet services are added.
    weeks : int
        Weekly drift reports and quality snapshots (1..520); the newest is on ``end``.
    seed : int
        Seed of every random choice.
    end : str
        The newest week, ``YYYY-MM-DD``; the catalog's ``generated_at`` is 06:00 UTC that day.
    internal_edges : int, optional
        Total internal dependency entries in the final catalog (fleet sizes only); default: the
        curated platform's plus three per fleet service.

    Returns
    -------
    dict
        ``out, files, bytes, services, edges, weeks, drift_reports, quality_snapshots, specs,
        advisories, seed``.

    Raises
    ------
    ParameterError
        Bad sizes, a bad date, or an ``out`` folder that holds something else.
    """
    end_date = _check_args(services, weeks, seed, end, internal_edges)
    out = Path(out)
    plat = build_platform(services, weeks, seed, end_date, internal_edges)
    prepare_out(out)
    w = Writer(out)
    thresholds = load_thresholds()
    # json.dump with indent runs the pure-Python encoder: fleets get compact history files
    indent = 2 if services <= _INDENT_UP_TO else None
    job = WeekJob(plat, out, ScoringParams.from_config(thresholds), indent)
    counts = _write_weeks_and_state(job, w, thresholds, parallel=services * weeks >= _PARALLEL_FROM)
    _copy_latest(plat, w)
    counts.update(weeks=weeks, specs=len(plat.specs), advisories=len(plat.advisories))
    args = {"services": services, "weeks": weeks, "seed": seed, "end": end, "internal_edges": internal_edges}
    w.write("README.md", readme_text(plat, args, counts))
    return {
        "out": str(out),
        "files": w.files,
        "bytes": w.bytes,
        "services": counts["services"],
        "edges": counts["edges"],
        "weeks": weeks,
        "drift_reports": weeks,
        "quality_snapshots": weeks,
        "specs": len(plat.specs),
        "advisories": len(plat.advisories),
        "seed": seed,
    }


def _check_args(services: int, weeks: int, seed: int, end: str, internal_edges: int | None) -> date:
    """Validate the arguments of :func:`generate_sample`; return the end date."""
    if isinstance(services, bool) or not isinstance(services, int) or services < MIN_SERVICES:
        raise ParameterError(f"services must be an integer >= {MIN_SERVICES}, not {services!r}")
    if services > 200_000:
        raise ParameterError(f"services must be <= 200000, not {services}")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 520:
        raise ParameterError(f"weeks must be an integer in 1..520, not {weeks!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"seed must be an integer, not {seed!r}")
    if internal_edges is not None and (
        isinstance(internal_edges, bool) or not isinstance(internal_edges, int) or internal_edges < 0
    ):
        raise ParameterError(f"internal_edges must be a non-negative integer, not {internal_edges!r}")
    try:
        return date.fromisoformat(end)
    except (TypeError, ValueError) as err:
        raise ParameterError(f"end must be a date YYYY-MM-DD, not {end!r}") from err


def _write_weeks_and_state(job: WeekJob, w: Writer, thresholds: dict[str, Any], *, parallel: bool) -> dict[str, int]:
    """Write every week, then the newest state derived from the newest week; return the catalog counts.

    Weeks are independent: large runs write the older weeks in two forked workers while this process
    writes the newest week and everything derived from it (same bytes either way).
    """
    plat, weeks = job.plat, len(job.plat.weeks)
    pool = fork_pool(job, parallel)
    try:
        pending = pool.map_async(write_week_in_worker, range(weeks - 1), chunksize=1) if pool else None
        files, size, last_metrics, final_issues = write_week(job, weeks - 1)
        w.files, w.bytes = w.files + files, w.bytes + size
        choose_exemptions(plat, final_issues)
        final = [s for s in plat.services if s.retired is None]
        counts, manifest_texts = write_catalog(plat, w, final, last_metrics, job.indent)
        write_config(plat, w, thresholds)
        write_manifests(plat, w, final, manifest_texts, job.indent)
        for a in plat.advisories:
            w.json(f"advisories/{a['id']}.json", advisory_record(plat, a), newline=True)
        earlier = pending.get() if pending is not None else [write_week(job, k) for k in range(weeks - 1)]
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    for files, size, _m, _i in earlier:
        w.files, w.bytes = w.files + files, w.bytes + size
    return counts


def _copy_latest(plat: Platform, w: Writer) -> None:
    """Copy the newest drift report and quality snapshot to their ``latest`` names."""
    newest = plat.weeks[-1]
    drift = f"analysis/reports/drift/{file_stamp(newest)}_drift_report.json"
    w.write("analysis/reports/drift/latest_drift_report.json", (w.root / drift).read_bytes())
    snap = f"analysis/historical/quality/quality_{file_stamp(snapshot_time(newest, len(plat.weeks) - 1))}.json"
    w.write("catalog/latest_quality_snapshot.json", (w.root / snap).read_bytes())
