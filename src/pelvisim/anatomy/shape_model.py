"""The LLP26 shape model of the pelvis and lower limb, read safely, evaluated into node coordinates.

``musculoskeletal-models`` ships ``shape_models/LLP26_rigid.pc``: a principal-component model over
26 subjects (Auckland Bioengineering Institute; MPL-2.0). It is a pickle of a dict of numpy arrays.
A plain ``pickle.load`` would run any code a tampered file names, so :func:`read_pickled_arrays`
uses an unpickler that resolves only the three globals numpy needs to rebuild an array
(``_reconstruct``, ``ndarray``, ``dtype``) and refuses every other one.

Facts checked against version 0.2.4 (see also DATASET.md in the project's reference notes):

* ``mean`` (9675,) is laid out in blocks, not interleaved: ``mean.reshape(3, 3225).T`` gives 3225
  nodes (x, y, z; mm; the CT frame of the atlas). Nodes 0–1945 are the pelvis (equal to
  ``pelvis_combined_cubic_mean_rigid_LLP26.geof`` to 1e-13 mm), 1946–2579 the left femur (equal to
  ``femur_left_mean_rigid_LLP26.geof``), then the left patella (74 nodes) and tibia/fibula (571).
* ``modes`` (9675, 26) has unit columns; ``weights`` (26,) is each mode's variance (sample variance
  of the subjects' scores; the 26th is ~1e-22: 26 subjects span 25 modes);
  ``projectedWeights`` (26, 26) holds the subjects' scores, rows = modes, columns = subjects.
* Subject *j*: ``mean + modes @ projectedWeights[:, j]``. Mode *m* at *k* standard deviations:
  ``mean + k * sqrt(weights[m]) * modes[:, m]``.

Subjects and modes are numbered from 1 at every human edge (CLI, scene files, the app): subject 1
is column 0 of ``projectedWeights``, mode 1 is column 0 of ``modes``.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pelvisim.errors import DataNotFoundError, MeshError, ParameterError

DATASET = "musculoskeletal-models"
SHAPE_MODEL_FILE = "shape_models/LLP26_rigid.pc"
N_SUBJECTS = 26
PELVIS_NODES = slice(0, 1946)
FEMUR_LEFT_NODES = slice(1946, 2580)
MAX_MODE_SD = 3.0  # beyond ±3 SD a shape lies outside 99.7 % of a normal population: refused

# numpy's own array reconstructor, however numpy names its module (numpy.core before 2.0, numpy._core since)
_RECONSTRUCT = np.ndarray((0,)).__reduce__()[0]
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can rebuild numpy arrays and builtin containers, and nothing else."""

    def find_class(self, module: str, name: str):  # noqa: D102 - pickle's hook
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}: only numpy arrays are allowed") from None


def read_pickled_arrays(path: str | Path) -> dict:
    """Read a pickle that holds only builtin containers and numpy arrays.

    Raises
    ------
    MeshError
        When the file names any other global (it is refused before anything of it runs) or is not
        a readable pickle of a dict.
    """
    path = Path(path)
    try:
        data = _ArraysOnlyUnpickler(io.BytesIO(path.read_bytes())).load()
    except FileNotFoundError:
        raise DataNotFoundError(f"{path}: shape model file not found") from None
    except pickle.UnpicklingError as error:
        raise MeshError(f"{path}: not a plain pickle of numpy arrays ({error})") from None
    except Exception as error:  # truncated or corrupt files raise many types inside pickle
        raise MeshError(f"{path}: could not be read as a pickle ({type(error).__name__}: {error})") from None
    if not isinstance(data, dict):
        raise MeshError(f"{path}: expected a dict of arrays, got {type(data).__name__}")
    return data


