"""Soft tissue of the pelvic ring: ligaments, muscles, force closure and the L5 (model layer, no view)."""
