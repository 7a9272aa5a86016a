"""Qt widgets of the app's control column, generated from the model registry.

Each widget shows part of an :class:`~pelvisim.view.state.AppState` and emits a signal when the
user changes it; the window (:mod:`pelvisim.view.app`) updates the state and the 3D panels. None
of these widgets touches the 3D view, so they run under ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from pelvisim.models import MODELS
from pelvisim.parameters import Parameter, Value
from pelvisim.scene import LESSON_VIEWS
from pelvisim.view.camera import VIEW_PRESETS
from pelvisim.view.state import MAGNIFICATIONS, OVERLAYS, VIEWS, PanelChoice, magnification_text

UNIT_TEXT = {"deg": "°", "mm": " mm", "kg": " kg", "×": "×", "": ""}
MAGNIFICATION_LABEL = "Magnification, panels without their own"
"""The Display box's magnification row; a panel's own factor (a scene's ×20 panel) is in its panel box."""
SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0)
"""Playback speeds in gait cycles per second."""


def slider_step(parameter: Parameter) -> float:
    """Slider resolution for ``parameter``: a power of ten giving 100–1000 steps over its range."""
    span = float(parameter.maximum) - float(parameter.minimum)  # type: ignore[arg-type]
    return 10.0 ** math.ceil(math.log10(span / 1000.0)) if span > 0 else 1.0


def descriptor_rows(descriptors: Any) -> list[tuple[str, str]]:
    """``(what, clinical words)`` rows of the live table, from :func:`pelvisim.descriptors.describe`."""
    rows = [
        ("Left innominate", descriptors.innominate_left.words or "neutral"),
        ("Right innominate", descriptors.innominate_right.words or "neutral"),
        ("Sacrum", descriptors.sacrum.words or "neutral"),
    ]
    for finding in descriptors.findings:
        if abs(float(finding.difference)) >= 0.05:
            rows.append((finding.name, f"{finding.words} — {finding.verdict}"))
    return rows


class KeySlider(QtWidgets.QSlider):
    """A slider that keeps its navigation keys (arrows, Page Up/Down, Home/End) when it has focus.

    Without this, window-wide shortcuts on the same keys (gait phase, next scene) would win.
    """

    NAVIGATION_KEYS = frozenset({
        QtCore.Qt.Key.Key_Left, QtCore.Qt.Key.Key_Right, QtCore.Qt.Key.Key_Up, QtCore.Qt.Key.Key_Down,
        QtCore.Qt.Key.Key_PageUp, QtCore.Qt.Key.Key_PageDown, QtCore.Qt.Key.Key_Home, QtCore.Qt.Key.Key_End,
    })

    def event(self, event: QtCore.QEvent) -> bool:  # noqa: D102 - Qt override
        if event.type() == QtCore.QEvent.Type.ShortcutOverride and event.key() in self.NAVIGATION_KEYS:  # type: ignore[attr-defined]
            event.accept()
            return True
        return super().event(event)


