"""The Lagrange element evaluator, checked against the elements' own definition."""

import numpy as np
import pytest

from pelvisim.anatomy.lagrange import element_basis, sample_grid
from pelvisim.errors import MeshError

BASES = ["quad_L3_L3", "simplex_L3_L3", "quad_L4_L4", "quad_L4_L3", "simplex_L4_L4"]


@pytest.mark.parametrize("name", BASES)
def test_interpolation_at_nodes_is_exact(name):
    basis = element_basis(name)
    values = basis.evaluate(basis.node_params)
    np.testing.assert_allclose(values, np.eye(basis.n_nodes), atol=1e-10)


@pytest.mark.parametrize("name", BASES)
def test_partition_of_unity_and_linear_reproduction(name):
    basis = element_basis(name)
    rng = np.random.default_rng(0)
    uv = rng.random((50, 2))
    if basis.kind == "simplex":
        uv = uv[uv.sum(axis=1) <= 1]
    N = basis.evaluate(uv)
    np.testing.assert_allclose(N.sum(axis=1), 1.0, atol=1e-10)
    # nodes placed on a plane x = 2u + 3v reproduce that plane everywhere
    x_nodes = 2 * basis.node_params[:, 0] + 3 * basis.node_params[:, 1]
    np.testing.assert_allclose(N @ x_nodes, 2 * uv[:, 0] + 3 * uv[:, 1], atol=1e-10)


def test_node_counts_follow_the_basis_names():
    assert element_basis("quad_L3_L3").n_nodes == 16
    assert element_basis("simplex_L3_L3").n_nodes == 10
    assert element_basis("simplex_L4_L4").n_nodes == 15
    assert element_basis("quad_L4_L3").n_nodes == 20


def test_triangle_node_rows_are_4_3_2_1():
    params = element_basis("simplex_L3_L3").node_params
    assert [tuple(p) for p in params[[0, 3, 9]]] == [(0, 0), (1, 0), (0, 1)]
    np.testing.assert_allclose(params[4], [0, 1 / 3])


@pytest.mark.parametrize("kind,n,expected", [("quad", 4, 32), ("simplex", 4, 16)])
def test_sample_grid_triangle_count_and_area(kind, n, expected):
    params, tris = sample_grid(kind, n)
    assert len(tris) == expected
    a, b, c = params[tris[:, 0]], params[tris[:, 1]], params[tris[:, 2]]
    signed = 0.5 * ((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])
    assert np.all(signed > 0)  # counter-clockwise
    assert signed.sum() == pytest.approx(1.0 if kind == "quad" else 0.5)


def test_unknown_basis_is_a_clear_error():
    with pytest.raises(MeshError, match="quad_L<p>_L<q>"):
        element_basis("hermite_bicubic")
