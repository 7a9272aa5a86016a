"""Where an anatomy comes from: the bundled mean, one of the 26 LLP26 subjects, a point in shape
space, or a user's folder — one function, :func:`load`, for all of them.

Subjects and shape-mode points are built on demand by the same pipeline as the bundled bones
(:func:`pelvisim.anatomy.build.build_anatomy`: element evaluation, the same landmark rules, the same
sacroiliac clearance step and disjointness check), from the node coordinates of the LLP26 shape
model (:mod:`pelvisim.anatomy.shape_model`). The shape model covers the pelvis and the left femur
(and the knee and shank, unused), so each subject gets its own left femur; the right femur is its
mirror image, as for the bundled mean, and both are placed with the head centre on the acetabulum
centre.

A build takes a few seconds, so results are kept on disk in ``$XDG_CACHE_HOME/pelvisim/anatomy``
(default ``~/.cache/pelvisim/anatomy``), one ``.npz`` per anatomy, keyed by the dataset version,
the spec and a fingerprint of the rules (the source of the modules that shape the result). Files
are written to a temporary name and renamed, so a crash never leaves half a file; a cache folder
that cannot be written is reported once and the anatomy is built in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pelvisim.anatomy.atlas import triangulate
from pelvisim.anatomy.core import BONES, Anatomy, Bone, Landmark
from pelvisim.anatomy.joint_frames import joint_frames
from pelvisim.anatomy.shape_model import (
    FEMUR_LEFT_NODES,
    N_SUBJECTS,
    PELVIS_NODES,
    check_mode_sd,
    check_subject,
    read_shape_model,
)
from pelvisim.anatomy.surface import Surface
from pelvisim.errors import MeshError, ParameterError

Progress = Callable[[str], None]
BUNDLED_WORDS = ("bundled", "mean")
SHAPE_SOURCE_MARK = ": LLP26 shape model"
"""What :func:`source_text` puts after a subject's or shape-mode point's label."""
USER_SOURCE_PREFIX = "user meshes from "
"""How :func:`pelvisim.anatomy.user.load_user_anatomy` starts the source of a user's folder."""
_MEMORY: OrderedDict[str, Anatomy] = OrderedDict()
_MEMORY_SIZE = 8  # anatomies kept in this process (each a few MB)
_RULE_MODULES = ("build", "landmarks", "surface", "atlas", "lagrange", "shape_model", "shape_repair", "sources")


@dataclass(frozen=True)
class AnatomySpec:
    """Which anatomy: the bundled mean (all fields empty), a subject, a shape-mode point, or a folder.

    Attributes
    ----------
    subject : int or None
        LLP26 subject, 1–26.
    modes : tuple of (int, float)
        Shape modes (1-based) and their weights in standard deviations, sorted, zeros dropped.
    folder : Path or None
        A folder of the user's own bones (:func:`pelvisim.anatomy.io.load_anatomy`).
    """

    subject: int | None = None
    modes: tuple[tuple[int, float], ...] = ()
    folder: Path | None = None

    @property
    def kind(self) -> str:
        """``"bundled"``, ``"subject"``, ``"modes"`` or ``"folder"``."""
        if self.folder is not None:
            return "folder"
        if self.subject is not None:
            return "subject"
        return "modes" if self.modes else "bundled"

    @property
    def key(self) -> str:
        """Short canonical text, e.g. ``subject=7`` or ``modes=1:+2,3:-1`` (cache keys, file names)."""
        if self.kind == "folder":
            return f"folder={self.folder}"
        if self.kind == "subject":
            return f"subject={self.subject}"
        if self.kind == "modes":
            return "modes=" + ",".join(f"{m}:{k:+g}" for m, k in self.modes)
        return "bundled"

    @property
    def label(self) -> str:
        """Words for a panel title or a report: ``LLP26 subject 7``, ``mean, mode 1 +2 SD``."""
        if self.kind == "folder":
            return f"your bones ({self.folder.name}/)"  # type: ignore[union-attr]
        if self.kind == "subject":
            return f"LLP26 subject {self.subject}"
        if self.kind == "modes":
            return "mean shape, " + ", ".join(f"mode {m} {k:+g} SD" for m, k in self.modes)
        return "mean of 26 (bundled)"


BUNDLED = AnatomySpec()


