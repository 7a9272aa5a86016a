"""``pelvisim claims``: each seed claim and textbook story against the model (computed) and the evidence."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``claims`` sub-command."""
    p = subparsers.add_parser(
        "claims", help="each claim: what it says, what the model shows (computed), what was measured, could a hand feel it",
        description="The claims table: every seed article's claim and every textbook story, what pelvisim's model "
                    "shows (computed now), what measurement says (source and method) and whether a hand could feel it.")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="machine-readable rows")
    form.add_argument("--markdown", action="store_true", help="the table as Markdown (docs/claims.md)")
    form.add_argument("--references", action="store_true", help="every cited source as Markdown (docs/references.md)")
    p.add_argument("--anatomy", default=None, help="anatomy folder (default: the bundled mean pelvis)")
    p.set_defaults(func=run_claims)


def run_claims(args: argparse.Namespace) -> int:
    """Print the claims table (or the references)."""
    from pelvisim import claims, references

    if args.references:
        print(references.markdown(), end="")
        return 0
    import pelvisim

    anatomy = pelvisim.load_anatomy(args.anatomy) if args.anatomy else pelvisim.load_anatomy()
    if args.json:
        print(json.dumps(claims.rows(anatomy), indent=2, ensure_ascii=False))
    elif args.markdown:
        print(claims.markdown(anatomy), end="")
    else:
        print(claims.text(anatomy))
    return 0
