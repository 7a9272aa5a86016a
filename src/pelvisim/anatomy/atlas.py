"""Read the ABI atlas meshes (``musculoskeletal-models`` on PyPI) and evaluate them into triangles.

File format (JSON, facts checked against the files of version 0.2.4):

* ``*.mesh``: ``elements`` maps element id → ``"<submesh> <type>"``; ``connectivity`` maps
  ``"<element>_<local node>"`` to the other ``"<element>_<local node>"`` keys that are the same
  global node (space-separated, possibly empty).
* ``*.ens``: ``basis`` maps each element type to a basis name (``quad_L3_L3``, ``simplex_L3_L3`` …).
* ``*.geof``: ``field_parameters`` maps ``"node 00000000"`` … to ``{"dim 0": x, "dim 1": y,
  "dim 2": z}`` (strings, mm).

Global nodes are numbered by walking the elements in numeric order and their local nodes in order;
a local node that an earlier one lists as connected gets that node's number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pelvisim.anatomy.lagrange import element_basis, sample_grid
from pelvisim.errors import DataNotFoundError, MeshError


@dataclass(frozen=True)
class AtlasMesh:
    """A Lagrange surface mesh: per element, its basis name and global node numbers."""

    name: str
    element_ids: tuple[int, ...]
    element_basis: tuple[str, ...]
    element_nodes: tuple[NDArray[np.int64], ...]
    nodes_mm: NDArray[np.float64]


def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise DataNotFoundError(f"{path}: file not found") from None
    except json.JSONDecodeError as error:
        raise MeshError(f"{path}: not valid JSON ({error})") from None


def read_atlas(mesh_path: Path, ens_path: Path, geof_path: Path) -> AtlasMesh:
    """Read one atlas mesh from its ``.mesh``, ``.ens`` and ``.geof`` files."""
    mesh, ens, geof = _read_json(mesh_path), _read_json(ens_path), _read_json(geof_path)
    basis_of_type = ens["basis"]
    connectivity: dict[str, str] = mesh["connectivity"]
    global_id: dict[str, int] = {}
    ids, bases, nodes = [], [], []
    next_id = 0
    for element in sorted(mesh["elements"], key=int):
        element_type = mesh["elements"][element].split()[1]
        basis = element_basis(basis_of_type[element_type])
        local = np.empty(basis.n_nodes, dtype=np.int64)
        for k in range(basis.n_nodes):
            key = f"{element}_{k}"
            if key not in global_id:
                global_id[key] = next_id
                for other in connectivity.get(key, "").split():
                    global_id.setdefault(other, next_id)
                next_id += 1
            local[k] = global_id[key]
        ids.append(int(element))
        bases.append(basis.name)
        nodes.append(local)
    params = geof["field_parameters"]
    if len(params) != next_id:
        raise MeshError(f"{geof_path}: expected {next_id} nodes for {mesh_path.name}, found {len(params)}")
    coords = np.array(
        [[float(params[f"node {i:08d}"][f"dim {d}"]) for d in range(3)] for i in range(next_id)], dtype=float
    )
    return AtlasMesh(mesh["name"], tuple(ids), tuple(bases), tuple(nodes), coords)


def triangulate(atlas: AtlasMesh, element_ids: range | list[int], subdivisions: int) -> tuple[NDArray, NDArray]:
    """Evaluate elements on a fine grid and weld them into one triangle mesh.

    Neighbouring elements share their edge nodes, so their edges sampled at the same
    ``subdivisions`` coincide up to rounding; coincident points (closer than 1e-6 mm) are merged,
    which closes the cracks between elements.

    Returns
    -------
    vertices_mm : ndarray, shape (n, 3)
    faces : ndarray of int, shape (m, 3)
        Oriented per element by its parametrisation; :func:`orient_outward` makes them consistent.
    """
    wanted = set(element_ids)
    points, faces, offset = [], [], 0
    for eid, basis_name, local in zip(atlas.element_ids, atlas.element_basis, atlas.element_nodes):
        if eid not in wanted:
            continue
        basis = element_basis(basis_name)
        params, tris = sample_grid(basis.kind, subdivisions)
        points.append(basis.evaluate(params) @ atlas.nodes_mm[local])
        faces.append(tris + offset)
        offset += len(params)
    if not points:
        raise MeshError(f"{atlas.name}: no elements among {sorted(wanted)[:5]}…")
    return weld(np.vstack(points), np.vstack(faces))


def weld(vertices: NDArray, faces: NDArray, tolerance_mm: float = 1e-6) -> tuple[NDArray, NDArray]:
    """Merge vertices closer than ``tolerance_mm``; drop triangles that collapse."""
    tree = cKDTree(vertices)
    pairs = tree.query_pairs(tolerance_mm, output_type="ndarray")
    parent = np.arange(len(vertices))
    # union-find over the (few) coincident pairs, always keeping the smaller index as the root
    for a, b in sorted(map(tuple, pairs)):
        ra, rb = a, b
        while parent[ra] != ra:
            ra = parent[ra]
        while parent[rb] != rb:
            rb = parent[rb]
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    for i in range(len(parent)):
        parent[i] = parent[parent[i]]
    keep, new_index = np.unique(parent, return_inverse=True)
    F = new_index[faces]
    ok = (F[:, 0] != F[:, 1]) & (F[:, 1] != F[:, 2]) & (F[:, 0] != F[:, 2])
    return vertices[keep], F[ok]
