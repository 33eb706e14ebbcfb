"""A sweep folder's manifest (``manifest.json``): the plan, under one versioned schema.

The manifest is written before the first run starts and says everything a reader needs
to know what the folder holds, without the experiment file::

    schema_version  3 (this module's SCHEMA_VERSION)
    provenance      what made the sweep: carecap (version), commit (git describe, or
                    null outside a checkout), created (UTC), command (the command that
                    makes the same runs again, when it is known)
    experiment      the experiment's name; title, description as its file gives them
    area            the area profile every arm's town is drawn from (null: the defaults)
    base            overrides applied beneath every arm (the experiment's ``[base]``)
    days, residents, replicates, root_seed
    outcomes        the headline outcomes, in the order the report gives them
    scenarios       the scenarios the arms start from
    design          the design's kind and what its analysis needs: a sampled design's
                    ``matrix`` holds the values its points run, whole numbers rounded
                    (in schema 2 it held the sample before rounding; such a manifest is
                    read with the values its arms ran instead)
    squares         2x2 factorials inside the design: base, first_only, second_only, both
    arms            one entry per arm: label, scenario, overrides (the design's point),
                    and params (every parameter the arm runs with: the scalars, the
                    population's structure and the levers' start days; not in schema 1)
    runs            one entry per planned run: run_id, arm, replicate, seed

Each run's Parquet file carries its own record in its metadata (label, scenario, seed,
replicate, every parameter, version and date; :mod:`simulation.provenance`), and
``summaries.parquet`` has one row per finished run (:mod:`simulation.sweep.analysis`).

Old folders. A manifest without ``schema_version`` was written by carecap 0.1: it is
read as schema 1 (its provenance unknown), so its report can still be made, but no sweep
resumes into it. A manifest of a later schema than this carecap reads is refused, as is
resuming a sweep made by another carecap version (its runs would differ). Each refusal
is one line naming the folder and what is allowed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulation import provenance

if TYPE_CHECKING:
    from simulation.sweep.experiment import Experiment

SCHEMA_VERSION = 3
UNROUNDED_SCHEMA = 2  # the last schema whose design matrix was the sample before rounding
LEGACY_SCHEMA = 1  # manifests written before there was a schema_version (carecap 0.1)
FILE = "manifest.json"
# What makes two plans the same sweep is everything but these: how many replicates (a
# sweep may grow), the runs that follows from, and what made it when.
NOT_IDENTITY = ("schema_version", "provenance", "replicates", "runs")
# Fields every schema has had, with the type each must be.
REQUIRED = {"arms": list, "runs": list, "days": int, "residents": int, "replicates": int,
            "root_seed": int}
ARM_FIELDS = {"label": str, "scenario": str, "overrides": dict}
RUN_FIELDS = {"run_id": str, "arm": int, "replicate": int, "seed": int}


class ManifestError(ValueError):
    """A manifest that cannot be read or used; the message is one line naming it."""


def build(experiment: Experiment, command: str | None = None) -> dict[str, Any]:
    """The manifest of ``experiment``'s plan, as :func:`read` reads it back.

    Args:
        experiment: The experiment, at the sizes it runs at.
        command: The command that makes the same runs again (``carecap sweep ...``).
    """
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "provenance": {**provenance.stamp(), "command": command},
        "experiment": experiment.name, "title": experiment.title,
        "description": experiment.description, "area": experiment.area,
        "base": experiment.base, "days": experiment.days,
        "residents": experiment.residents, "replicates": experiment.replicates,
        "root_seed": experiment.root_seed, "outcomes": list(experiment.outcomes),
        "scenarios": list(experiment.scenarios), "design": experiment.design.describe(),
        "squares": [asdict(s) for s in experiment.squares],
        "arms": experiment.arm_records(),
        "runs": [asdict(r) for r in experiment.runs()],
    }
    return json.loads(json.dumps(manifest))  # as it reads back: tuples become lists


def identity(manifest: dict[str, Any]) -> dict[str, Any]:
    """What makes two plans the same sweep: everything but replicates and provenance."""
    return {k: v for k, v in manifest.items() if k not in NOT_IDENTITY}


def read(folder: str | Path) -> dict[str, Any]:
    """A folder's manifest, checked against its schema (schema 1 read as it was).

    Raises:
        ManifestError: Missing, not JSON, of a later schema, or a field missing or of
            the wrong type.
    """
    path = Path(folder) / FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError(f"{path}: cannot be read ({error}); a sweep folder has the "
                            "manifest.json that `carecap sweep` writes") from None
    return parse(data, path)


def parse(data: Any, where: Path | str) -> dict[str, Any]:
    """Check a manifest read from ``where``; a schema 1 manifest gets its missing fields.

    Raises:
        ManifestError: As :func:`read`.
    """
    def fail(problem: str) -> ManifestError:
        return ManifestError(f"{where}: {problem}")

    if not isinstance(data, dict):
        raise fail("not a sweep manifest (a JSON object)")
    schema = data.get("schema_version", LEGACY_SCHEMA)
    if isinstance(schema, bool) or not isinstance(schema, int) or schema < LEGACY_SCHEMA:
        raise fail(f"schema_version is {schema!r} (allowed: a whole number from "
                   f"{LEGACY_SCHEMA} to {SCHEMA_VERSION})")
    if schema > SCHEMA_VERSION:
        raise fail(f"written by a later carecap (schema_version {schema}; "
                   f"{provenance.describe()} reads up to {SCHEMA_VERSION}); allowed: "
                   "read it with the carecap that made it, or a later one")
    for key, kind in REQUIRED.items():
        _check(data, key, kind, fail, "")
    for i, arm in enumerate(data["arms"]):
        for key, kind in ARM_FIELDS.items():
            _check(arm, key, kind, fail, f"arms[{i}].")
        if "params" in arm:
            _check(arm, "params", dict, fail, f"arms[{i}].")
    for i, run in enumerate(data["runs"]):
        for key, kind in RUN_FIELDS.items():
            _check(run, key, kind, fail, f"runs[{i}].")
        if not 0 <= run["arm"] < len(data["arms"]):
            raise fail(f"runs[{i}].arm is {run['arm']} (allowed: 0 to "
                       f"{len(data['arms']) - 1}, one of its arms)")
    defaults = {"schema_version": schema, "provenance": None, "area": None, "base": {},
                "experiment": Path(where).parent.name, "title": "", "description": "",
                "outcomes": [], "scenarios": sorted({a["scenario"] for a in data["arms"]}),
                "design": {"kind": "scenarios"}, "squares": []}
    data = {**defaults, **data}
    if schema <= UNROUNDED_SCHEMA and "matrix" in data["design"]:
        data["design"] = {**data["design"], "matrix": _values_run(data)}
    return data


def _values_run(data: dict[str, Any]) -> list[list[Any]]:
    """A sampled design's points as its first scenario's arms ran them (in point order)."""
    names = data["design"]["problem"]["names"]
    points = len(data["design"]["matrix"])
    return [[arm["overrides"][name] for name in names] for arm in data["arms"][:points]]


def _check(entry: Any, key: str, kind: type, fail, prefix: str) -> None:
    if not isinstance(entry, dict) or key not in entry:
        raise fail(f"field '{prefix}{key}' is missing (a sweep manifest has it)")
    value = entry[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise fail(f"field '{prefix}{key}' is {value!r} (allowed: {kind.__name__})")


def commit_note(held: dict[str, Any]) -> str | None:
    """A note when a sweep is resumed by other code of the same version, else ``None``.

    Within a version, commits that change results say so in CHANGELOG.md, so resuming
    is allowed; but a different or modified (``-dirty``) checkout may make runs that
    differ from those already in the folder, and the user should know.
    """
    made = (held.get("provenance") or {}).get("commit")
    now = provenance.commit()
    if made is None or now is None or (made == now and not now.endswith("-dirty")):
        return None
    return (f"the runs in this folder were started by commit {made}, and this is {now}: "
            "runs made now differ from them if the results changed in between "
            "(CHANGELOG.md; `uv run python benchmarks/golden.py check` tells)")


def resume_problem(held: dict[str, Any]) -> str | None:
    """Why a sweep may not add runs to a folder holding ``held``, or ``None`` if it may.

    Runs made by another version of carecap differ from this one's (CHANGELOG.md), so a
    sweep never mixes them; nor does it add to a folder whose version is not recorded.
    """
    made = (held.get("provenance") or {}).get("carecap")
    if held["schema_version"] == LEGACY_SCHEMA or made is None:
        return ("made by carecap before 0.2.0 (its manifest records no version), whose "
                "runs differ from this one's; allowed: `carecap report` it as it is, or "
                "sweep into another --out folder")
    if made != provenance.VERSION:
        return (f"made by carecap {made}, and this is {provenance.VERSION}: runs differ "
                "between versions, so a sweep is never resumed across them; allowed: "
                f"another --out folder, or carecap {made} to resume it")
    return None
