"""SE(3) helpers against hand calculations."""

import numpy as np
import pytest

from pelvisim import frames


def test_rotation_about_an_offset_axis_keeps_the_axis_point_fixed():
    T = frames.rotation_about_axis([0, 0, 1], np.pi / 2, point_mm=[10, 0, 0])
    np.testing.assert_allclose(frames.apply(T, [10, 0, 5]), [10, 0, 5], atol=1e-12)
    np.testing.assert_allclose(frames.apply(T, [20, 0, 0]), [10, 10, 0], atol=1e-12)  # quarter turn


def test_invert_and_compose():
    rng = np.random.default_rng(1)
    for _ in range(10):
        T = frames.rotation_about_axis(rng.normal(size=3), rng.uniform(-3, 3), rng.normal(size=3) * 50)
        np.testing.assert_allclose(T @ frames.invert(T), np.eye(4), atol=1e-12)
        assert frames.is_rigid(T)


def test_log_exp_round_trip_and_power_keeps_the_screw_axis():
    T = frames.rotation_about_axis([0, 0, 1], np.radians(2.0), point_mm=[-100, -10, 0])
    np.testing.assert_allclose(frames.exp(frames.log(T)), T, atol=1e-12)
    T20 = frames.power(T, 20)
    np.testing.assert_allclose(T20, frames.rotation_about_axis([0, 0, 1], np.radians(40.0), [-100, -10, 0]), atol=1e-9)


def test_mirror_is_a_proper_rotation_and_flips_the_right_side_to_the_left():
    T = frames.rotation_about_axis([0, 1, 0], 0.1, point_mm=[0, 0, 50])  # right side forward about a right-side axis
    M = frames.mirror(T)
    assert frames.is_rigid(M)
    p_right = np.array([0.0, 0.0, 100.0])
    np.testing.assert_allclose(frames.apply(M, frames.mirror_points(p_right)),
                               frames.mirror_points(frames.apply(T, p_right)), atol=1e-12)


def test_zero_axis_is_rejected():
    with pytest.raises(ValueError, match="non-zero"):
        frames.rotation_matrix([0, 0, 0], 1.0)