class ParameterControl(QtWidgets.QWidget):
    """One parameter: label, slider + number box with unit (or a drop-down), and a reset button.

    Keyboard: the slider takes arrow keys (one step) and Page Up/Down (ten steps) when focused;
    the number box takes typed values.
    """

    changed = QtCore.Signal(str, object)
    """``(parameter name, new value)`` whenever the user changes the value."""

    def __init__(self, parameter: Parameter, value: Value, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.parameter = parameter
        self._updating = False
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        self.label = QtWidgets.QLabel(parameter.label)
        self.label.setWordWrap(True)
        tip = [parameter.positive_means and f"Positive: {parameter.positive_means}."]
        if parameter.in_vivo_limit is not None:
            tip.append(f"Measured in vivo: up to {parameter.in_vivo_limit:g} {parameter.unit}.")
        if parameter.source:
            tip.append(f"Source: {parameter.source}")
        self.setToolTip("\n".join(t for t in tip if t))
        layout.addWidget(self.label, 0, 0, 1, 3)
        self.slider: QtWidgets.QSlider | None = None
        self.number: QtWidgets.QDoubleSpinBox | None = None
        self.combo: QtWidgets.QComboBox | None = None
        if parameter.is_choice:
            self.combo = QtWidgets.QComboBox()
            self.combo.addItems(list(parameter.choices or ()))
            self.combo.currentTextChanged.connect(self._combo_changed)
            layout.addWidget(self.combo, 1, 0, 1, 2)
        else:
            self.step = slider_step(parameter)
            self.slider = KeySlider(QtCore.Qt.Orientation.Horizontal)
            self.slider.setRange(0, round((float(parameter.maximum) - float(parameter.minimum)) / self.step))  # type: ignore[arg-type]
            self.slider.setSingleStep(1)
            self.slider.setPageStep(10)
            self.slider.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
            self.slider.valueChanged.connect(self._slider_changed)
            self.number = QtWidgets.QDoubleSpinBox()
            decimals = max(0, -int(math.floor(math.log10(self.step))))
            self.number.setDecimals(decimals)
            self.number.setRange(float(parameter.minimum), float(parameter.maximum))  # type: ignore[arg-type]
            self.number.setSingleStep(self.step)
            self.number.setSuffix(UNIT_TEXT.get(parameter.unit, f" {parameter.unit}"))
            self.number.setKeyboardTracking(False)
            self.number.valueChanged.connect(self._number_changed)
            layout.addWidget(self.slider, 1, 0)
            layout.addWidget(self.number, 1, 1)
        self.reset_button = QtWidgets.QToolButton()
        self.reset_button.setText("↺")
        self.reset_button.setToolTip(f"Reset to {parameter.default}")
        self.reset_button.clicked.connect(self.reset)
        layout.addWidget(self.reset_button, 1, 2)
        layout.setColumnStretch(0, 1)
        self.set_value(value)

    # the value shown ------------------------------------------------------------------------
    def value(self) -> Value:
        """The value the control shows."""
        if self.combo is not None:
            return self.combo.currentText()
        assert self.number is not None
        return float(self.number.value())

    def set_value(self, value: Value) -> None:
        """Show ``value`` without emitting :attr:`changed`."""
        self._updating = True
        try:
            if self.combo is not None:
                self.combo.setCurrentText(str(value))
            else:
                assert self.slider is not None and self.number is not None
                self.number.setValue(float(value))
                self.slider.setValue(round((float(value) - float(self.parameter.minimum)) / self.step))  # type: ignore[arg-type]
        finally:
            self._updating = False

    def reset(self) -> None:
        """Back to the parameter's default (emits :attr:`changed`)."""
        self.set_value(self.parameter.default)
        self.changed.emit(self.parameter.name, self.value())

    # signals from the widgets -----------------------------------------------------------------
    def _slider_changed(self, position: int) -> None:
        if self._updating:
            return
        value = float(self.parameter.minimum) + position * self.step  # type: ignore[arg-type]
        value = min(max(round(value, 10), float(self.parameter.minimum)), float(self.parameter.maximum))  # type: ignore[arg-type]
        self._updating = True
        try:
            assert self.number is not None
            self.number.setValue(value)
        finally:
            self._updating = False
        self.changed.emit(self.parameter.name, value)

    def _number_changed(self, value: float) -> None:
        if self._updating:
            return
        self._updating = True
        try:
            assert self.slider is not None
            self.slider.setValue(round((value - float(self.parameter.minimum)) / self.step))  # type: ignore[arg-type]
        finally:
            self._updating = False
        self.changed.emit(self.parameter.name, float(value))

    def _combo_changed(self, text: str) -> None:
        if not self._updating:
            self.changed.emit(self.parameter.name, text)


SHAPE_SLIDER_MODES = (1, 2, 3)
"""Shape modes with a slider in each panel (the first three carry 64 % of the LLP26 variance)."""
SHAPE_SLIDER_STEPS_PER_SD = 2  # half-SD steps, -3 to +3 SD


class AnatomyChooser(QtWidgets.QWidget):
    """Which pelvis a panel shows: the window's, the mean, one of the 26 LLP26 subjects, or the mean
    moved along the first shape modes (sliders in standard deviations).

    Emits ``anatomy_changed`` with an :class:`~pelvisim.anatomy.sources.AnatomySpec` (or None for the
    window's own) when the choice is made; a slider emits when it is let go, since a new shape is
    built once (a few seconds on first use, then cached).
    """

    anatomy_changed = QtCore.Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.box = QtWidgets.QComboBox()
        self.box.setToolTip("The pelvis this panel shows. Subjects and shape modes: the LLP26 shape model "
                            "(26 adults, musculoskeletal-models)")
        self.box.addItem("Pelvis: as started", None)
        self.box.addItem("Pelvis: mean of 26", "bundled")
        for j in range(1, 27):
            self.box.addItem(f"Pelvis: subject {j} of 26", f"subject={j}")
        self.box.addItem("Pelvis: mean moved along shape modes", "modes")
        self.box.currentIndexChanged.connect(self._picked)
        layout.addWidget(self.box)
        self.sliders: dict[int, QtWidgets.QSlider] = {}
        self.slider_labels: dict[int, QtWidgets.QLabel] = {}
        self.mode_form = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(self.mode_form)
        form.setContentsMargins(0, 0, 0, 0)
        for mode in SHAPE_SLIDER_MODES:
            slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            slider.setRange(-3 * SHAPE_SLIDER_STEPS_PER_SD, 3 * SHAPE_SLIDER_STEPS_PER_SD)
            slider.setToolTip(f"shape mode {mode}, in standard deviations of the 26 subjects")
            label = QtWidgets.QLabel()
            slider.valueChanged.connect(lambda _v, m=mode: self._show_value(m))
            slider.sliderReleased.connect(self._modes_changed)
            slider.valueChanged.connect(lambda _v, s=slider: None if s.isSliderDown() else self._modes_changed())
            row = QtWidgets.QHBoxLayout()
            row.addWidget(slider, 1)
            row.addWidget(label)
            form.addRow(f"mode {mode}", row)
            self.sliders[mode], self.slider_labels[mode] = slider, label
            self._show_value(mode)
        self.mode_form.hide()
        layout.addWidget(self.mode_form)

    def mode_sd(self) -> dict[int, float]:
        """The sliders' values, standard deviations per mode."""
        return {m: s.value() / SHAPE_SLIDER_STEPS_PER_SD for m, s in self.sliders.items()}

    def spec(self) -> Any:
        """The chosen anatomy as an AnatomySpec (None: the window's)."""
        from pelvisim.anatomy.sources import as_spec

        data = self.box.currentData()
        if data is None:
            return None
        if data == "modes":
            return as_spec(modes={m: k for m, k in self.mode_sd().items() if k})
        return as_spec(data)

    def show_spec(self, spec: Any) -> None:
        """Show ``spec`` without emitting."""
        widgets = [self.box, *self.sliders.values()]
        for w in widgets:
            w.blockSignals(True)
        try:
            kind = getattr(spec, "kind", None)
            data = {None: None, "bundled": "bundled", "folder": None}.get(kind, "modes")
            if kind == "subject":
                data = f"subject={spec.subject}"
            self.box.setCurrentIndex(max(0, self.box.findData(data)))
            modes = dict(spec.modes) if kind == "modes" else {}
            for m, slider in self.sliders.items():
                slider.setValue(int(round(modes.get(m, 0.0) * SHAPE_SLIDER_STEPS_PER_SD)))
                self._show_value(m)
            self.mode_form.setVisible(kind == "modes")
        finally:
            for w in widgets:
                w.blockSignals(False)

    def _show_value(self, mode: int) -> None:
        self.slider_labels[mode].setText(f"{self.sliders[mode].value() / SHAPE_SLIDER_STEPS_PER_SD:+.1f} SD")

    def _picked(self, _row: int) -> None:
        self.mode_form.setVisible(self.box.currentData() == "modes")
        self.anatomy_changed.emit(self.spec())

    def _modes_changed(self) -> None:
        if self.box.currentData() == "modes":
            self.anatomy_changed.emit(self.spec())


class PanelControls(QtWidgets.QGroupBox):
    """Controls of one panel: model drop-down, its parameters, in-vivo warning and descriptor table."""

    model_changed = QtCore.Signal(int, str)
    value_changed = QtCore.Signal(int, str, object)
    magnification_changed = QtCore.Signal(int, object)
    """``(panel index, magnification or None)``: None follows the magnification of all panels."""
    anatomy_changed = QtCore.Signal(int, object)

    def __init__(self, index: int, choice: PanelChoice, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(f"Panel {index + 1}", parent)
        self.index = index
        layout = QtWidgets.QVBoxLayout(self)
        self.model_box = QtWidgets.QComboBox()
        for name, model in MODELS.items():
            self.model_box.addItem(model.title, name)
            self.model_box.setItemData(self.model_box.count() - 1, model.claim, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.model_box.currentIndexChanged.connect(self._model_picked)
        layout.addWidget(self.model_box)
        self.anatomy = AnatomyChooser()
        self.anatomy.anatomy_changed.connect(lambda spec: self.anatomy_changed.emit(self.index, spec))
        layout.addWidget(self.anatomy)
        self.claim = QtWidgets.QLabel()
        self.claim.setWordWrap(True)
        self.claim.setObjectName("claim")
        layout.addWidget(self.claim)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Magnification, this panel only"))
        self.magnification = QtWidgets.QComboBox()
        self.magnification.addItem("as all panels", None)
        for m in MAGNIFICATIONS:
            self.magnification.addItem(magnification_text(m), m)
        self.magnification.setToolTip("Sets this panel's display factor; the Display box sets all panels at once.")
        self.magnification.currentIndexChanged.connect(
            lambda row: self.magnification_changed.emit(self.index, self.magnification.itemData(row)))
        row.addWidget(self.magnification, 1)
        layout.addLayout(row)
        self.form = QtWidgets.QWidget()
        self.form_layout = QtWidgets.QVBoxLayout(self.form)
        self.form_layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.warning = QtWidgets.QLabel()
        self.warning.setWordWrap(True)
        self.warning.setObjectName("warning")
        self.warning.setStyleSheet("QLabel#warning { color: #b45309; font-weight: bold; }")
        self.warning.hide()
        layout.addWidget(self.warning)
        self.table = QtWidgets.QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["", "Reads as"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(True)
        self.table.setMinimumHeight(120)
        layout.addWidget(self.table)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.controls: dict[str, ParameterControl] = {}
        self._model = ""
        self.show_choice(choice)

    def show_choice(self, choice: PanelChoice) -> None:
        """Show ``choice``: rebuild the parameter form when the model changed, else update values."""
        self.anatomy.show_spec(choice.anatomy)
        if choice.model != self._model:
            self._model = choice.model
            self.model_box.blockSignals(True)
            self.model_box.setCurrentIndex(self.model_box.findData(choice.model))
            self.model_box.blockSignals(False)
            self.claim.setText(choice.positional_model.claim)
            for control in self.controls.values():
                control.setParent(None)
                control.deleteLater()
            self.controls = {}
            for parameter in choice.positional_model.parameters:
                control = ParameterControl(parameter, choice.values[parameter.name])
                control.changed.connect(lambda name, value: self.value_changed.emit(self.index, name, value))
                self.form_layout.addWidget(control)
                self.controls[parameter.name] = control
        else:
            for name, control in self.controls.items():
                control.set_value(choice.values[name])

    def show_magnification(self, magnification: float | None) -> None:
        """Show this panel's own magnification (None: as all panels) without emitting a signal."""
        self.magnification.blockSignals(True)
        try:
            row = self.magnification.findData(magnification)
            if row < 0:
                self.magnification.addItem(magnification_text(float(magnification)), float(magnification))
                row = self.magnification.count() - 1
            self.magnification.setCurrentIndex(row)
        finally:
            self.magnification.blockSignals(False)

    def show_warnings(self, lines: Sequence[str]) -> None:
        """The limit note: hidden when every value is within its limit. Each line says what its limit is
        (measured in vivo, or pelvisim's own threshold), so the heading claims neither."""
        self.warning.setText("⚠ Beyond a limit: " + "; ".join(lines) if lines else "")
        self.warning.setToolTip("\n".join(lines))
        self.warning.setVisible(bool(lines))

    def show_descriptors(self, descriptors: Any, extra_rows: Sequence[tuple[str, str]] = ()) -> None:
        """Fill the descriptor table (plus ``extra_rows``, e.g. the soft tissue's) and summary line."""
        rows = descriptor_rows(descriptors) + list(extra_rows)
        # A slider step changes a few numbers: rewrite only changed cells, and re-measure the
        # layout only when the rows themselves change (Qt then repaints just those cells).
        relayout = self.table.rowCount() != len(rows)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = self.table.item(r, c)
                if item is None:
                    self.table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
                    relayout = True
                elif item.text() != text:
                    relayout |= c == 0 or len(item.text()) != len(text)
                    item.setText(text)
        if relayout:
            self.table.resizeColumnToContents(0)
            self.table.resizeRowsToContents()
        if self.summary.text() != descriptors.summary:
            self.summary.setText(descriptors.summary)

    def table_text(self) -> list[tuple[str, str]]:
        """The table's rows as text (for tests and copying)."""
        return [
            (self.table.item(r, 0).text(), self.table.item(r, 1).text()) for r in range(self.table.rowCount())
        ]

    def _model_picked(self, row: int) -> None:
        self.model_changed.emit(self.index, str(self.model_box.itemData(row)))


class PlaybackBar(QtWidgets.QWidget):
    """Gait-phase scrubber with play/pause, speed and loop."""

    phase_changed = QtCore.Signal(float)
    play_toggled = QtCore.Signal(bool)
    speed_changed = QtCore.Signal(float)
    loop_toggled = QtCore.Signal(bool)

    STEPS = 1000

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.play = QtWidgets.QPushButton("▶ Play")
        self.play.setCheckable(True)
        self.play.toggled.connect(self._play_toggled)
        layout.addWidget(self.play)
        layout.addWidget(QtWidgets.QLabel("Gait phase"))
        self.scrubber = KeySlider(QtCore.Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, self.STEPS - 1)
        self.scrubber.setPageStep(50)
        self.scrubber.valueChanged.connect(self._scrubbed)
        layout.addWidget(self.scrubber, 1)
        self.phase_label = QtWidgets.QLabel("0 %")
        self.phase_label.setMinimumWidth(48)
        layout.addWidget(self.phase_label)
        layout.addWidget(QtWidgets.QLabel("Speed"))
        self.speed = QtWidgets.QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s:g} cycle/s", s)
        self.speed.currentIndexChanged.connect(lambda row: self.speed_changed.emit(float(self.speed.itemData(row))))
        layout.addWidget(self.speed)
        self.loop = QtWidgets.QCheckBox("Loop")
        self.loop.toggled.connect(self.loop_toggled.emit)
        layout.addWidget(self.loop)
        self._updating = False

    def show_state(self, phase: float, playing: bool, speed: float, loop: bool) -> None:
        """Show the playback state without emitting signals."""
        self._updating = True
        try:
            for w in (self.scrubber, self.play, self.speed, self.loop):
                w.blockSignals(True)
            self.scrubber.setValue(int(phase * self.STEPS))
            self.phase_label.setText(f"{phase * 100:.0f} %")
            self.play.setChecked(playing)
            self.play.setText("⏸ Pause" if playing else "▶ Play")
            row = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
            self.speed.setCurrentIndex(row)
            self.loop.setChecked(loop)
        finally:
            for w in (self.scrubber, self.play, self.speed, self.loop):
                w.blockSignals(False)
            self._updating = False

    def _scrubbed(self, value: int) -> None:
        self.phase_label.setText(f"{value / self.STEPS * 100:.0f} %")
        if not self._updating:
            self.phase_changed.emit(value / self.STEPS)

    def _play_toggled(self, on: bool) -> None:
        self.play.setText("⏸ Pause" if on else "▶ Play")
        if not self._updating:
            self.play_toggled.emit(on)


class DisplayBox(QtWidgets.QGroupBox):
    """Number of panels, magnification, overlays and view presets."""

    panel_count_changed = QtCore.Signal(int)
    magnification_changed = QtCore.Signal(float)
    overlay_toggled = QtCore.Signal(str, bool)
    view_picked = QtCore.Signal(str)
    reset_clicked = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Display", parent)
        layout = QtWidgets.QFormLayout(self)
        self.panel_count = QtWidgets.QSpinBox()
        self.panel_count.setRange(1, 4)
        self.panel_count.valueChanged.connect(self.panel_count_changed.emit)
        layout.addRow("Panels side by side", self.panel_count)
        self.magnification = QtWidgets.QComboBox()
        for m in MAGNIFICATIONS:
            self.magnification.addItem(magnification_text(m), m)
        self.magnification.currentIndexChanged.connect(
            lambda row: self.magnification_changed.emit(float(self.magnification.itemData(row)))
        )
        # Panels can keep their own factor (a scene's ×20 panel): this row sets the others, and choosing a
        # value here sets every panel (issue 10 review item 14: "all panels: true scale" beside a ×20 panel).
        layout.addRow(MAGNIFICATION_LABEL, self.magnification)
        self.magnification.setToolTip("Sets every panel that has no magnification of its own; choosing a value sets "
                                      "all panels and clears their own.")
        self.overlays: dict[str, QtWidgets.QCheckBox] = {}
        for name, label in OVERLAYS.items():
            box = QtWidgets.QCheckBox(label)
            box.toggled.connect(lambda on, name=name: self.overlay_toggled.emit(name, on))
            layout.addRow(box)
            self.overlays[name] = box
        views = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(views)
        grid.setContentsMargins(0, 0, 0, 0)
        self.view_buttons: dict[str, QtWidgets.QPushButton] = {}
        for i, view in enumerate(VIEWS):
            button = QtWidgets.QPushButton(f"{view.capitalize()} ({i + 1})")
            button.clicked.connect(lambda _=False, view=view: self.view_picked.emit(view))
            grid.addWidget(button, i // 3, i % 3)
            self.view_buttons[view] = button
        self.reset = QtWidgets.QPushButton("Reset (R)")
        self.reset.clicked.connect(self.reset_clicked.emit)
        grid.addWidget(self.reset, 2, 0, 1, 3)
        layout.addRow(views)
        self.lesson_view = QtWidgets.QComboBox()
        self.lesson_view.addItem("choose…", None)
        for view in LESSON_VIEWS:
            self.lesson_view.addItem(view.replace("_", " "), view)
            self.lesson_view.setItemData(self.lesson_view.count() - 1, VIEW_PRESETS[view].says,
                                         QtCore.Qt.ItemDataRole.ToolTipRole)
        self.lesson_view.activated.connect(self._lesson_view_picked)
        layout.addRow("Lesson view, all panels", self.lesson_view)

    def _lesson_view_picked(self, row: int) -> None:
        view = self.lesson_view.itemData(row)
        if view:
            self.view_picked.emit(str(view))

    def show_state(self, panel_count: int, magnification: float, overlays: dict[str, bool]) -> None:
        """Show these values without emitting signals."""
        widgets: list[QtCore.QObject] = [self.panel_count, self.magnification, *self.overlays.values()]
        for w in widgets:
            w.blockSignals(True)
        try:
            self.panel_count.setValue(panel_count)
            row = self.magnification.findData(magnification)
            if row < 0:
                self.magnification.addItem(magnification_text(magnification), magnification)
                row = self.magnification.count() - 1
            self.magnification.setCurrentIndex(row)
            for name, box in self.overlays.items():
                box.setChecked(bool(overlays.get(name)))
        finally:
            for w in widgets:
                w.blockSignals(False)


def presentation_style(on: bool) -> str:
    """Style sheet of presentation mode: large text, high contrast (white on black)."""
    if not on:
        return ""
    return (
        "QWidget { background: #000000; color: #ffffff; font-size: 22pt; }"
        "QLabel#warning { color: #ffd400; font-size: 22pt; }"
    )


def large_font(app: QtGui.QGuiApplication, points: int) -> QtGui.QFont:
    """The application font at ``points`` size (used for presentation mode)."""
    font = QtGui.QFont(app.font())
    font.setPointSize(points)
    return font