def make_spec(subject: Any = None, modes: Mapping[Any, Any] | None = None, folder: str | Path | None = None) -> AnatomySpec:
    """A checked :class:`AnatomySpec` from at most one of ``subject``, ``modes`` and ``folder``."""
    given = [name for name, value in (("subject", subject), ("modes", modes), ("folder", folder)) if value is not None]
    if len(given) > 1:
        raise ParameterError(f"give one anatomy source, not {' and '.join(given)}")
    if subject is not None:
        return AnatomySpec(subject=check_subject(subject))
    if folder is not None:
        return AnatomySpec(folder=Path(folder))
    if modes is None:
        return BUNDLED
    if not isinstance(modes, Mapping):
        raise ParameterError(f"shape modes: expected a table of mode number = standard deviations, got {modes!r}")
    model = read_shape_model()
    cleaned = {}
    for mode, k in modes.items():
        number = _mode_number(mode, model.n_modes)
        cleaned[number] = check_mode_sd(k, number)
    return AnatomySpec(modes=tuple(sorted((m, k) for m, k in cleaned.items() if k != 0.0)))


def _mode_number(mode: Any, n_modes: int) -> int:
    try:
        number = int(mode) if not isinstance(mode, bool) and str(mode).strip().isdigit() else None
    except ValueError:
        number = None
    if number is None or not 1 <= number <= n_modes:
        raise ParameterError(f"shape mode must be a whole number from 1 to {n_modes}, got {mode!r}")
    return number


def parse_modes(text: str) -> dict[int, float]:
    """``"1=+2,3=-1"`` -> ``{1: 2.0, 3: -1.0}`` (mode = standard deviations, comma-separated)."""
    out: dict[int, float] = {}
    for item in str(text).split(","):
        mode, sep, value = item.partition("=")
        if not sep or not mode.strip() or not value.strip():
            raise ParameterError(f"--modes expects MODE=SD pairs like 1=+2,3=-1, got {item.strip()!r}")
        try:
            k = float(value)
        except ValueError:
            raise ParameterError(f"--modes: mode {mode.strip()} needs a number of standard deviations, "
                                 f"got {value.strip()!r}") from None
        out[mode.strip()] = k  # type: ignore[index]  # numbers are checked by make_spec
    return out


def spec_from_text(text: str) -> AnatomySpec:
    """``"bundled"``, ``"subject=7"``, ``"modes=1=+2,3=-1"`` or a folder path."""
    text = str(text).strip()
    if text.lower() in BUNDLED_WORDS:
        return BUNDLED
    if text.startswith("subject="):
        value = text.split("=", 1)[1].strip()
        if not value.isdigit():
            raise ParameterError(f"subject must be a whole number from 1 to {N_SUBJECTS}, got {value!r}")
        return make_spec(subject=int(value))
    if text.startswith("modes="):
        return make_spec(modes=parse_modes(text.split("=", 1)[1]))
    return make_spec(folder=text)


def spec_from_value(value: Any, base_dir: str | Path | None = None) -> AnatomySpec:
    """A spec from a scene file's ``anatomy`` value.

    ``"bundled"`` (or ``"mean"``), a folder path (relative to ``base_dir``, the scene file's folder),
    ``{ subject = 7 }`` or ``{ modes = { 1 = 2.0, 3 = -1.0 } }``.

    Raises
    ------
    ParameterError
        Saying what was expected; the scene parser adds the file, line and key.
    """
    if isinstance(value, str):
        if value.strip().lower() in BUNDLED_WORDS:
            return BUNDLED
        folder = Path(value).expanduser()
        if not folder.is_absolute() and base_dir is not None:
            folder = Path(base_dir) / folder
        if not folder.is_dir():
            raise ParameterError(f"expected \"bundled\", a folder of bones, {{ subject = N }} or {{ modes = {{ 1 = 2.0 }} }}; "
                                 f"folder {value!r} not found")
        return make_spec(folder=folder)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in ("subject", "modes")]
        if unknown or len(value) != 1:
            raise ParameterError(f"expected a table with one key, subject or modes, got {dict(value)!r}")
        if "subject" in value:
            return make_spec(subject=value["subject"])
        return make_spec(modes=value["modes"])
    raise ParameterError(f"expected \"bundled\", a folder of bones, {{ subject = N }} or {{ modes = {{ 1 = 2.0 }} }}, got {value!r}")


def as_spec(spec: Any = None, *, subject: Any = None, modes: Mapping[Any, Any] | None = None) -> AnatomySpec:
    """Everything :func:`load` accepts, as an :class:`AnatomySpec`."""
    if spec is not None and (subject is not None or modes is not None):
        raise ParameterError("give the anatomy either as a spec or as subject=/modes=, not both")
    if isinstance(spec, AnatomySpec):
        return spec
    if spec is None:
        return make_spec(subject=subject, modes=modes)
    if isinstance(spec, Path):
        return make_spec(folder=spec)
    if isinstance(spec, Mapping):
        return spec_from_value(spec)
    if isinstance(spec, str):
        return spec_from_text(spec)
    raise ParameterError(f"anatomy: expected 'bundled', a folder, subject= or modes=, got {spec!r}")