@dataclass(frozen=True, eq=False)
class ShapeModel:
    """Principal components of the 26 LLP26 subjects (all arrays read-only, mm).

    Attributes
    ----------
    mean : ndarray, shape (3 * n_nodes,)
        Blocked layout: all x, then all y, then all z.
    modes : ndarray, shape (3 * n_nodes, 26)
        Unit principal directions.
    variances_mm2 : ndarray, shape (26,)
        Variance of each mode over the subjects.
    subject_scores : ndarray, shape (26, 26)
        Rows = modes, columns = subjects.
    """

    mean: NDArray[np.float64]
    modes: NDArray[np.float64]
    variances_mm2: NDArray[np.float64]
    subject_scores: NDArray[np.float64]

    @property
    def n_nodes(self) -> int:
        """Number of nodes (pelvis, left femur, patella, tibia and fibula)."""
        return len(self.mean) // 3

    @property
    def n_modes(self) -> int:
        """Modes that carry variance (25 for 26 subjects)."""
        return int((self.variances_mm2 > 1e-9 * self.variances_mm2.max()).sum())

    def sd_mm(self, mode: int) -> float:
        """Standard deviation of mode ``mode`` (1-based), mm."""
        return float(np.sqrt(self.variances_mm2[self._mode_index(mode)]))

    def _mode_index(self, mode: int) -> int:
        if isinstance(mode, bool) or not isinstance(mode, (int, np.integer)) or not 1 <= mode <= self.n_modes:
            raise ParameterError(f"shape mode must be a whole number from 1 to {self.n_modes}, got {mode!r}")
        return int(mode) - 1

    def as_nodes(self, flat: NDArray) -> NDArray[np.float64]:
        """(n_nodes, 3) coordinates from the blocked layout."""
        return np.asarray(flat, dtype=float).reshape(3, self.n_nodes).T

    def subject_flat(self, subject: int) -> NDArray[np.float64]:
        """``mean + modes @ subject_scores[:, subject - 1]``: the training subject (1-based), blocked."""
        check_subject(subject)
        return self.mean + self.modes @ self.subject_scores[:, subject - 1]

    def modes_flat(self, mode_sd: Mapping[int, float]) -> NDArray[np.float64]:
        """The mean moved ``k`` standard deviations along each mode ``m`` (1-based) of ``{m: k}``."""
        flat = self.mean.copy()
        for mode, k in mode_sd.items():
            flat += check_mode_sd(k, mode) * self.sd_mm(mode) * self.modes[:, self._mode_index(mode)]
        return flat


def check_subject(subject: object) -> int:
    """``subject`` as an int from 1 to 26, or a :class:`ParameterError`."""
    if isinstance(subject, bool) or not isinstance(subject, (int, np.integer)) or not 1 <= subject <= N_SUBJECTS:
        raise ParameterError(f"subject must be a whole number from 1 to {N_SUBJECTS} (the LLP26 subjects), got {subject!r}")
    return int(subject)


def check_mode_sd(value: object, mode: object) -> float:
    """A mode weight in standard deviations, finite and within ±:data:`MAX_MODE_SD`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not np.isfinite(value):
        raise ParameterError(f"shape mode {mode}: expected a number of standard deviations, got {value!r}")
    if abs(value) > MAX_MODE_SD:
        raise ParameterError(f"shape mode {mode}: expected -{MAX_MODE_SD:g} to +{MAX_MODE_SD:g} standard deviations "
                             f"(beyond that the shape is outside 99.7 % of people), got {value:+g}")
    return float(value)


def shape_model_path() -> Path:
    """Path of ``LLP26_rigid.pc`` in the installed dataset package."""
    try:
        from musculoskeletal.models import get_model_path
    except ImportError:
        raise DataNotFoundError(f"The {DATASET} package is needed for the 26 subjects and shape modes: "
                                f"pip install {DATASET}") from None
    path = get_model_path(SHAPE_MODEL_FILE)
    if path is None or not Path(path).exists():
        raise DataNotFoundError(f"{DATASET}: {SHAPE_MODEL_FILE} not found in the installed package")
    return Path(path)


@lru_cache(maxsize=1)
def read_shape_model(path: str | Path | None = None) -> ShapeModel:
    """Read and check the LLP26 shape model (default: the installed dataset's file)."""
    path = Path(path) if path is not None else shape_model_path()
    data = read_pickled_arrays(path)
    try:
        arrays = [np.asarray(data[k], dtype=float) for k in ("mean", "modes", "weights", "projectedWeights")]
    except (KeyError, TypeError, ValueError) as error:
        raise MeshError(f"{path}: expected arrays mean, modes, weights and projectedWeights ({error})") from None
    mean, modes, variances, scores = arrays
    n = len(mean)
    if (mean.ndim != 1 or n % 3 or modes.shape != (n, N_SUBJECTS) or variances.shape != (N_SUBJECTS,)
            or scores.shape != (N_SUBJECTS, N_SUBJECTS) or n // 3 < FEMUR_LEFT_NODES.stop):
        raise MeshError(f"{path}: unexpected array shapes mean {mean.shape}, modes {modes.shape}, "
                        f"weights {variances.shape}, projectedWeights {scores.shape}")
    for a in arrays:
        a.setflags(write=False)
    return ShapeModel(mean, modes, variances, scores)
