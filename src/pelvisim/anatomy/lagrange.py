"""Lagrange surface elements: basis functions and fine triangulation.

The ABI atlas meshes describe each bone as a patchwork of Lagrange surface elements:

* ``quad_L<p>_L<q>``: a tensor-product element with (p+1)×(q+1) nodes at the equally spaced
  parameters ``(i/p, j/q)``, numbered row by row (``index = j·(p+1) + i``, u fastest);
* ``simplex_L<p>_L<p>``: a triangle with (p+1)(p+2)/2 nodes at ``(i/p, j/p)`` with ``i + j <= p``,
  numbered in rows of p+1, p, …, 1 nodes (``j`` = row, ``i`` along the row).

A basis is built generically from its node parameters: the monomials that span the element's
polynomial space, inverted at the nodes (a Vandermonde solve), so interpolation at the nodes is
exact by construction and one code path serves cubic pelvis and quartic femur elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from pelvisim.errors import MeshError

_BASIS_PATTERN = re.compile(r"^(quad|simplex)_L(\d)_L(\d)$")


@dataclass(frozen=True)
class ElementBasis:
    """Node layout and polynomial basis of one Lagrange element type.

    Attributes
    ----------
    name : str
        e.g. ``"quad_L3_L3"``.
    node_params : ndarray, shape (n_nodes, 2)
        Parameter coordinates (u, v) of the nodes, in local node order.
    exponents : ndarray of int, shape (n_nodes, 2)
        Monomial exponents (a, b) of ``u**a * v**b`` spanning the element's space.
    coefficients : ndarray, shape (n_nodes, n_nodes)
        ``basis(u, v) = monomials(u, v) @ coefficients``.
    """

    name: str
    kind: str
    degrees: tuple[int, int]
    node_params: NDArray[np.float64]
    exponents: NDArray[np.int64]
    coefficients: NDArray[np.float64]

    @property
    def n_nodes(self) -> int:
        """Number of nodes of the element."""
        return int(len(self.node_params))

    def evaluate(self, params: NDArray) -> NDArray[np.float64]:
        """Basis values (n_points, n_nodes) at parameter points (n_points, 2)."""
        uv = np.asarray(params, dtype=float)
        mono = uv[:, :1] ** self.exponents[:, 0] * uv[:, 1:] ** self.exponents[:, 1]
        return mono @ self.coefficients


@lru_cache(maxsize=None)
def element_basis(name: str) -> ElementBasis:
    """The :class:`ElementBasis` for a basis name such as ``"quad_L3_L3"`` or ``"simplex_L4_L4"``."""
    match = _BASIS_PATTERN.match(name)
    if not match:
        raise MeshError(f"Unsupported element basis {name!r}: expected 'quad_L<p>_L<q>' or 'simplex_L<p>_L<p>'")
    kind, p, q = match.group(1), int(match.group(2)), int(match.group(3))
    if kind == "quad":
        params = [(i / p, j / q) for j in range(q + 1) for i in range(p + 1)]
        exps = [(a, b) for b in range(q + 1) for a in range(p + 1)]
    else:
        if p != q:
            raise MeshError(f"Unsupported simplex basis {name!r}: both degrees must match")
        params = [(i / p, j / p) for j in range(p + 1) for i in range(p + 1 - j)]
        exps = [(a, b) for b in range(p + 1) for a in range(p + 1 - b)]
    node_params = np.array(params, dtype=float)
    exponents = np.array(exps, dtype=np.int64)
    vandermonde = node_params[:, :1] ** exponents[:, 0] * node_params[:, 1:] ** exponents[:, 1]
    coefficients = np.linalg.inv(vandermonde)
    return ElementBasis(name, kind, (p, q), node_params, exponents, coefficients)


@lru_cache(maxsize=None)
def sample_grid(kind: str, subdivisions: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Parameter points and triangles that subdivide a unit quad or triangle ``subdivisions`` times.

    Returns
    -------
    params : ndarray, shape (n_points, 2)
    triangles : ndarray of int, shape (n_triangles, 3)
        Counter-clockwise in (u, v), so their normals follow ``∂x/∂u × ∂x/∂v``.
    """
    n = int(subdivisions)
    if n < 1:
        raise ValueError(f"subdivisions must be >= 1, got {subdivisions}")
    tris: list[tuple[int, int, int]] = []
    if kind == "quad":
        params = [(i / n, j / n) for j in range(n + 1) for i in range(n + 1)]
        index = lambda i, j: j * (n + 1) + i  # noqa: E731
        for j in range(n):
            for i in range(n):
                a, b, c, d = index(i, j), index(i + 1, j), index(i + 1, j + 1), index(i, j + 1)
                tris += [(a, b, c), (a, c, d)]
    elif kind == "simplex":
        params, index_of = [], {}
        for j in range(n + 1):
            for i in range(n + 1 - j):
                index_of[i, j] = len(params)
                params.append((i / n, j / n))
        for j in range(n):
            for i in range(n - j):
                tris.append((index_of[i, j], index_of[i + 1, j], index_of[i, j + 1]))
                if i + j + 2 <= n:
                    tris.append((index_of[i + 1, j], index_of[i + 1, j + 1], index_of[i, j + 1]))
    else:
        raise ValueError(f"kind must be 'quad' or 'simplex', got {kind!r}")
    return np.array(params, dtype=float), np.array(tris, dtype=np.int64)
