"""``pelvisim models`` and ``pelvisim describe``: the registry and the clinical read-out.

``describe --json`` prints one stable JSON object::

    {"model", "parameters", "descriptors": {"innominate_left", "innominate_right", "sacrum"},
     "landmarks": {name: {"position_mm", "shift_mm"}}, "findings", "summary", "warnings"}

plus ``"pelvis"``, ``"joints"`` and ``"events"`` when the gait module offers them (see
:func:`_gait_extras`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from pelvisim.cli.anatomy_options import add_anatomy_options, load_anatomy_from_args
from pelvisim.errors import ParameterError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``models`` and ``describe`` sub-commands."""
    models_parser = subparsers.add_parser("models", help="list the positional models and their parameters")
    models_parser.add_argument("--json", action="store_true", help="machine-readable output")
    models_parser.set_defaults(func=run_models)

    describe = subparsers.add_parser("describe", help="clinical descriptors of one positional model")
    describe.add_argument("--model", required=True, help="model name (see `pelvisim models`)")
    describe.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                          help="set a parameter, e.g. --set left_deg=1.5 (repeatable)")
    describe.add_argument("--magnification", type=float, default=1.0,
                          help="display factor; descriptors are always at true scale (default 1)")
    describe.add_argument("--phase", type=float, default=0.0, help="gait phase in [0, 1) (default 0)")
    add_anatomy_options(describe)
    describe.add_argument("--json", action="store_true", help="machine-readable output")
    describe.set_defaults(func=run_describe)


def parse_settings(items: Sequence[str]) -> dict[str, str]:
    """``["left_deg=1.5", ...]`` -> ``{"left_deg": "1.5"}``; the model validates the values."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _parameter_dict(p: Any) -> dict[str, Any]:
    return {
        "name": p.name, "label": p.label, "unit": p.unit, "default": p.default,
        "minimum": p.minimum, "maximum": p.maximum, "choices": list(p.choices) if p.choices else None,
        "positive_means": p.positive_means, "in_vivo_limit": p.in_vivo_limit, "source": p.source,
    }


def run_models(args: argparse.Namespace) -> int:
    """Print the registry."""
    from pelvisim.models import MODELS

    if args.json:
        print(json.dumps([
            {"name": m.name, "title": m.title, "claim": m.claim, "source": m.source, "evidence": m.evidence,
             "uses_gait": m.uses_gait, "parameters": [_parameter_dict(p) for p in m.parameters]}
            for m in MODELS.values()
        ], indent=2, ensure_ascii=False))
        return 0
    for m in MODELS.values():
        print(f"{m.name}  —  {m.title}")
        print(f"    {m.claim}")
        print(f"    source: {m.source}")
        for p in m.parameters:
            sign = f"; + = {p.positive_means}" if p.positive_means else ""
            print(f"    {p.name}: {p.range_text()}, default {p.default!r}{sign}")
        print()
    return 0


def _gait_extras(model: Any, state: Any, phase: float) -> dict[str, Any]:
    """Hook for gait models: whole-pelvis angles, hip angles and gait events at ``phase``.

    Added only for models with ``uses_gait`` and only when :mod:`pelvisim.gait` offers
    ``pelvis_angles_from_transform`` and ``events``; otherwise ``{}`` (the JSON keeps its core keys).
    """
    if not getattr(model, "uses_gait", False):
        return {}
    try:
        from pelvisim import gait
    except ImportError:
        return {}
    angles = getattr(gait, "pelvis_angles_from_transform", None)
    events = getattr(gait, "events", None)
    if angles is None or events is None:
        return {}
    import math

    rotation, obliquity, tilt = angles(state.T_world_pelvis)
    hips = {}
    for side in ("left", "right"):
        R = state.T_innominate_femur[side]
        hips[f"hip_{side}_flexion_deg"] = math.degrees(math.atan2(R[1, 0], R[0, 0]))
    return {
        "pelvis": {"rotation_deg": math.degrees(rotation), "obliquity_deg": math.degrees(obliquity), "tilt_deg": math.degrees(tilt)},
        "joints": hips,
        "events": events(phase),
    }


def describe_json(model_name: str, settings: dict[str, Any], magnification: float = 1.0, phase: float = 0.0,
                  anatomy: Any = None) -> dict[str, Any]:
    """The ``describe --json`` object (pure; the CLI prints it)."""
    import math

    import pelvisim
    from pelvisim import descriptors
    from pelvisim.models import get_model
    from pelvisim.pose import pose

    model = get_model(model_name)
    values = model.resolve(settings)
    if not math.isfinite(phase) or not 0.0 <= phase < 1.0:
        raise ParameterError(f"--phase must be in [0, 1), got {phase!r}")
    if anatomy is None:
        anatomy = pelvisim.load_anatomy()
    state = model.joint_state(anatomy, values, phase)
    displayed = pose(anatomy, state, magnification)  # validates magnification; descriptors ignore it
    d = descriptors.describe(anatomy, displayed).to_dict()
    out = {
        "model": model.name,
        "parameters": values,
        **d,
        "warnings": model.warnings(values),
    }
    out.update(_gait_extras(model, state, phase))
    return out


def _table(data: dict[str, Any], magnification: float = 1.0) -> str:
    from pelvisim.descriptors import INNOMINATE_TERMS, SACRAL_HALF_TERMS, SACRAL_ROTATION_TERMS, UNILATERAL_FLEXION_TERMS

    lines = [f"Model: {data['model']}   " + ", ".join(f"{k} = {v}" for k, v in data["parameters"].items())]
    if magnification != 1.0:
        lines.append(f"Display magnification ×{magnification:g} (descriptors below are true scale)")
    lines.append("")
    for side in ("left", "right"):
        d = data["descriptors"][f"innominate_{side}"]
        lines.append(f"{side.capitalize()} innominate (relative to the sacrum):")
        for term in INNOMINATE_TERMS.values():
            value = d[term.field]
            lines.append(f"  {term.positive_words + ' / ' + term.negative_words:<40} {term.words(value) or 'none'}")
        for name, shift in d["landmark_shifts"].items():
            lines.append(f"  {name.replace('_', ' '):<40} {shift['words']}")
    s = data["descriptors"]["sacrum"]
    lines.append("Sacrum:")
    for term, _, _ in SACRAL_ROTATION_TERMS:
        lines.append(f"  {term.positive_words + ' / ' + term.negative_words:<40} {term.words(s[term.field]) or 'none'}")
    for term in (*UNILATERAL_FLEXION_TERMS.values(), *SACRAL_HALF_TERMS.values()):
        lines.append(f"  {term.positive_words:<40} {term.words(s[term.field]) or 'none'}")
    torsion = s["torsion"]
    lines.append(f"  {'torsion':<40} {torsion['name']}" + (f" {torsion['angle_deg']:.1f}°" if torsion["axis"] else ""))
    lines.append("")
    lines.append("What a clinician could feel:")
    for f in data["findings"]:
        lines.append(f"  {f['words']:<58} {f['verdict']}")
    lines.append("")
    lines.append(data["summary"])
    for warning in data["warnings"]:
        lines.append(f"Warning: {warning}")
    return "\n".join(lines)


def run_describe(args: argparse.Namespace) -> int:
    """Print the descriptors of one model."""
    anatomy = load_anatomy_from_args(args)
    data = describe_json(args.model, parse_settings(args.settings), args.magnification, args.phase, anatomy)
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else _table(data, args.magnification))
    return 0
