"""What a lesson page shows, computed in Python: poses and readouts over the timeline and the sliders.

A page cannot run the models (ring mechanics, descriptors), so everything it shows is computed
here, on samples, and interpolated by the page:

- **the timeline**: a gait timeline is sampled by gait phase (:data:`PHASE_SAMPLES` per cycle,
  periodic); a keyframes or still timeline by time (:data:`TIME_SAMPLES_PER_S`);
- **each slider**: every numeric parameter of a panel's model on a grid of values over its range
  (plus the values the scene uses, so they are exact), each grid value over the whole timeline,
  the other parameters following the timeline;
- **the size budget** (:attr:`Resolution.budget_mb`, 10 MB by default): before anything is
  computed, :func:`plan_samples` estimates the page's sample bytes and, when they do not fit,
  samples the model's "more parameters" sliders coarser, then leaves the least relevant out; the
  scene's own sliders keep their resolution unless they alone overflow.

A *motion* is what one or more panels show: panels with the same model and the same parameters
at every sample (e.g. the flagship's "true scale" and "×20" panels) share one motion, one set of
sliders and one set of samples. Each sample holds

- the **twists** (:func:`pelvisim.frames.log`, 6 numbers ``[w rad, v mm]``) of the true-scale
  bone displacements ``T_pelvis`` (sacrum, both innominates), of each hip
  (``T_innominate_femur``) and of the whole-pelvis motion ``T_world_pelvis``. The page builds the
  displayed pose exactly as :func:`pelvisim.pose.pose` does: ``W @ exp(m * twist)`` for a
  magnification ``m`` (the screw scaling of :func:`pelvisim.frames.power`); the femurs follow
  their innominate, unmagnified;
- the **readouts**: every numeric descriptor of :func:`pelvisim.descriptors.describe` (true
  scale, never magnified), each palpation finding's change from neutral (the page adds the
  neutral difference and judges the result against the finding's band, as ``describe`` does),
  and five texts: the sacral torsion's name, the clinical names earned, the joint-limit warnings,
  their one-line notes and the at-rest asymmetry words (:data:`CATEGORY_CHANNELS`);
- the **overlap mask**: for each display magnification of :attr:`Evaluator.overlap_magnifications`
  (one bit each), whether the bones pass through each other at that magnification where the
  true-scale pose does not (as :func:`pelvisim.limits.magnification_overlap_note`).
- the **soft tissue**, when the scene shows it (:mod:`pelvisim.web.tissue`): the L5 on the sacrum,
  each ligament bundle's strain change and each muscle's force.

Poses repeat (holds, panels sharing a model, a slider that leaves the pose alone, a model that
ignores the gait phase): every result is kept per pose, so each distinct pose is described once.

Arrays whose samples are all equal (a model that ignores the gait phase, a hold) keep one sample.
This module is model layer: numpy only, no pyvista.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pelvisim import frames
from pelvisim.anatomy.core import Anatomy
from pelvisim.descriptors import (
    FINDING_RULES,
    INNOMINATE_TERMS,
    NEGLIGIBLE,
    PUBIC_TERM,
    SACRAL_HALF_TERMS,
    SACRAL_ROTATION_TERMS,
    UNILATERAL_FLEXION_TERMS,
    Descriptors,
    at_rest_words,
    describe,
)
from pelvisim.errors import ParameterError
from pelvisim.limits import limit_note, overlapping_joints
from pelvisim.models import get_model
from pelvisim.parameters import Parameter, PositionalModel, Value
from pelvisim.pose import JointState
from pelvisim.scene import READOUTS, Scene

PHASE_SAMPLES = 48
"""Samples per gait cycle (as :func:`pelvisim.pose.cycle_poses` and the app's trails): 7.5° of
phase apart, the pelvis's ±4° turn moves by at most 0.5° between two samples."""

TIME_SAMPLES_PER_S = 10.0
"""Samples per second of a keyframes timeline. Between two samples, linear interpolation of a
smooth (ease in/out) keyframe over ``D`` seconds errs by at most ``h²/8 · 6/D²`` of its amplitude
(``h`` = 0.1 s): 0.2 % for the bundled 2–2.5 s ramps."""

GRID_POINTS = 13
"""Grid values over the range of a slider the scene uses (the scene's own values are added)."""

OTHER_GRID_POINTS = 5
"""Grid values over the range of the model's other sliders ("more parameters"): describing a pose
costs milliseconds, and the gait model alone has eight parameters."""

PAGE_BUDGET_MB = 10.0
"""Largest page :class:`Resolution` aims at by default (issue 16: a page small enough to upload to a
learning platform and open on a phone). The scene's own sliders are always kept at full resolution;
the model's other sliders are coarsened, then left out, until the estimate fits (:func:`plan_samples`)."""

OTHER_COARSENING = ((None, 2), (None, 4), (3, 4), (2, 4))
"""The steps :func:`plan_samples` tries for the "more parameters" sliders, in order: ``(grid
points, time divisor)``; ``None`` is :attr:`Resolution.other_grid_points`. The divisor never goes
past 4 (2.5 samples/s, 12 per gait cycle: linear interpolation of a 2 s ease-in/out ramp errs by
at most 3 % of its amplitude, :data:`TIME_SAMPLES_PER_S`); past the last step sliders are left out."""

SCENE_DIVISORS = (1, 2, 4)
"""Only when the scene's own sliders alone overflow the budget (every other slider left out) are
they sampled along the timeline at 1/2, then 1/4 of its samples (the timeline itself keeps all)."""

MAX_TIME_SAMPLES = 1201
"""A keyframes timeline longer than two minutes is sampled more sparsely, never above this."""

TWIST_SLOTS = ("sacrum", "innominate_left", "innominate_right", "hip_left", "hip_right", "world")
"""The six twists of one sample, in order: ``T_pelvis`` of the three pelvic bones, the hips'
``T_innominate_femur`` (left, right) and ``T_world_pelvis``."""

KEY_DESCRIPTORS = 4
"""Descriptor readouts shown per panel at most (the largest over the timeline and slider)."""
MM_PER_DEG = 2.0
"""Ranks millimetres against degrees when choosing readouts: 1° at a landmark ~110 mm from the joint
moves it about 2 mm (a pelvisim choice, only used to order rows)."""
_GROUP_ORDER = ("sacrum", "innominate_left", "innominate_right", "ring", "finding")
KEY_FINDINGS = 4
"""Palpation findings shown per panel at most (the largest relative to the lower edge of their band)."""


@dataclass(frozen=True)
class Resolution:
    """How densely a page samples the timeline and the sliders.

    Attributes
    ----------
    grid_points : int
        Values over the range of each slider the scene sets or animates (at least 2; the
        scene's values are added).
    phase_samples : int
        Samples per gait cycle (gait timelines).
    time_samples_per_s : float
        Samples per second (keyframes timelines).
    other_grid_points : int
        Values over the range of the model's other sliders (the page's "more parameters"), each
        over the timeline at half the samples (:func:`timeline_axis` with ``coarse``); 0 leaves
        them out (the page offers only the sliders the scene sets or animates: a smaller page).
    overlap : str
        ``"menu"``: whether bones pass through each other is checked at every magnification the
        page offers; ``"scene"``: only at the panels' own magnifications (a quicker page, e.g. for
        tests; at any other magnification the page says it did not check). Each check costs about
        as much as describing the pose.
    budget_mb : float or None
        The page's size limit (:data:`PAGE_BUDGET_MB`; None: no limit). The "more parameters"
        sliders are coarsened or left out, decided from an estimate before anything is computed
        (:func:`plan_samples`).
    """

    grid_points: int = GRID_POINTS
    phase_samples: int = PHASE_SAMPLES
    time_samples_per_s: float = TIME_SAMPLES_PER_S
    other_grid_points: int = OTHER_GRID_POINTS
    overlap: str = "menu"
    budget_mb: float | None = PAGE_BUDGET_MB

    def __post_init__(self) -> None:
        if self.budget_mb is not None and not (math.isfinite(self.budget_mb) and self.budget_mb > 0):
            raise ParameterError(f"page budget must be a positive number of MB, got {self.budget_mb!r}")
        if not (isinstance(self.grid_points, int) and 2 <= self.grid_points <= 101):
            raise ParameterError(f"grid points per slider must be an integer from 2 to 101, got {self.grid_points!r}")
        if not (isinstance(self.other_grid_points, int) and (self.other_grid_points == 0 or 2 <= self.other_grid_points <= 101)):
            raise ParameterError("grid points per other slider must be 0 (left out) or an integer from 2 to 101, "
                                 f"got {self.other_grid_points!r}")
        if not (isinstance(self.phase_samples, int) and 4 <= self.phase_samples <= 720):
            raise ParameterError(f"phase samples must be an integer from 4 to 720, got {self.phase_samples!r}")
        if not (math.isfinite(self.time_samples_per_s) and 0.5 <= self.time_samples_per_s <= 120):
            raise ParameterError(f"time samples per second must be from 0.5 to 120, got {self.time_samples_per_s!r}")
        if self.overlap not in ("menu", "scene"):
            raise ParameterError(f"overlap must be 'menu' or 'scene', got {self.overlap!r}")


# --- readout columns --------------------------------------------------------------------------
RING_COLUMNS = (
    ("symphysis_vertical_shear_mm", "right pubis higher", "left pubis higher"),
    ("symphysis_sagittal_shift_mm", "right pubis forward", "left pubis forward"),
    ("symphysis_gap_change_mm", "symphysis gap opens", "symphysis gap closes"),
)
"""The symphysis readouts of :class:`pelvisim.descriptors.RingDescriptors` and their words."""
RING_FRAME = "right pubis relative to the left, at the symphysis"

CATEGORY_CHANNELS = ("torsion", "named", "limits", "notes", "at_rest")
"""Texts every sample carries (shown from the nearest sample, never interpolated): the sacral
torsion's name, the clinical names earned (:mod:`pelvisim.naming`), the joint-limit warnings
(:mod:`pelvisim.limits`, full sentences with their sources), the same warnings as the panels'
one-line notes (:func:`pelvisim.limits.limit_note`, one per line), and the pelvis's own asymmetry
when no joint moves (:func:`pelvisim.descriptors.at_rest_words`: what a panel without key numbers
shows)."""

MAX_OVERLAP_MAGNIFICATIONS = 16
"""Magnifications an overlap mask can hold (one bit each of a 16-bit number)."""


def readout_columns(anatomy: Anatomy) -> list[dict[str, Any]]:
    """The numbers every sample carries, in order, with the words and reference frame of each.

    The frames, bands and neutral asymmetries are read off the descriptors of the neutral pose, so
    the page names exactly what :func:`pelvisim.descriptors.describe` reports.

    Returns
    -------
    list of dict
        ``key`` (e.g. ``innominate_left.inflare_deg``), ``group`` (``innominate_left``,
        ``innominate_right``, ``sacrum``, ``ring`` or ``finding``), ``subject`` (who moves, in
        words), ``unit`` (``deg`` or ``mm``), ``positive``/``negative`` (the words of the two
        directions), ``frame`` (what it is measured against). Findings (value: the change from
        neutral of the left-minus-right difference) also carry ``band`` (the lower and upper edge
        a hand could start to tell apart), ``at_neutral`` (the difference at neutral: the
        bundled pelvis is not perfectly symmetric), ``source``, ``note`` and ``reliability``.
    """
    neutral = describe(anatomy, JointState())
    columns: list[dict[str, Any]] = []
    for side in ("left", "right"):
        frame = neutral.innominate(side).relative_to_sacrum.frame
        for term in (*INNOMINATE_TERMS.values(), PUBIC_TERM):
            columns.append(dict(key=f"innominate_{side}.{term.field}", group=f"innominate_{side}",
                                subject=f"{side.capitalize()} innominate", unit=term.unit,
                                positive=term.positive_words, negative=term.negative_words, frame=frame))
    sacral_terms = [term for term, _, _ in SACRAL_ROTATION_TERMS]
    sacral_terms += [UNILATERAL_FLEXION_TERMS[s] for s in ("left", "right")]
    sacral_terms += [SACRAL_HALF_TERMS[s] for s in ("left", "right")]
    for term in sacral_terms:
        columns.append(dict(key=f"sacrum.{term.field}", group="sacrum", subject="Sacrum", unit=term.unit,
                            positive=term.positive_words, negative=term.negative_words, frame=neutral.sacrum.frame))
    columns.append(dict(key="sacrum.torsion.angle_deg", group="sacrum", subject="Sacrum", unit="deg",
                        positive="torsion", negative="torsion", frame=neutral.sacrum.frame, category="torsion"))
    for field, positive, negative in RING_COLUMNS:
        columns.append(dict(key=f"ring.{field}", group="ring", subject="Symphysis", unit="mm",
                            positive=positive, negative=negative, frame=RING_FRAME))
    rules = {rule.name: rule for rule in FINDING_RULES}
    for finding in neutral.findings:
        rule = rules[finding.name]
        columns.append(dict(key=f"finding.{finding.name}", group="finding", subject=finding.name, unit=finding.unit,
                            positive=rule.positive_words, negative=rule.positive_words, frame=finding.frame,
                            band=list(finding.band), at_neutral=finding.at_neutral, source=finding.source,
                            note=finding.note, reliability=finding.reliability))
    # The compact readouts a scene can choose (pelvisim.scene.READOUTS) that are not columns yet:
    # the innominates in the standing body frame.
    known = {c["key"] for c in columns}
    terms = {term.field: term for term in (*INNOMINATE_TERMS.values(), PUBIC_TERM)}
    for key in READOUTS:
        if key in known or readout_alias(key) in known:
            continue
        group, frame_name, field = key.split(".")
        side = group.split("_")[1]
        term = terms[field]
        columns.append(dict(key=key, group=group, subject=f"{side.capitalize()} innominate", unit=term.unit,
                            positive=term.positive_words, negative=term.negative_words,
                            frame=getattr(neutral.innominate(side), frame_name).frame, extra=True))
    return columns


def readout_alias(key: str) -> str:
    """The column key of a compact-readout key: ``innominate_left.relative_to_sacrum.inflare_deg`` is
    ``innominate_left.inflare_deg`` (the descriptors' innominate numbers are relative to the sacrum)."""
    return key.replace(".relative_to_sacrum.", ".")


def read_number(d: Descriptors, path: str) -> float:
    """The number at dotted ``path`` of the descriptors (attribute by attribute), NaN when absent."""
    value: Any = d
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
        if value is None:
            return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def readout_vector(d: Descriptors, columns: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
    """The numbers of ``columns`` read off one :class:`~pelvisim.descriptors.Descriptors` (NaN if absent)."""
    findings = {f.name: f.difference for f in d.findings}
    out = np.full(len(columns), np.nan)
    for i, column in enumerate(columns):
        group, _, field = column["key"].partition(".")
        out[i] = findings.get(field, np.nan) if group == "finding" else read_number(d, column["key"])
    return out


def category_texts(d: Descriptors) -> tuple[str, str, str, str, str]:
    """The texts of :data:`CATEGORY_CHANNELS` for one pose."""
    warnings = d.limit_warnings
    return (d.sacrum.torsion.name, "; ".join(d.named), " ".join(f"{w.text}." for w in warnings),
            "\n".join(limit_note(w) for w in warnings), at_rest_words(d))


# --- one evaluation ---------------------------------------------------------------------------
def state_twists(state: JointState) -> NDArray[np.float64]:
    """The (6, 6) twists of a joint state in :data:`TWIST_SLOTS` order (:func:`pelvisim.frames.log`)."""
    transforms = (state.T_pelvis["sacrum"], state.T_pelvis["innominate_left"], state.T_pelvis["innominate_right"],
                  state.T_innominate_femur["left"], state.T_innominate_femur["right"], state.T_world_pelvis)
    return np.array([frames.log(T) for T in transforms])


class TextIndex:
    """Texts referred to by index (the categorical readouts), shared by every evaluator of a page."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        """Index of ``text`` (added when new)."""
        if text not in self._index:
            self._index[text] = len(self.texts)
            self.texts.append(text)
        return self._index[text]


Evaluation = tuple[NDArray, NDArray, NDArray, int]
"""``(twists (6, 6), readouts (R,), texts (5,), overlap mask)`` of one pose."""


@dataclass
class Evaluator:
    """Evaluates models at (parameters, phase), describing each distinct pose once.

    Attributes
    ----------
    anatomy : Anatomy
    overlap_magnifications : tuple of float
        Display magnifications the overlap mask is computed for (bit ``k`` for the ``k``-th; at
        most :data:`MAX_OVERLAP_MAGNIFICATIONS`); 1 never overlaps by magnification.
    texts : TextIndex, optional
        Shared with the other evaluators of a page (one per anatomy).
    columns : list of dict
        :func:`readout_columns`.
    categories : list of str
        Texts of the categorical readouts (:data:`CATEGORY_CHANNELS`), referenced by index.
    described : int
        Poses described so far (for benchmarks: the cost of a page is about this many
        :func:`~pelvisim.descriptors.describe` calls).
    """

    anatomy: Anatomy
    overlap_magnifications: tuple[float, ...] = ()
    texts: TextIndex | None = None

    def __post_init__(self) -> None:
        if len(self.overlap_magnifications) > MAX_OVERLAP_MAGNIFICATIONS:
            raise ParameterError(f"at most {MAX_OVERLAP_MAGNIFICATIONS} magnifications can be checked for overlap, "
                                 f"got {len(self.overlap_magnifications)}")
        self.overlap_magnifications = tuple(float(m) for m in self.overlap_magnifications)
        self.texts = self.texts or TextIndex()
        self.columns = readout_columns(self.anatomy)
        self.described = 0
        self._by_values: dict[tuple[Any, ...], Evaluation] = {}
        self._by_pose: dict[bytes, Evaluation] = {}
        self._tissue: dict[tuple[Any, ...], NDArray] = {}

    @property
    def categories(self) -> list[str]:
        """Every categorical text so far, by index."""
        assert self.texts is not None
        return self.texts.texts

    def category(self, text: str) -> int:
        """Index of ``text`` in :attr:`categories` (added when new)."""
        assert self.texts is not None
        return self.texts(text)

    def overlap_mask(self, state: JointState) -> int:
        """Bit ``k`` set when the bones overlap at ``overlap_magnifications[k]`` but not at true scale.

        The same answer as :func:`pelvisim.limits.magnification_overlap_note` at each magnification
        (a joint counts when it overlaps magnified and not at true scale), with the true-scale
        check made once per pose instead of once per magnification.
        """
        magnified = [m for m in self.overlap_magnifications if m != 1.0]
        if not magnified:
            return 0
        true_scale = set(overlapping_joints(self.anatomy, state, 1.0))
        mask = 0
        for k, m in enumerate(self.overlap_magnifications):
            if m != 1.0 and set(overlapping_joints(self.anatomy, state, m)) - true_scale:
                mask |= 1 << k
        return mask

    def __call__(self, model: PositionalModel, values: Mapping[str, Value], phase: float) -> Evaluation:
        """``(twists, readouts, texts, overlap mask)`` of ``model`` at ``values`` and ``phase``."""
        key = (model.name, tuple(sorted((k, v if isinstance(v, str) else float(v)) for k, v in values.items())), float(phase))
        hit = self._by_values.get(key)
        if hit is None:
            state = model.joint_state(self.anatomy, values, phase)
            pose_key = _pose_key(state)
            hit = self._by_pose.get(pose_key)
            if hit is None:
                d = describe(self.anatomy, state)
                self.described += 1
                texts = np.array([self.category(t) for t in category_texts(d)], dtype=np.uint16)
                hit = (state_twists(state), readout_vector(d, self.columns), texts, self.overlap_mask(state))
                self._by_pose[pose_key] = hit
            self._by_values[key] = hit
        return hit


    def tissue(self, model: PositionalModel, values: Mapping[str, Value], phase: float) -> NDArray:
        """The soft tissue of ``model`` at ``values`` and ``phase`` (:func:`pelvisim.web.tissue.tissue_vector`)."""
        from pelvisim.web.tissue import tissue_vector

        key = (model.name, tuple(sorted((k, v if isinstance(v, str) else float(v)) for k, v in values.items())), float(phase))
        hit = self._tissue.get(key)
        if hit is None:
            hit = tissue_vector(self.anatomy, model.name, values, phase, model.joint_state(self.anatomy, values, phase))
            self._tissue[key] = hit
        return hit


def _pose_key(state: JointState) -> bytes:
    """Bytes that are equal exactly when two joint states are (every transform, bit for bit)."""
    parts = [state.T_pelvis[b] for b in ("sacrum", "innominate_left", "innominate_right")]
    parts += [state.T_innominate_femur[s] for s in ("left", "right")] + [state.T_world_pelvis]
    return np.stack(parts).tobytes()


# --- samples ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """The samples of a scene's timeline.

    Attributes
    ----------
    kind : str
        ``"phase"`` (a gait timeline, periodic: sample ``k`` is phase ``k / n``) or ``"time"``
        (sample ``k`` is at ``k * duration / (n - 1)`` seconds; one sample for a still).
    n : int
    times_s : tuple of float
        Timeline time of each sample (for a phase axis: of its first pass).
    phases : tuple of float
        Gait phase of each sample.
    """

    kind: str
    n: int
    times_s: tuple[float, ...]
    phases: tuple[float, ...]


def timeline_axis(scene: Scene, resolution: Resolution = Resolution(), coarse: bool | int = False) -> Axis:
    """How the timeline of ``scene`` is sampled (see :class:`Axis`); ``coarse`` halves the samples
    (an integer: divides them by it)."""
    timeline = scene.timeline
    divisor = 2 if coarse is True else max(1, int(coarse))
    if timeline.kind == "gait":
        n = max(4, resolution.phase_samples // divisor) if divisor > 1 else resolution.phase_samples
        phases = tuple(k / n for k in range(n))
        times = tuple(((p - timeline.start_phase) % 1.0) * timeline.seconds_per_cycle for p in phases)
        return Axis("phase", n, times, phases)
    if timeline.kind == "still":
        return Axis("time", 1, (0.0,), (scene.phase_at(0.0),))
    duration = scene.duration_s
    rate = resolution.time_samples_per_s / divisor
    n = int(min(MAX_TIME_SAMPLES, max(2, math.ceil(duration * rate) + 1)))
    times = tuple(duration * k / (n - 1) for k in range(n))
    return Axis("time", n, times, tuple(scene.phase_at(t) for t in times))


def _panel_values(scene: Scene, index: int, axis: Axis) -> list[dict[str, Value]]:
    """Parameters of panel ``index`` at every sample of ``axis`` (validated, complete)."""
    model = get_model(scene.panels[index].model)
    if axis.kind == "phase":
        values = model.resolve(scene.panels[index].parameters)
        return [dict(values) for _ in range(axis.n)]
    return [model.resolve(scene.parameters_at(index, t)) for t in axis.times_s]


def _collapsed(arrays: Sequence[NDArray], sample_axis: int) -> tuple[list[NDArray], int]:
    """The arrays with their sample axis cut to one sample when every sample is equal."""
    n = arrays[0].shape[sample_axis]
    constant = all(np.array_equal(np.take(a, [0] * n, axis=sample_axis), a, equal_nan=True) for a in arrays)
    if constant and n > 1:
        return [np.take(a, [0], axis=sample_axis) for a in arrays], 1
    return list(arrays), n


def slider_grid(parameter: Parameter, used: Sequence[float], points: int) -> list[float]:
    """Grid values of a slider: ``points`` evenly over its range, plus 0, its default and ``used``."""
    lo, hi = float(parameter.minimum), float(parameter.maximum)  # type: ignore[arg-type]
    extra = [float(parameter.default), 0.0, *(float(v) for v in used)]
    values = set(np.linspace(lo, hi, points).round(12).tolist()) | {round(v, 12) for v in extra if lo <= v <= hi}
    return sorted(values)


TRACK_ARRAYS = ("twists", "readouts", "texts", "overlap", "tissue")
"""The per-sample arrays of a track (``tissue`` only when the scene shows the soft tissue: :func:`pelvisim.web.tissue.shows_tissue`)."""


def _track(evaluate: Evaluator, model: PositionalModel, values: Sequence[Mapping[str, Value]],
           axis: Axis, tissue: bool = False) -> dict[str, Any]:
    """Twists, readouts, texts and overlap masks of ``model`` at every sample of ``axis`` (and,
    with ``tissue``, the soft tissue: :meth:`Evaluator.tissue`)."""
    results, tissues = [], []
    for v, phase in zip(values, axis.phases):
        results.append(evaluate(model, v, phase))
        if tissue:  # right after the pose, while the model's own caches still hold its solution
            tissues.append(evaluate.tissue(model, v, phase))
    arrays = [np.stack([r[0] for r in results]), np.stack([r[1] for r in results]), np.stack([r[2] for r in results]),
              np.array([r[3] for r in results], dtype=np.uint16)]
    if tissue:
        arrays.append(np.stack(tissues))
    arrays, n = _collapsed(arrays, 0)
    return {"n": n, **dict(zip(TRACK_ARRAYS, arrays))}


def motion_track(anatomy: Anatomy, scene: Scene, panel: int, overrides: Mapping[str, Any] | None = None,
                 resolution: Resolution = Resolution(), evaluate: Evaluator | None = None) -> dict[str, Any]:
    """The samples of panel ``panel`` over the timeline with some parameters held at ``overrides``.

    Used for the page's base track (no overrides) and by the notebook viewer when a kernel answers
    a slider move exactly (any combination of parameters).

    Returns
    -------
    dict
        ``n`` (samples kept), ``twists`` (n, 6, 6), ``readouts`` (n, R), ``texts`` (n, 5): indices
        of the :data:`CATEGORY_CHANNELS` texts in ``evaluate.categories``, ``overlap`` (n,): the
        overlap masks (:meth:`Evaluator.overlap_mask`).
    """
    evaluate = evaluate or Evaluator(anatomy)
    model = get_model(scene.panels[panel].model)
    axis = timeline_axis(scene, resolution)
    checked = {name: model.parameter(name).validate(v, f"model {model.name!r}") for name, v in (overrides or {}).items()}
    values = [{**v, **checked} for v in _panel_values(scene, panel, axis)]
    from pelvisim.web.tissue import shows_tissue

    return _track(evaluate, model, values, axis, tissue=shows_tissue(scene))


def _key_rows(readouts: Sequence[NDArray], columns: Sequence[Mapping[str, Any]]) -> list[int]:
    """Columns worth showing: the largest descriptors and the findings nearest to palpable."""
    stacked = np.concatenate([r.reshape(-1, len(columns)) for r in readouts])
    peak = np.nanmax(np.abs(stacked), axis=0) if len(stacked) else np.zeros(len(columns))
    peak = np.nan_to_num(peak)
    size = {i: peak[i] / (MM_PER_DEG if c["unit"] == "mm" else 1.0) for i, c in enumerate(columns)}
    descriptors = sorted((i for i, c in enumerate(columns)
                          if c["group"] != "finding" and not c.get("extra") and peak[i] >= NEGLIGIBLE),
                         key=lambda i: -size[i])
    # The largest motion of each bone first (the sacrum's own nutation before the innominates'
    # readings of it), then the largest of the rest.
    chosen: list[int] = []
    for group in ("sacrum", "innominate_left", "innominate_right", "ring"):
        chosen += [i for i in descriptors if columns[i]["group"] == group][:1]
    chosen += [i for i in descriptors if i not in chosen]
    findings = [i for i, c in enumerate(columns) if c["group"] == "finding" and peak[i] >= NEGLIGIBLE]
    findings = sorted(findings, key=lambda i: -peak[i] / columns[i]["band"][0])[:KEY_FINDINGS]
    return sorted(chosen[:KEY_DESCRIPTORS], key=lambda i: (_GROUP_ORDER.index(columns[i]["group"]), i)) + sorted(findings)


def _parameter_info(p: Parameter) -> dict[str, Any]:
    return dict(name=p.name, label=p.label, unit=p.unit, minimum=p.minimum, maximum=p.maximum,
                default=p.default, in_vivo_limit=p.in_vivo_limit, limit_words=p.limit_words, source=p.source,
                positive_means=p.positive_means)


def panel_evaluators(scene: Scene, anatomy: Anatomy | Sequence[Anatomy],
                     evaluate: Evaluator | Sequence[Evaluator] | None = None,
                     overlap_magnifications: tuple[float, ...] = ()) -> list[Evaluator]:
    """One evaluator per panel: panels of the same anatomy share one, and all share their texts.

    Parameters
    ----------
    scene : Scene
    anatomy : Anatomy or sequence of Anatomy
        One anatomy for every panel, or one per panel.
    evaluate : Evaluator or sequence of Evaluator, optional
        Given evaluators (one for every panel, or one per panel) are used as they are.
    overlap_magnifications : tuple of float
        Of new evaluators (:attr:`Evaluator.overlap_magnifications`).
    """
    n = len(scene.panels)
    if isinstance(evaluate, Evaluator):
        return [evaluate] * n
    if evaluate is not None:
        if len(evaluate) != n:
            raise ValueError(f"expected {n} evaluators, one per panel, got {len(evaluate)}")  # a programming error
        return list(evaluate)
    anatomies = [anatomy] * n if isinstance(anatomy, Anatomy) else list(anatomy)
    if len(anatomies) != n:
        raise ValueError(f"expected {n} anatomies, one per panel, got {len(anatomies)}")  # a programming error
    texts = TextIndex()
    made: dict[int, Evaluator] = {}
    for a in anatomies:
        if id(a) not in made:
            made[id(a)] = Evaluator(a, overlap_magnifications, texts)
    return [made[id(a)] for a in anatomies]


@dataclass(frozen=True)
class SamplePlan:
    """How densely the "more parameters" sliders of a page are sampled (:func:`plan_samples`).

    Attributes
    ----------
    other_grid_points : int
        Grid points over each other slider's range (0: none offered).
    other_divisor : int
        The timeline's samples are divided by this for the other sliders (:func:`timeline_axis`).
    other_kept : int or None
        Other sliders kept per motion (None: all); the rest are left out, the last in
        :func:`_other_order` first.
    estimated_bytes : int
        Estimated sample bytes of the page (base64, an upper bound: :func:`track_bytes`).
    scene_divisor : int
        The timeline's samples are divided by this for the scene's own sliders: 1 unless those
        alone overflow the budget (:data:`SCENE_DIVISORS`).
    """

    other_grid_points: int
    other_divisor: int = 2
    other_kept: int | None = None
    estimated_bytes: int = 0
    scene_divisor: int = 1


def track_bytes(n_columns: int, tissue_values: int = 0) -> float:
    """Bytes one sample of a track takes in the page (base64: 4/3 of the packed bytes,
    :func:`pelvisim.web.page._pack_track`): twists (36 float64), readouts (float32 each),
    texts (5 uint16), overlap (uint16) and, with ``tissue_values`` bundles + muscles, the L5's
    twist (6 float32) and one uint16 each."""
    packed = 36 * 8 + 4 * n_columns + 2 * len(CATEGORY_CHANNELS) + 2
    if tissue_values:
        packed += 6 * 4 + 2 * tissue_values
    return packed * 4.0 / 3.0


@dataclass
class _MotionInputs:
    """What a motion's samples are computed from (cheap: no model is evaluated)."""

    index: int
    evaluate: Evaluator
    model: PositionalModel
    values: list[dict[str, Value]]
    scene_keys: set[str]
    scene_values: dict[str, list[float]]
    panels: list[int]


def _motion_inputs(scene: Scene, evaluators: Sequence[Evaluator], axis: Axis) -> tuple[list[_MotionInputs], list[int]]:
    """The distinct motions of a scene and the motion of each panel."""
    inputs: list[_MotionInputs] = []
    keys: list[tuple[Any, ...]] = []
    panel_motion: list[int] = []
    for index, spec in enumerate(scene.panels):
        evaluate = evaluators[index]
        values = _panel_values(scene, index, axis)
        key = (id(evaluate.anatomy), spec.model, tuple(tuple(sorted(v.items())) for v in values))
        if key in keys:
            panel_motion.append(keys.index(key))
            inputs[keys.index(key)].panels.append(index)
            continue
        keys.append(key)
        panel_motion.append(len(inputs))
        model = get_model(spec.model)
        scene_keys = {k for k, v in spec.parameters.items() if v != model.parameter(k).default}
        scene_values: dict[str, list[float]] = {p.name: [float(spec.parameters[p.name])] for p in model.parameters
                                                if not p.is_choice}
        for keyframe in scene.timeline.keyframes:
            if keyframe.panels is None or index in keyframe.panels:
                scene_keys |= set(keyframe.parameters)
                for name, v in keyframe.parameters.items():
                    if name in scene_values:
                        scene_values[name].append(float(v))
        inputs.append(_MotionInputs(index, evaluate, model, values, scene_keys, scene_values, [index]))
    return inputs, panel_motion


def _other_order(motion: _MotionInputs, scene: Scene) -> list[Parameter]:
    """The motion's other sliders, most relevant first: those another panel of the scene sets or
    animates, then the model's order."""
    elsewhere: set[str] = set()
    for spec in scene.panels:
        elsewhere |= set(spec.parameters)
    for keyframe in scene.timeline.keyframes:
        elsewhere |= set(keyframe.parameters)
    others = [p for p in motion.model.parameters if not p.is_choice and p.name not in motion.scene_keys]
    return sorted(others, key=lambda p: p.name not in elsewhere)


def _samples_kept(motion: _MotionInputs, axis: Axis, values: Sequence[Mapping[str, Value]]) -> int:
    """Samples a track of ``values`` along ``axis`` keeps: one when nothing changes along it (the
    same parameters at every sample, and a model that ignores the gait phase or a phase that stays),
    as :func:`_collapsed` will find; else every one (an upper bound: different parameters can still
    give the same pose)."""
    same_values = all(v == values[0] for v in values)
    same_phase = not motion.model.uses_gait or len(set(axis.phases)) == 1
    return 1 if same_values and same_phase else axis.n


def _tissue_values(anatomy: Anatomy) -> int:
    from pelvisim.web.tissue import bundle_count, muscle_names

    return bundle_count(anatomy) + len(muscle_names(anatomy))


def plan_samples(scene: Scene, evaluators: Sequence[Evaluator], resolution: Resolution = Resolution(),
                 budget_bytes: float | None = None) -> SamplePlan:
    """The densest sampling of the "more parameters" sliders whose estimated sample bytes fit ``budget_bytes``.

    The timeline and the scene's own sliders keep ``resolution``; the other sliders try the
    steps of :data:`OTHER_COARSENING`, then are left out one by one (the least relevant first,
    :func:`_other_order`) until the estimate fits. Only if the scene's own sliders alone do not
    fit are they sampled coarser along the timeline (:data:`SCENE_DIVISORS`), and the others
    planned again. The estimate counts every sample the page
    would hold (:func:`track_bytes`), a track whose parameters stay the same counted as one sample
    (:func:`_samples_kept`; an upper bound, as other tracks can still collapse), and nothing is
    evaluated (a plan costs milliseconds).
    """
    from pelvisim.web.tissue import shows_tissue

    axis = timeline_axis(scene, resolution)
    inputs, _ = _motion_inputs(scene, evaluators, axis)
    tissue = shows_tissue(scene)
    per_sample = [track_bytes(len(m.evaluate.columns), _tissue_values(m.evaluate.anatomy) if tissue else 0)
                  for m in inputs]
    # The base tracks and their tables of values (float64, one column per numeric parameter).
    base = sum(size * _samples_kept(m, axis, m.values) + 8 * 4 / 3 * axis.n * sum(not p.is_choice for p in m.model.parameters)
               for m, size in zip(inputs, per_sample))
    # Each packed array is padded to 8 bytes: 4 per track (5 with the base's values, 3 more with tissue).
    padding = 8 * (4 + (3 if tissue else 0)) * 4 / 3
    base += len(inputs) * (padding + 8 * 4 / 3)
    others = [_other_order(m, scene) for m in inputs]
    axes: dict[int, tuple[Axis, list[list[dict[str, Value]]]]] = {}

    def slider_bytes(m: _MotionInputs, size: float, p: Parameter, points: int, divisor: int) -> float:
        if divisor not in axes:
            along = timeline_axis(scene, resolution, coarse=divisor)
            axes[divisor] = (along, [_panel_values(scene, k.index, along) for k in inputs])
        along, values = axes[divisor]
        grid = slider_grid(p, m.scene_values[p.name], points)
        held = [{**v, p.name: grid[0]} for v in values[inputs.index(m)]]
        return size * len(grid) * _samples_kept(m, along, held) + padding

    def estimate(points: int, divisor: int, kept: int | None, scene_divisor: int) -> float:
        total = base + sum(slider_bytes(m, size, p, resolution.grid_points, scene_divisor)
                           for m, size in zip(inputs, per_sample) for p in m.model.parameters
                           if not p.is_choice and p.name in m.scene_keys)
        if not points:
            return total
        return total + sum(slider_bytes(m, size, p, points, divisor)
                           for m, size, order in zip(inputs, per_sample, others) for p in order[:kept])

    points = resolution.other_grid_points
    if budget_bytes is None or estimate(points, 2, None, 1) <= budget_bytes:
        return SamplePlan(points, 2, None, int(estimate(points, 2, None, 1)))
    steps = [(points if g is None else min(g, points), d) for g, d in OTHER_COARSENING] if points else [(0, 2)]
    most = max((len(o) for o in others), default=0)
    for scene_divisor in SCENE_DIVISORS:
        for g, d in steps:
            if estimate(g, d, None, scene_divisor) <= budget_bytes:
                return SamplePlan(g, d, None, int(estimate(g, d, None, scene_divisor)), scene_divisor)
        g, d = steps[-1]
        for kept in range(most - 1, -1, -1):
            if estimate(g, d, kept, scene_divisor) <= budget_bytes:
                return SamplePlan(g, d, kept, int(estimate(g, d, kept, scene_divisor)), scene_divisor)
    g, d = steps[-1]  # even so over the budget: the smallest page this resolution allows
    return SamplePlan(g, d, 0, int(estimate(g, d, 0, SCENE_DIVISORS[-1])), SCENE_DIVISORS[-1])


def scene_motions(scene: Scene, anatomy: Anatomy | Sequence[Anatomy], resolution: Resolution = Resolution(),
                  evaluate: Evaluator | Sequence[Evaluator] | None = None,
                  plan: SamplePlan | None = None) -> tuple[list[dict[str, Any]], list[int]]:
    """The motions of a scene, with their samples, sliders and key readouts.

    Parameters
    ----------
    scene : Scene
    anatomy : Anatomy or sequence of Anatomy
        One anatomy for every panel, or one per panel (panels of different anatomies never
        share a motion).
    resolution : Resolution
    evaluate : Evaluator or sequence of Evaluator, optional
        Shares its cache and categories with the caller (one per panel: see :func:`panel_evaluators`).
    plan : SamplePlan, optional
        How the "more parameters" sliders are sampled (:func:`plan_samples`); default: every one
        at ``resolution.other_grid_points`` and half the timeline's samples.

    Returns
    -------
    motions : list of dict
        Per motion: ``model``, ``model_title``, ``panels`` (indices), ``base`` (see
        :func:`motion_track`, plus ``values``: the numeric parameters at each sample, shape
        (n, P)), ``sliders`` (per numeric parameter: its description, ``grid`` values, ``n``,
        ``twists`` (G, n, 6, 6), ``readouts`` (G, n, R), ``texts`` (G, n, 5), ``overlap`` (G, n),
        ``key_rows``,
        ``in_scene``: whether the scene sets or animates it; the others are sampled coarser),
        ``fixed`` (choice parameters and their values), ``key_rows`` (readout columns shown
        without an override), ``uses_gait``, ``left_out`` (numeric parameters without a slider) and
        ``left_out_names`` (their names).
    panel_motion : list of int
        The motion of each panel.
    """
    from pelvisim.web.tissue import shows_tissue

    evaluators = panel_evaluators(scene, anatomy, evaluate)
    plan = plan or SamplePlan(resolution.other_grid_points)
    axis = timeline_axis(scene, resolution)
    coarse_axis = timeline_axis(scene, resolution, coarse=plan.other_divisor)
    scene_axis = timeline_axis(scene, resolution, coarse=plan.scene_divisor)
    inputs, panel_motion = _motion_inputs(scene, evaluators, axis)
    tissue = shows_tissue(scene)
    motions: list[dict[str, Any]] = []
    for m in inputs:
        evaluate, model, values = m.evaluate, m.model, m.values
        base = _track(evaluate, model, values, axis, tissue)
        numeric = [p for p in model.parameters if not p.is_choice]
        # The sliders offered: the scene's own, and as many others as the plan keeps.
        kept_others = {p.name for p in _other_order(m, scene)[:plan.other_kept]} if plan.other_grid_points else set()
        offered = [p for p in numeric if p.name in m.scene_keys or p.name in kept_others]
        table = np.array([[float(v[p.name]) for p in offered] for v in values]).reshape(axis.n, len(offered))
        (table,), n_values = _collapsed([table], 0)
        sliders = []
        coarse_values = _panel_values(scene, m.index, coarse_axis)
        scene_at = values if plan.scene_divisor == 1 else _panel_values(scene, m.index, scene_axis)
        for parameter in offered:
            in_scene = parameter.name in m.scene_keys
            points = resolution.grid_points if in_scene else plan.other_grid_points
            grid = slider_grid(parameter, m.scene_values[parameter.name], points)
            along, at = (scene_axis, scene_at) if in_scene else (coarse_axis, coarse_values)
            tracks = [_track(evaluate, model, [{**v, parameter.name: g} for v in at], along, tissue) for g in grid]
            n = max(t["n"] for t in tracks)
            stacked = {name: np.stack([np.repeat(t[name], n // t["n"], axis=0) for t in tracks])
                       for name in TRACK_ARRAYS if name in tracks[0]}
            sliders.append(dict(
                _parameter_info(parameter), grid=grid, n=n, in_scene=in_scene, **stacked,
                key_rows=_key_rows([stacked["readouts"], base["readouts"]], evaluate.columns),
            ))
        offered_names = {p.name for p in offered}
        left_out = [p.name for p in numeric if p.name not in offered_names]
        motions.append(dict(
            model=model.name, model_title=model.title, claim=model.claim, panels=list(m.panels), uses_gait=model.uses_gait,
            tissue=tissue, base=dict(base, values=table, n_values=n_values), sliders=sliders, left_out=len(left_out),
            left_out_names=left_out,
            fixed=[dict(name=p.name, label=p.label, value=str(values[0][p.name])) for p in model.parameters if p.is_choice],
            key_rows=_key_rows([base["readouts"]], evaluate.columns),
        ))
    return motions, panel_motion
