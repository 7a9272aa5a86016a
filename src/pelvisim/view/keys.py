"""The app's keyboard map, as data: one table drives the shortcuts and the ``?`` help.

No Qt here: key sequences are Qt's portable text form (``"Ctrl+S"``, ``"PgDown"``), turned into
shortcuts by :mod:`pelvisim.view.app`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One keyboard shortcut.

    Attributes
    ----------
    keys : tuple of str
        Qt key sequences that trigger it (several for clickers and laptops).
    action : str
        Name of the window method-level action (see ``MainWindow.run_action``).
    says : str
        What it does, in plain words, for the ``?`` help.
    """

    keys: tuple[str, ...]
    action: str
    says: str


KEYMAP: tuple[Key, ...] = (
    Key(("Space",), "play_pause", "Play / pause the gait cycle"),
    Key(("Right",), "phase_forward", "Gait phase forward 1 %"),
    Key(("Left",), "phase_back", "Gait phase back 1 %"),
    Key(("Home",), "phase_start", "Gait phase to the start (heel strike)"),
    Key(("1",), "view:anterior", "Anterior view"),
    Key(("2",), "view:posterior", "Posterior view"),
    Key(("3",), "view:superior", "Superior view (from above)"),
    Key(("4",), "view:inferior", "Inferior view (from below)"),
    Key(("5",), "view:left", "Left side view"),
    Key(("6",), "view:right", "Right side view"),
    Key(("R",), "reset", "Reset camera and parameters"),
    Key(("+", "="), "magnify_up", "More magnification"),
    Key(("-",), "magnify_down", "Less magnification (down to true scale)"),
    Key(("G",), "overlay:ghost", "Ghost of the neutral pose on / off"),
    Key(("L",), "overlay:landmarks", "Landmarks on / off"),
    Key(("A",), "overlay:axes", "Joint axes on / off"),
    Key(("C",), "overlay:colour_map", "Displacement colour map on / off"),
    Key(("T",), "overlay:trails", "ASIS / PSIS trails on / off"),
    Key(("P",), "overlay:palpation", "Palpation-error spheres on / off"),
    Key(("F",), "overlay:femurs", "Femurs on / off"),
    Key(("D",), "overlay:descriptors", "Descriptor text in the 3D view on / off"),
    Key(("F5", "F11"), "presentation", "Presentation mode (full screen, large text, no controls)"),
    Key(("Esc",), "leave_presentation", "Leave presentation mode"),
    Key(("PgDown",), "next_scene", "Next scene in the folder (clicker: next)"),
    Key(("PgUp",), "previous_scene", "Previous scene in the folder (clicker: back)"),
    Key(("Ctrl+S",), "screenshot", "Save a screenshot (PNG)"),
    Key(("Ctrl+R",), "record", "Record this: one gait cycle to MP4"),
    Key(("?", "F1"), "help", "Show this keyboard map"),
    Key(("Ctrl+Q",), "quit", "Quit"),
)
"""Every shortcut of the app, in the order the help lists them."""


def help_text() -> str:
    """The keyboard map as aligned plain text (for the ``?`` dialog and ``--help`` epilog)."""
    width = max(len(" / ".join(k.keys)) for k in KEYMAP)
    return "\n".join(f"{' / '.join(k.keys):<{width}}   {k.says}" for k in KEYMAP)