# --- building ---------------------------------------------------------------------------------

def _stderr(text: str) -> None:
    print(f"pelvisim: {text}", file=sys.stderr, flush=True)


def shape_nodes(spec: AnatomySpec) -> np.ndarray:
    """(3225, 3) node coordinates (CT frame, mm) of a subject or a shape-mode point."""
    model = read_shape_model()
    if spec.kind == "subject":
        return model.as_nodes(model.subject_flat(spec.subject))  # type: ignore[arg-type]
    if spec.kind == "modes":
        return model.as_nodes(model.modes_flat(dict(spec.modes)))
    raise ParameterError(f"{spec.key}: not a point of the shape model")


@lru_cache(maxsize=1)
def _atlases():
    from pelvisim.anatomy.build import read_femur_atlas, read_pelvis_atlas

    pelvis, femur = read_pelvis_atlas(), read_femur_atlas()
    mean = read_shape_model()
    nodes = mean.as_nodes(mean.mean)
    for what, atlas, block in (("pelvis", pelvis, PELVIS_NODES), ("left femur", femur, FEMUR_LEFT_NODES)):
        if np.abs(nodes[block] - atlas.nodes_mm).max() > 1e-6:  # rounding of the dataset's own files is 1e-13
            raise MeshError(f"shape model: the {what} nodes of its mean differ from the atlas mean; "
                            "the dataset's node layout is not the one pelvisim knows")
    return pelvis, femur


