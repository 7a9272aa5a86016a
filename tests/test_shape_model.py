"""The LLP26 shape model: read safely, evaluated into subjects and shape-mode points."""

import io
import os
import pickle

import numpy as np
import pytest

from pelvisim.anatomy.build import read_femur_atlas, read_pelvis_atlas
from pelvisim.anatomy.shape_model import (
    FEMUR_LEFT_NODES,
    PELVIS_NODES,
    read_pickled_arrays,
    read_shape_model,
    shape_model_path,
)
from pelvisim.errors import MeshError, ParameterError


class _Boom:
    """An object whose unpickling would run ``os.system``: the classic pickle attack."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def _write(tmp_path, obj, name="model.pc"):
    path = tmp_path / name
    path.write_bytes(pickle.dumps(obj, protocol=4))
    return path


def test_a_pickle_of_arrays_reads(tmp_path):
    path = _write(tmp_path, {"mean": np.arange(6.0), "SD": None, "w": np.eye(2)})
    data = read_pickled_arrays(path)
    np.testing.assert_array_equal(data["mean"], np.arange(6.0))
    assert data["SD"] is None


@pytest.mark.parametrize("evil", [_Boom(), {"mean": np.zeros(3), "x": _Boom()}, {"f": print},
                                  {"c": __import__("collections").OrderedDict()}])
def test_any_other_global_is_refused(tmp_path, evil):
    path = _write(tmp_path, evil)
    with pytest.raises(MeshError, match="refused global"):
        read_pickled_arrays(path)


CALLS: list = []


def _record(text):
    CALLS.append(text)


class _Recorder:
    def __reduce__(self):
        return (_record, ("ran",))


def test_refusal_happens_before_the_global_runs(tmp_path):
    CALLS.clear()
    path = _write(tmp_path, {"mean": np.zeros(3), "payload": _Recorder()})
    with pytest.raises(MeshError):
        read_pickled_arrays(path)
    assert CALLS == []
    # control: plain pickle would have run it (so the test above is not vacuous)
    pickle.load(io.BytesIO(path.read_bytes()))
    assert CALLS == ["ran"]


def test_the_installed_model_needs_only_array_globals():
    model = read_shape_model()
    assert model.mean.shape == (9675,) and model.modes.shape == (9675, 26)
    assert model.n_modes == 25  # 26 subjects span 25 modes; the 26th variance is ~1e-22


def test_mean_blocks_are_the_atlas_pelvis_and_left_femur():
    """Independent of the shape model's own arrays: the atlas .geof files hold the mean nodes."""
    model = read_shape_model()
    nodes = model.as_nodes(model.mean)
    np.testing.assert_allclose(nodes[PELVIS_NODES], read_pelvis_atlas().nodes_mm, atol=1e-9)
    np.testing.assert_allclose(nodes[FEMUR_LEFT_NODES], read_femur_atlas().nodes_mm, atol=1e-9)


def test_subject_1_is_column_0_of_the_projected_weights():
    # recomputed straight from the file with numpy, not through ShapeModel
    data = read_pickled_arrays(shape_model_path())
    expected = data["mean"] + data["modes"] @ data["projectedWeights"][:, 0]
    np.testing.assert_allclose(read_shape_model().subject_flat(1), expected, atol=1e-9)
    # subject 26 is the last column
    expected = data["mean"] + data["modes"] @ data["projectedWeights"][:, 25]
    np.testing.assert_allclose(read_shape_model().subject_flat(26), expected, atol=1e-9)


def test_subjects_are_the_mean_on_average():
    """The scores of each mode have mean ≈ 0 over the subjects, so the subjects average to the mean."""
    model = read_shape_model()
    average = np.mean([model.subject_flat(j) for j in range(1, 27)], axis=0)
    np.testing.assert_allclose(average, model.mean, atol=1e-6)


@pytest.mark.parametrize("mode", [1, 2, 5])
@pytest.mark.parametrize("k", [-2.0, 1.0, 2.5])
def test_k_sd_along_a_mode_moves_along_that_mode_only(mode, k):
    model = read_shape_model()
    step = model.modes_flat({mode: k}) - model.mean
    scores = model.modes.T @ step  # unit orthogonal columns: the coordinates of the step
    expected = np.zeros(26)
    expected[mode - 1] = k * np.sqrt(model.variances_mm2[mode - 1])
    np.testing.assert_allclose(scores, expected, atol=1e-6)


def test_one_sd_is_the_spread_of_the_subjects_along_that_mode():
    model = read_shape_model()
    for mode in (1, 2, 3):
        scores = model.subject_scores[mode - 1]
        assert model.sd_mm(mode) == pytest.approx(np.std(scores, ddof=1), rel=1e-6)


@pytest.mark.parametrize("bad", [0, 27, -1, 2.5, True, "7"])
def test_subject_out_of_range_is_refused(bad):
    with pytest.raises(ParameterError, match="1 to 26"):
        read_shape_model().subject_flat(bad)


@pytest.mark.parametrize("modes, words", [({0: 1.0}, "1 to 25"), ({26: 1.0}, "1 to 25"), ({1: 3.5}, "-3 to \\+3"),
                                          ({1: float("nan")}, "number of standard deviations")])
def test_bad_mode_weights_are_refused(modes, words):
    with pytest.raises(ParameterError, match=words):
        read_shape_model().modes_flat(modes)