def build_spec(spec: AnatomySpec, progress: Progress | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """Build a subject or shape-mode point: ``(surfaces, landmarks, build report)``.

    The shape's nodes are repaired first (:mod:`pelvisim.anatomy.shape_repair`: folds smoothed out,
    deep sacroiliac overlap eased), then built exactly like the bundled mean
    (:func:`pelvisim.anatomy.build.build_anatomy`). ``surfaces`` maps bone name to
    ``(vertices_mm, faces)``; ``landmarks`` is in the layout of the bundled ``landmarks.json``; the
    report adds the repair figures to the build's.
    """
    from pelvisim.anatomy.build import HEMIPELVIS_ELEMENTS, SACRUM_ELEMENTS, SUBDIVISIONS, build_anatomy
    from pelvisim.anatomy.shape_repair import ease_deep_overlap, unfold

    say = progress or (lambda _text: None)
    pelvis, femur = _atlases()
    nodes = shape_nodes(spec)
    say("smoothing out folds of the shape model's surfaces")
    pelvis_bones = {"innominate_a": (HEMIPELVIS_ELEMENTS[0], SUBDIVISIONS["innominate"]),
                    "innominate_b": (HEMIPELVIS_ELEMENTS[1], SUBDIVISIONS["innominate"]),
                    "sacrum": (SACRUM_ELEMENTS, SUBDIVISIONS["sacrum"])}
    pelvis_nodes, pelvis_fix = unfold(pelvis, nodes[PELVIS_NODES], pelvis_bones)
    femur_nodes, femur_fix = unfold(femur, nodes[FEMUR_LEFT_NODES], {"femur": (list(femur.element_ids), SUBDIVISIONS["femur"])})
    say("easing deep overlap at the sacroiliac joints")
    shape = replace(pelvis, nodes_mm=pelvis_nodes)
    ilia = [Surface(*triangulate(shape, r, SUBDIVISIONS["innominate"])).outward() for r in HEMIPELVIS_ELEMENTS]
    shape, ease = ease_deep_overlap(shape, SACRUM_ELEMENTS, ilia, SUBDIVISIONS["sacrum"])
    built = build_anatomy(shape, replace(femur, nodes_mm=femur_nodes), progress=progress)
    surfaces = {name: (s.vertices, s.faces) for name, s in built.surfaces.items()}
    report = dict(built.report)
    report.update({
        "fold_smoothing_pelvis_rms_mm": round(pelvis_fix.node_change_rms_mm, 3),
        "fold_smoothing_pelvis_max_mm": round(pelvis_fix.node_change_max_mm, 3),
        "folded_faces_after_global_smoothing": pelvis_fix.folded_faces_before + femur_fix.folded_faces_before,
        "fold_local_passes": max(pelvis_fix.local_rounds, femur_fix.local_rounds),
        "folded_faces_left": pelvis_fix.folded_faces_left + femur_fix.folded_faces_left,
        "fold_smoothing_femur_rms_mm": round(femur_fix.node_change_rms_mm, 3),
        "fold_smoothing_femur_max_mm": round(femur_fix.node_change_max_mm, 3),
        **{f"sij_{side}_overlap_before_ease_mm": round(v, 3) for side, v in ease.overlap_before_mm.items()},
        **{f"sij_{side}_eased_mm": round(v, 3) for side, v in ease.moved_mm.items()},
    })
    return surfaces, built.landmarks, report


def _anatomy(surfaces: Mapping[str, tuple[np.ndarray, np.ndarray]], landmarks: Mapping[str, dict], source: str) -> Anatomy:
    bones = {name: Bone(name, *surfaces[name]) for name in BONES if name in surfaces}
    lms = {}
    for name, e in landmarks.items():
        normal = e.get("normal")
        lms[name] = Landmark(name, e["bone"], np.asarray(e["position_mm"], dtype=float),
                             None if normal is None else np.asarray(normal, dtype=float), e.get("radius_mm"), e.get("area_mm2"))
    return Anatomy(bones, lms, joint_frames(lms), source=source)


def source_text(spec: AnatomySpec) -> str:
    """The ``Anatomy.source`` of a subject or shape-mode point."""
    from pelvisim.anatomy.build import DATASET, dataset_version

    return f"{spec.label}{SHAPE_SOURCE_MARK}, {DATASET} {dataset_version()} (MPL-2.0)"


# --- the disk cache ---------------------------------------------------------------------------

def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/pelvisim/anatomy`` (``~/.cache/pelvisim/anatomy`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pelvisim" / "anatomy"


@lru_cache(maxsize=1)
def rules_version() -> str:
    """Fingerprint of the code that shapes a built anatomy: pelvisim's version and the modules' source."""
    import pelvisim

    digest = hashlib.sha256(pelvisim.__version__.encode())
    here = Path(__file__).parent
    for name in _RULE_MODULES:
        path = here / f"{name}.py"
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return digest.hexdigest()[:16]


def cache_path(spec: AnatomySpec) -> Path:
    """Cache file of a subject or shape-mode point (dataset version + spec + rules version)."""
    from pelvisim.anatomy.build import dataset_version

    key = json.dumps({"dataset": dataset_version(), "spec": spec.key, "rules": rules_version()}, sort_keys=True)
    stem = spec.key.replace("=", "-").replace(":", "").replace(",", "_").replace("+", "p").replace(".", "_")
    return cache_dir() / f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def _write_cache(path: Path, surfaces, landmarks, report, source: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for name, (V, F) in surfaces.items():
        arrays[f"{name}.vertices_mm"], arrays[f"{name}.faces"] = np.asarray(V, float), np.asarray(F, np.int64)
    arrays["meta.json"] = np.array(json.dumps({"landmarks": landmarks, "build": report, "source": source}))
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _read_cache(path: Path) -> Anatomy:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta.json"]))
        surfaces = {name: (data[f"{name}.vertices_mm"], data[f"{name}.faces"]) for name in BONES
                    if f"{name}.vertices_mm" in data.files}
    return _anatomy(surfaces, meta["landmarks"], meta["source"])


def build_report(anatomy_spec: Any) -> dict[str, float]:
    """The build figures (SIJ overlap before correction, largest move, closest approach …) of a spec.

    The bundled mean's come from its ``landmarks.json``; a subject's or shape-mode point's from the
    cache (built first when not cached).
    """
    spec = as_spec(anatomy_spec)
    if spec.kind == "bundled":
        from pelvisim.anatomy.io import default_mesh_dir

        return json.loads((default_mesh_dir() / "landmarks.json").read_text(encoding="utf-8")).get("build", {})
    if spec.kind == "folder":
        raise ParameterError(f"{spec.key}: a folder of your own bones has no build figures")
    path = cache_path(spec)
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta.json"]))["build"]
    return build_spec(spec)[2]


# --- the one entry point ----------------------------------------------------------------------

def load(spec: Any = None, *, subject: Any = None, modes: Mapping[Any, Any] | None = None,
         progress: Progress | None = _stderr, use_cache: bool = True) -> Anatomy:
    """The anatomy of ``spec``: bundled (default), an LLP26 subject, a shape-mode point, or a folder.

    Parameters
    ----------
    spec : AnatomySpec, str, Path or dict, optional
        ``None`` or ``"bundled"``: the bundled mean of 26; ``"subject=7"``; ``"modes=1=+2,3=-1"``;
        a folder (``str`` or ``Path``) of your own bones, read by :func:`pelvisim.anatomy.load_anatomy`;
        ``{"subject": 7}`` or ``{"modes": {1: 2.0}}``.
    subject : int, optional
        LLP26 subject, 1–26 (instead of ``spec``).
    modes : dict, optional
        ``{mode: standard deviations}``, modes 1–25, at most ±3 SD (instead of ``spec``).
    progress : callable, optional
        Receives a line before each build step and any cache notice (default: printed to stderr;
        ``None`` for silence). Nothing is printed when the anatomy comes from a cache.
    use_cache : bool
        Read and write the disk cache (default True).

    Returns
    -------
    Anatomy
        Bones and landmarks in the pelvic frame at neutral; the same object for the same spec
        within one process.

    Examples
    --------
    >>> from pelvisim.anatomy import sources
    >>> anatomy = sources.load(subject=7)                      # doctest: +SKIP
    >>> wide = sources.load(modes={1: +2.0, 3: -1.0})         # doctest: +SKIP
    """
    resolved = as_spec(spec, subject=subject, modes=modes)
    if resolved.kind in ("bundled", "folder"):
        from pelvisim.anatomy.io import load_anatomy

        return load_anatomy(resolved.folder)
    say = progress or (lambda _text: None)
    path = cache_path(resolved)
    memo = str(path)
    if memo in _MEMORY:
        _MEMORY.move_to_end(memo)
        return _MEMORY[memo]
    anatomy = None
    if use_cache and path.exists():
        try:
            anatomy = _read_cache(path)
        except Exception as error:  # a damaged cache file is rebuilt, never trusted
            say(f"the cached {resolved.label} could not be read ({type(error).__name__}); rebuilding it")
    if anatomy is None:
        start = time.perf_counter()
        say(f"building {resolved.label} from the shape model (first use takes a few seconds"
            f"{'; cached afterwards' if use_cache else ''})")
        surfaces, landmarks, report = build_spec(resolved, progress=lambda step: say(f"  {step}"))
        source = source_text(resolved)
        anatomy = _anatomy(surfaces, landmarks, source)
        say(f"  done in {time.perf_counter() - start:.1f} s")
        if use_cache:
            try:
                _write_cache(path, surfaces, landmarks, report, source)
            except OSError as error:
                say(f"cannot write the anatomy cache in {path.parent} ({error.strerror or error}); "
                    "using the anatomy built in memory (set XDG_CACHE_HOME to a writable folder to keep it)")
    _MEMORY[memo] = anatomy
    while len(_MEMORY) > _MEMORY_SIZE:
        _MEMORY.popitem(last=False)
    return anatomy


def clear_memory() -> None:
    """Forget the anatomies kept in this process (the disk cache stays)."""
    _MEMORY.clear()



# --- naming a pelvis in a panel title -----------------------------------------------------------

def pelvis_label(anatomy: Anatomy) -> str:
    """Words naming the pelvis of ``anatomy`` (``LLP26 subject 7``, ``your bones (scan/)``); empty for
    the bundled mean.

    Read from :attr:`Anatomy.source` as written by :func:`source_text` (subjects, shape-mode points)
    and by :func:`pelvisim.anatomy.user.load_user_anatomy` (``user meshes from scan/``).
    """
    source = str(getattr(anatomy, "source", "") or "")
    if source.startswith(USER_SOURCE_PREFIX):
        return f"your bones ({source[len(USER_SOURCE_PREFIX):].split(';')[0].strip()})"
    if SHAPE_SOURCE_MARK in source:
        return source.split(SHAPE_SOURCE_MARK, 1)[0]
    return ""


def panel_title(title: str, anatomy: Anatomy) -> str:
    """``title`` with the pelvis named (``… — LLP26 subject 7``) unless it is the bundled mean or the
    title already names it (``Subject 7 at rest``, ``Shape mode 1, +2 SD``)."""
    label = pelvis_label(anatomy)
    if not label:
        return title
    words = title.lower()
    subject = re.fullmatch(r"LLP26 subject (\d+)", label)
    if subject:
        named = re.search(rf"\bsubject {subject.group(1)}\b", words) is not None
    elif label.startswith("mean shape, "):
        named = all(re.search(rf"\bmode {m}\b", words) for m in re.findall(r"mode (\d+)", label))
    else:
        named = label.lower() in words
    if named:
        return title
    return f"{title} — {label}" if title else label
