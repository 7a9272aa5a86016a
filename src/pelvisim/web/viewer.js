/* pelvisim lesson viewer: plain WebGL 1, no library, nothing fetched.
 *
 * Reads the JSON block #pelvisim-meta and the base64 arrays #pelvisim-data written by
 * pelvisim.web.page. Poses and readouts were computed in Python on samples of the timeline and
 * of each slider; this file interpolates them linearly and builds the displayed pose exactly as
 * pelvisim.pose.pose does: W * exp(m * twist) per pelvic bone, the femurs following their
 * innominate unmagnified. Coordinates: pelvic frame, mm (+X anterior, +Y superior, +Z right).
 *
 * What each panel shows follows the desktop panels (pelvisim.view): its own view preset (hidden
 * bones, the sacrum cut at the midline with its cap and outline, SIJ close-ups), axis rods fitted
 * outside the bone with an x-ray copy, displacement arrows ("arrows xN"), the colour map relative
 * to the sacrum with its colour bar, the compact readout of at most four numbers, the joint-limit
 * notes and the overlap note, and a gait strip under gait scenes.
 */
(function () {
  "use strict";

  var META = JSON.parse(document.getElementById("pelvisim-meta").textContent);
  var BYTES = decodeBase64(document.getElementById("pelvisim-data").textContent.trim());
  var NEGLIGIBLE = META.negligible; /* deg or mm: pelvisim.descriptors.NEGLIGIBLE, "none" below it */
  var TYPED = { f64: Float64Array, f32: Float32Array, u16: Uint16Array, u32: Uint32Array };
  var SLOTS = 6; /* twists per sample: sacrum, innominate L/R, hip L/R, world */
  var PELVIC = ["sacrum", "innominate_left", "innominate_right"];
  var FOV_DEG = 30; /* VTK's default view angle, as in the app and the videos */
  var FILL = 0.86; /* pelvisim.view.camera.FILL: share of the panel the fitted box takes */
  var TRAIL_RADIUS_MM = 1.0; /* the app draws 3-pixel lines; WebGL lines are one pixel wide, so tubes */
  var CUT_OUTLINE_RADIUS_MM = 0.6; /* the cut's outline as a tube (the app: a 3-pixel line) */
  var XRAY_OPACITY = 0.35; /* pelvisim.view.overlays.XRAY_OPACITY: axis rods seen through bone */
  var FIGURE_SPACE = "\u2007", MINUS = "\u2212"; /* pelvisim.view.readout: fixed-width numbers */
  var ARROW_SIDES = 10; /* pelvisim.view.overlays.ARROW_SIDES */

  function decodeBase64(text) {
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function array(ref) {
    return new TYPED[ref[2]](BYTES.buffer, ref[0], ref[1]);
  }

  function $(id) { return document.getElementById(id); }

  function element(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function hexColour(hex) {
    var h = hex.replace("#", "");
    return [parseInt(h.substr(0, 2), 16) / 255, parseInt(h.substr(2, 2), 16) / 255, parseInt(h.substr(4, 2), 16) / 255];
  }

  function clamp(x, lo, hi) { return Math.min(hi, Math.max(lo, x)); }

  /* ---------------------------------------------------------------- rigid transforms ------ */
  /* 4x4 matrices, column-major (m[col * 4 + row]) as WebGL wants them, in float64. */
  function identity() { var m = new Float64Array(16); m[0] = m[5] = m[10] = m[15] = 1; return m; }

  function multiply(a, b) {
    var out = new Float64Array(16);
    for (var c = 0; c < 4; c++) {
      for (var r = 0; r < 4; r++) {
        out[c * 4 + r] = a[r] * b[c * 4] + a[4 + r] * b[c * 4 + 1] + a[8 + r] * b[c * 4 + 2] + a[12 + r] * b[c * 4 + 3];
      }
    }
    return out;
  }

  /* The inverse of a rigid transform (R, t): (R^T, -R^T t). */
  function invertRigid(m) {
    var out = identity();
    for (var r = 0; r < 3; r++) for (var c = 0; c < 3; c++) out[c * 4 + r] = m[r * 4 + c];
    for (r = 0; r < 3; r++) out[12 + r] = -(out[r] * m[12] + out[4 + r] * m[13] + out[8 + r] * m[14]);
    return out;
  }

  /* pelvisim.frames.exp of factor * twist; twist = [w (rad), v (mm)] at offset o of t. */
  function expTwist(t, o, factor) {
    var wx = t[o] * factor, wy = t[o + 1] * factor, wz = t[o + 2] * factor;
    var vx = t[o + 3] * factor, vy = t[o + 4] * factor, vz = t[o + 5] * factor;
    var theta = Math.sqrt(wx * wx + wy * wy + wz * wz);
    /* K = skew(w); K2 = K @ K */
    var K = [0, -wz, wy, wz, 0, -wx, -wy, wx, 0]; /* row-major */
    var K2 = new Array(9);
    for (var i = 0; i < 3; i++) for (var j = 0; j < 3; j++) {
      K2[i * 3 + j] = K[i * 3] * K[j] + K[i * 3 + 1] * K[3 + j] + K[i * 3 + 2] * K[6 + j];
    }
    var a, b, c;
    if (theta < 1e-9) { a = 1; b = 0; c = 0; } else {
      a = Math.sin(theta) / theta;
      b = (1 - Math.cos(theta)) / (theta * theta);
      c = (theta - Math.sin(theta)) / (theta * theta * theta);
    }
    var R = new Array(9), V = new Array(9);
    for (var k = 0; k < 9; k++) {
      var eye = (k === 0 || k === 4 || k === 8) ? 1 : 0;
      R[k] = eye + a * K[k] + b * K2[k];
      V[k] = theta < 1e-9 ? eye + 0.5 * K[k] : eye + b * K[k] + c * K2[k];
    }
    var m = identity();
    for (var r = 0; r < 3; r++) {
      for (var col = 0; col < 3; col++) m[col * 4 + r] = R[r * 3 + col];
      m[12 + r] = V[r * 3] * vx + V[r * 3 + 1] * vy + V[r * 3 + 2] * vz;
    }
    return m;
  }

  function apply(m, p) {
    return [m[0] * p[0] + m[4] * p[1] + m[8] * p[2] + m[12],
            m[1] * p[0] + m[5] * p[1] + m[9] * p[2] + m[13],
            m[2] * p[0] + m[6] * p[1] + m[10] * p[2] + m[14]];
  }

  function rotate(m, v) {
    return [m[0] * v[0] + m[4] * v[1] + m[8] * v[2], m[1] * v[0] + m[5] * v[1] + m[9] * v[2], m[2] * v[0] + m[6] * v[1] + m[10] * v[2]];
  }

  function translateScale(p, s) {
    var m = identity();
    m[0] = m[5] = m[10] = s;
    m[12] = p[0]; m[13] = p[1]; m[14] = p[2];
    return m;
  }

  function sub(a, b) { return [a[0] - b[0], a[1] - b[1], a[2] - b[2]]; }
  function add(a, b) { return [a[0] + b[0], a[1] + b[1], a[2] + b[2]]; }
  function scale(a, s) { return [a[0] * s, a[1] * s, a[2] * s]; }
  function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
  function cross(a, b) { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]; }
  function norm(a) { return Math.sqrt(dot(a, a)); }
  function unit(a) { var n = norm(a) || 1; return [a[0] / n, a[1] / n, a[2] / n]; }

  function rotateAbout(v, axis, angle) { /* Rodrigues */
    var k = unit(axis), c = Math.cos(angle), s = Math.sin(angle);
    return add(add(scale(v, c), scale(cross(k, v), s)), scale(k, dot(k, v) * (1 - c)));
  }

  function lookAt(eye, target, up) {
    var z = unit(sub(eye, target)), x = unit(cross(up, z)), y = cross(z, x);
    var m = identity();
    m[0] = x[0]; m[4] = x[1]; m[8] = x[2];
    m[1] = y[0]; m[5] = y[1]; m[9] = y[2];
    m[2] = z[0]; m[6] = z[1]; m[10] = z[2];
    m[12] = -dot(x, eye); m[13] = -dot(y, eye); m[14] = -dot(z, eye);
    return m;
  }

  function perspective(fovy, aspect, near, far) {
    var f = 1 / Math.tan(fovy / 2), m = new Float64Array(16);
    m[0] = f / aspect; m[5] = f; m[10] = (far + near) / (near - far); m[11] = -1; m[14] = 2 * far * near / (near - far);
    return m;
  }

  /* ---------------------------------------------------------------- samples --------------- */
  var TL = META.timeline;
  var PHASES = array(TL.phases);
  var CHANNELS = META.category_channels.length;
  var MOTIONS = META.motions.map(function (m) {
    var out = { meta: m, base: unpack(m.base), sliders: m.sliders.map(unpack) };
    out.base.values = array(m.base.values);
    return out;
  });

  function unpack(track) {
    return { n: track.n, grid: track.grid, twists: array(track.twists), readouts: array(track.readouts), texts: array(track.texts),
             overlap: array(track.overlap), tissue: track.tissue ? unpackTissue(track.tissue) : null };
  }

  /* pelvisim.web.tissue.packed_tissue decoded: per sample the L5 on the sacrum (3 rows of 4), each
     bundle's strain change (%-points, NaN when slack), each muscle's force (N). */
  function unpackTissue(packed) {
    var t = META.tissue, pose = array(packed.pose), strain = array(packed.strain), force = array(packed.force);
    var B = packed.bundles, M = packed.muscles, L = t.l5_values, K = L + B + M, n = pose.length / 6;
    var out = new Float64Array(n * K);
    for (var s = 0; s < n; s++) {
      var m = expTwist(pose, s * 6, 1), o = s * K;
      for (var r = 0; r < 3; r++) for (var c = 0; c < 4; c++) out[o + r * 4 + c] = m[c * 4 + r];
      for (var b = 0; b < B; b++) {
        var code = strain[s * B + b];
        out[o + L + b] = code === t.slack_code ? NaN : (code - 32768) * t.strain_step_percent;
      }
      for (var k = 0; k < M; k++) out[o + L + B + k] = force[s * M + k] * t.force_step_n;
    }
    return out;
  }

  function panelAnatomy(p) { return META.anatomies[META.panels[p].anatomy]; }
  function motionAnatomy(motion) { return META.anatomies[META.panels[META.motions[motion].panels[0]].anatomy]; }

  /* Where time t falls on n samples of the timeline: [[sample, weight], ...]. A gait timeline's
     sample k is at phase k / n (periodic), any other's at time k * duration / (n - 1). */
  function timeWeights(t, n) {
    if (n === 1) return [[0, 1]];
    var u, i0, i1;
    if (TL.axis === "phase") {
      u = phaseAt(t) * n;
      i0 = Math.floor(u) % n; i1 = (i0 + 1) % n;
      return [[i0, 1 - (u - Math.floor(u))], [i1, u - Math.floor(u)]];
    }
    u = clamp(t / TL.duration_s, 0, 1) * (n - 1);
    i0 = Math.min(Math.floor(u), n - 2); i1 = i0 + 1;
    return [[i0, 1 - (u - i0)], [i1, u - i0]];
  }

  function phaseAt(t) {
    if (TL.kind === "gait") {
      var p = (TL.start_phase + t / TL.seconds_per_cycle) % 1;
      return p < 0 ? p + 1 : p;
    }
    var w = timeWeights(t, TL.samples), best = w[0];
    for (var i = 1; i < w.length; i++) if (w[i][1] > best[1]) best = w[i];
    return PHASES[best[0]];
  }

  function gridWeights(grid, value) {
    if (grid.length === 1) return [[0, 1]];
    var v = clamp(value, grid[0], grid[grid.length - 1]);
    for (var g = 0; g < grid.length - 1; g++) {
      if (v <= grid[g + 1] || g === grid.length - 2) {
        var f = (grid[g + 1] === grid[g]) ? 0 : (v - grid[g]) / (grid[g + 1] - grid[g]);
        return [[g, 1 - f], [g + 1, f]];
      }
    }
    return [[0, 1]];
  }

  /* Blend twists (36 per sample) and readouts (R per sample) of a track at time t; texts and the
     overlap mask from the nearest sample (categories are never interpolated). */
  function sampleTrack(track, t, R, gridPairs) {
    var pairs = [], tw = timeWeights(t, track.n);
    (gridPairs || [[0, 1]]).forEach(function (g) {
      tw.forEach(function (s) { pairs.push([g[0] * track.n + s[0], g[1] * s[1]]); });
    });
    var twists = new Float64Array(SLOTS * 6), readouts = new Float64Array(R), best = pairs[0];
    pairs.forEach(function (p) {
      var i = p[0], w = p[1];
      if (w > best[1]) best = p;
      if (!w) return;
      for (var k = 0; k < SLOTS * 6; k++) twists[k] += w * track.twists[i * SLOTS * 6 + k];
      for (var r = 0; r < R; r++) readouts[r] += w * track.readouts[i * R + r];
    });
    var texts = [];
    for (var c = 0; c < CHANNELS; c++) texts.push(track.texts[best[0] * CHANNELS + c]);
    var tissue = null;
    if (track.tissue) { /* blended as the readouts (a slack bundle in either sample stays slack: NaN) */
      var K = track.tissue.length / (track.twists.length / (SLOTS * 6));
      tissue = new Float64Array(K);
      pairs.forEach(function (p) { if (p[1]) for (var k = 0; k < K; k++) tissue[k] += p[1] * track.tissue[p[0] * K + k]; });
    }
    return { twists: twists, readouts: readouts, texts: texts, overlap: track.overlap[best[0]], tissue: tissue };
  }

  /* The parameter values of a motion at time t (the timeline's; the slider overrides them). */
  function timelineValues(motion, t) {
    var m = MOTIONS[motion], out = {}, n = m.meta.base.n_values, P = m.sliders.length;
    var w = timeWeights(t, n);
    m.meta.sliders.forEach(function (s, j) {
      var v = 0;
      w.forEach(function (p) { v += p[1] * m.base.values[p[0] * P + j]; });
      out[s.name] = v;
    });
    return out;
  }

  function sameOverrides(a, b) {
    var ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every(function (k) { return b[k] === a[k]; });
  }

  /* What motion `index` shows at time t: twists, readouts, texts, overlap mask, and how. */
  function motionSample(index, t) {
    var st = state.motions[index], m = MOTIONS[index], R = motionAnatomy(index).readout_columns.length;
    if (st.live && sameOverrides(st.live.overrides, st.overrides) && Object.keys(st.overrides).length) {
      var live = sampleTrack(st.live.track, t, R);
      live.source = "kernel";
      return live;
    }
    if (st.last !== null && st.overrides[m.meta.sliders[st.last].name] !== undefined) {
      var slider = m.sliders[st.last];
      var out = sampleTrack(slider, t, R, gridWeights(slider.grid, st.overrides[m.meta.sliders[st.last].name]));
      out.source = "grid";
      out.keyRows = m.meta.sliders[st.last].key_rows;
      return out;
    }
    var base = sampleTrack(m.base, t, R);
    base.source = "timeline";
    return base;
  }

  /* ---------------------------------------------------------------- state ----------------- */
  var EXPLICIT = !!META.camera.position_mm;
  var state = {
    t: 0,
    playing: false,
    magnification: "scene",
    chosenView: null, /* null: every panel shows its scene view; else the view picked for all */
    cameras: {}, /* per camera group (cameraKey) */
    overlays: META.panels.map(function (p) { var o = {}; for (var k in p.overlays) o[k] = !!p.overlays[k]; return o; }),
    motions: MOTIONS.map(function () { return { overrides: {}, last: null, live: null, pending: null }; }),
    live: false,
    frames: 0,
    firstFrameMs: null
  };

  function panelMagnification(p) {
    return state.magnification === "scene" ? META.panels[p].magnification : state.magnification;
  }

  function magnificationText(m) {
    if (Math.abs(m - 1) < 1e-9) return "true scale";
    return "×" + formatNumber(m) + " — " + (m > 1 ? "exaggerated" : "reduced");
  }

  function formatNumber(x) { return String(Math.round(x * 1000) / 1000); }

  /* The badge of a panel: its magnification and, when drawn, the arrows' length factor (Panel._badge_text). */
  function badgeText(p) {
    var text = magnificationText(panelMagnification(p));
    if (state.overlays[p].arrows) text += " · arrows ×" + formatNumber(META.arrows.scale);
    return text;
  }

  /* Displayed transforms of every bone of panel p from a sample (pelvisim.pose.pose). */
  function boneTransforms(sample, magnification) {
    var tw = sample.twists;
    var W = expTwist(tw, 5 * 6, 1);
    var T = {};
    PELVIC.forEach(function (bone, i) { T[bone] = multiply(W, expTwist(tw, i * 6, magnification)); });
    T.femur_left = multiply(T.innominate_left, expTwist(tw, 3 * 6, 1));
    T.femur_right = multiply(T.innominate_right, expTwist(tw, 4 * 6, 1));
    T.world = W;
    return T;
  }

  /* True-scale displacements in the pelvic frame (T_pelvis; the femurs: innominate then hip). */
  function trueTransforms(sample) {
    var tw = sample.twists, T = {};
    PELVIC.forEach(function (bone, i) { T[bone] = expTwist(tw, i * 6, 1); });
    T.femur_left = multiply(T.innominate_left, expTwist(tw, 3 * 6, 1));
    T.femur_right = multiply(T.innominate_right, expTwist(tw, 4 * 6, 1));
    return T;
  }

  /* ---------------------------------------------------------------- views ----------------- */
  /* The view a panel shows now, and the key of the camera it shares (Stage._camera_groups). */
  function cameraKey(p) {
    if (state.chosenView) return state.chosenView;
    if (EXPLICIT && !META.panels[p].own_view) return "explicit";
    return META.panels[p].view;
  }

  /* The view preset whose bones and cut a panel shows (an explicit camera uses the scene's view). */
  function viewOf(p) {
    var key = cameraKey(p);
    return key === "explicit" ? META.camera.view : key;
  }

  function preset(p) { return META.views[viewOf(p)]; }

  function boneShown(p, bone) {
    if (preset(p).hidden.indexOf(bone) >= 0) return false;
    if (bone.indexOf("femur") === 0 && !state.overlays[p].femurs) return false;
    return true;
  }

  /* The kept half of a cut sacrum: points on the normal's side of the plane (Panel._SacrumCut). */
  function cutOf(p) {
    var keep = preset(p).cut_keep, cut = panelAnatomy(p).cut;
    if (!keep || !cut) return null;
    var normal = [0, 0, keep === "right" ? 1 : -1];
    return { keep: keep, origin: cut.origin_mm, normal: normal, tolerance: cut.keep_tolerance_mm };
  }

  function landmarkVisible(p, l) {
    if (!boneShown(p, l.bone)) return false;
    var cut = cutOf(p);
    if (l.bone === "sacrum" && cut) return dot(sub(l.position_mm, cut.origin), cut.normal) >= -cut.tolerance;
    return true;
  }

  /* ---------------------------------------------------------------- WebGL ----------------- */
  var canvas = $("canvas");
  var gl = null;
  var program = null, locations = {};
  var meshes = []; /* per anatomy */
  var shared = {};
  var glError = null;

  var STOPS = META.theme.colour_stops.length;

  var VERTEX_SHADER = [
    "attribute vec3 aPos;",
    "attribute vec3 aNormal;",
    "uniform mat4 uModel;",
    "uniform mat4 uView;",
    "uniform mat4 uProj;",
    "uniform mat3 uNormalMatrix;",
    "uniform mat4 uTrue;",
    "uniform float uRamp;",
    "uniform vec2 uRange;",
    "uniform vec3 uColour;",
    "uniform vec3 uStops[" + STOPS + "];",
    "varying vec3 vNormal;",
    "varying vec3 vPos;",
    "varying vec3 vColour;",
    "varying vec3 vModelPos;",
    "void main() {",
    "  vec4 eye = uView * uModel * vec4(aPos, 1.0);",
    "  vPos = eye.xyz;",
    "  vModelPos = aPos;",
    "  vNormal = uNormalMatrix * aNormal;",
    "  vColour = uColour;",
    "  if (uRamp > 0.5) {",
    "    float d = length((uTrue * vec4(aPos, 1.0)).xyz - aPos);",
    "    float x = clamp((d - uRange.x) / (uRange.y - uRange.x), 0.0, 1.0) * " + (STOPS - 1) + ".0;",
    "    int i = int(min(floor(x), " + (STOPS - 2) + ".0));",
    "    vColour = mix(uStops[i], uStops[i + 1], x - float(i));",
    "  }",
    "  gl_Position = uProj * eye;",
    "}"
  ].join("\n");

  var FRAGMENT_SHADER = [
    "#ifdef GL_FRAGMENT_PRECISION_HIGH",
    "precision highp float;",
    "#else",
    "precision mediump float;",
    "#endif",
    "uniform float uAlpha;",
    "uniform float uLit;",
    "uniform float uClipOn;",
    "uniform vec4 uClip;",
    "varying vec3 vNormal;",
    "varying vec3 vPos;",
    "varying vec3 vColour;",
    "varying vec3 vModelPos;",
    "void main() {",
    "  if (uClipOn > 0.5 && dot(uClip.xyz, vModelPos) + uClip.w < 0.0) discard;",
    "  vec3 c = vColour;",
    "  if (uLit > 0.5) {",
    "    vec3 n = normalize(vNormal);",
    "    if (!gl_FrontFacing) n = -n;",
    "    vec3 v = normalize(-vPos);",
    "    vec3 key = normalize(vec3(0.35, 0.45, 1.0));",
    "    vec3 fill = normalize(vec3(-0.6, -0.25, 0.5));",
    "    float s = pow(max(dot(n, normalize(key + v)), 0.0), 24.0) * 0.2;",
    "    c = c * (0.28 + 0.62 * max(dot(n, key), 0.0) + 0.22 * max(dot(n, fill), 0.0)) + vec3(s);",
    "  }",
    "  gl_FragColor = vec4(c, uAlpha);",
    "}"
  ].join("\n");

  function compile(type, source) {
    var s = gl.createShader(type);
    gl.shaderSource(s, source);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error("shader: " + gl.getShaderInfoLog(s));
    return s;
  }

  function setupGL() {
    var options = { antialias: true, preserveDrawingBuffer: true, alpha: true, premultipliedAlpha: false };
    gl = canvas.getContext("webgl", options) || canvas.getContext("experimental-webgl", options);
    if (!gl) throw new Error("no WebGL");
    program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, VERTEX_SHADER));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, FRAGMENT_SHADER));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error("program: " + gl.getProgramInfoLog(program));
    gl.useProgram(program);
    ["aPos", "aNormal"].forEach(function (n) { locations[n] = gl.getAttribLocation(program, n); });
    ["uModel", "uView", "uProj", "uNormalMatrix", "uTrue", "uRamp", "uRange", "uColour", "uStops", "uAlpha", "uLit",
     "uClipOn", "uClip"].forEach(function (n) {
      locations[n] = gl.getUniformLocation(program, n);
    });
    var stops = [];
    META.theme.colour_stops.forEach(function (c) { stops = stops.concat(hexColour(c)); });
    gl.uniform3fv(locations.uStops, new Float32Array(stops));
    gl.uniform2f(locations.uRange, META.colour_map.range_mm[0], META.colour_map.range_mm[1]);
    gl.enable(gl.DEPTH_TEST);
    gl.enable(gl.SCISSOR_TEST);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    var wide = !!gl.getExtension("OES_element_index_uint");
    META.anatomies.forEach(function (anatomy) {
      var own = { bones: {}, axes: {}, cap: null, outlines: [] };
      anatomy.bones.forEach(function (b) {
        if (b.indices[2] === "u32" && !wide) throw new Error("this browser's WebGL cannot draw meshes this large");
        own.bones[b.name] = boneMesh(b);
      });
      Object.keys(anatomy.axes).forEach(function (key) {
        own.axes[key] = rodMesh(anatomy.axes[key], META.theme.axis_radius_mm);
        own.axes[key].colour = hexColour(anatomy.axes[key].colour);
      });
      if (anatomy.cut) {
        var capPoints = array(anatomy.cut.cap.positions), capFaces = array(anatomy.cut.cap.indices);
        if (capFaces.length) {
          own.cap = upload(new Float32Array(capPoints), null, wide ? new Uint32Array(capFaces) : new Uint16Array(capFaces));
          /* A flat cap: one normal, that of its winding (the shader turns it toward the viewer). */
          var i0 = capFaces[0] * 3, i1 = capFaces[1] * 3, i2 = capFaces[2] * 3, q = capPoints;
          own.cap.normal0 = unit(cross([q[i1] - q[i0], q[i1 + 1] - q[i0 + 1], q[i1 + 2] - q[i0 + 2]],
                                       [q[i2] - q[i0], q[i2 + 1] - q[i0 + 1], q[i2 + 2] - q[i0 + 2]]));
        }
        anatomy.cut.outlines.forEach(function (ref) {
          var points = Array.prototype.slice.call(array(ref));
          points.push(points[0], points[1], points[2]); /* a closed loop */
          var tube = tubeMesh(points, CUT_OUTLINE_RADIUS_MM);
          if (tube) own.outlines.push(tube);
        });
      }
      if (anatomy.tissue) {
        own.l5 = flatMesh(anatomy.tissue.l5.positions, anatomy.tissue.l5.indices);
      }
      meshes.push(own);
    });
    shared.sphere = sphereMesh(16, 12);
    shared.cylinder = cylinderMesh(10);
  }

  function upload(positions, normals, indices, dynamic) {
    var usage = dynamic ? gl.DYNAMIC_DRAW : gl.STATIC_DRAW;
    var mesh = { count: indices.length, type: indices instanceof Uint32Array ? gl.UNSIGNED_INT : gl.UNSIGNED_SHORT };
    mesh.position = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, mesh.position);
    gl.bufferData(gl.ARRAY_BUFFER, positions, usage);
    if (normals) {
      mesh.normal = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, mesh.normal);
      gl.bufferData(gl.ARRAY_BUFFER, normals, usage);
    }
    mesh.index = gl.createBuffer();
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, mesh.index);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, indices, gl.STATIC_DRAW);
    return mesh;
  }

  function release(mesh) {
    gl.deleteBuffer(mesh.position); gl.deleteBuffer(mesh.index);
    if (mesh.normal) gl.deleteBuffer(mesh.normal);
  }

  function vertexNormals(positions, indices) {
    var normals = new Float32Array(positions.length);
    for (var f = 0; f < indices.length; f += 3) {
      var a = indices[f] * 3, b = indices[f + 1] * 3, c = indices[f + 2] * 3;
      var e1 = [positions[b] - positions[a], positions[b + 1] - positions[a + 1], positions[b + 2] - positions[a + 2]];
      var e2 = [positions[c] - positions[a], positions[c + 1] - positions[a + 1], positions[c + 2] - positions[a + 2]];
      var n = cross(e1, e2); /* area-weighted */
      [a, b, c].forEach(function (v) { normals[v] += n[0]; normals[v + 1] += n[1]; normals[v + 2] += n[2]; });
    }
    for (var i = 0; i < normals.length; i += 3) {
      var l = Math.sqrt(normals[i] * normals[i] + normals[i + 1] * normals[i + 1] + normals[i + 2] * normals[i + 2]) || 1;
      normals[i] /= l; normals[i + 1] /= l; normals[i + 2] /= l;
    }
    return normals;
  }

  function boneMesh(b) {
    var q = array(b.positions), positions = new Float32Array(q.length);
    for (var i = 0; i < q.length; i++) positions[i] = b.origin_mm[i % 3] + q[i] * b.step_mm[i % 3];
    var indices = b.indices[2] === "u32" ? new Uint32Array(array(b.indices)) : new Uint16Array(array(b.indices));
    var mesh = upload(positions, vertexNormals(positions, indices), indices);
    mesh.colour = hexColour(b.colour);
    mesh.closed = b.closed;
    return mesh;
  }

  /* A mesh with one normal per triangle (its vertices split): sharp edges, and the shader turns each
     face toward the viewer, so the triangles' winding need not agree (the L5 is made of parts). */
  function flatMesh(points, faces) {
    var p = new Float32Array(faces.length * 3), n = new Float32Array(faces.length * 3), idx = new Uint16Array(faces.length);
    for (var f = 0; f < faces.length; f += 3) {
      var q = [0, 1, 2].map(function (k) { var i = faces[f + k] * 3; return [points[i], points[i + 1], points[i + 2]]; });
      var normal = unit(cross(sub(q[1], q[0]), sub(q[2], q[0])));
      for (var k = 0; k < 3; k++) {
        for (var c = 0; c < 3; c++) { p[(f + k) * 3 + c] = q[k][c]; n[(f + k) * 3 + c] = normal[c]; }
        idx[f + k] = f + k;
      }
    }
    return upload(p, n, idx);
  }

  function sphereMesh(slices, stacks) {
    var p = [], idx = [];
    for (var i = 0; i <= stacks; i++) {
      var v = Math.PI * i / stacks;
      for (var j = 0; j <= slices; j++) {
        var u = 2 * Math.PI * j / slices;
        p.push(Math.sin(v) * Math.cos(u), Math.cos(v), Math.sin(v) * Math.sin(u));
      }
    }
    for (i = 0; i < stacks; i++) for (j = 0; j < slices; j++) {
      var a = i * (slices + 1) + j, b = a + slices + 1;
      idx.push(a, a + 1, b, b, a + 1, b + 1);
    }
    var positions = new Float32Array(p);
    return upload(positions, positions, new Uint16Array(idx));
  }

  /* A rod along an axis from start_mm to end_mm, a flat disc at the start and an arrowhead at the
     end (pelvisim.view.overlays.rod_mesh: radius r, disc 3r, head 3r wide and 6r long). */
  function rodMesh(axis, r) {
    var d = unit(axis.direction), c = axis.point_mm;
    var e1 = unit(cross(Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0], d)), e2 = cross(d, e1);
    var a = add(c, scale(d, axis.start_mm)), b = add(c, scale(d, axis.end_mm));
    var p = [], n = [], idx = [], slices = 16;
    function ring(centre, radius, normal) { /* normal: a fixed normal, or null for the radial one */
      var start = p.length / 3;
      for (var j = 0; j <= slices; j++) {
        var angle = 2 * Math.PI * j / slices, radial = add(scale(e1, Math.cos(angle)), scale(e2, Math.sin(angle)));
        var q = add(centre, scale(radial, radius));
        p.push(q[0], q[1], q[2]);
        var nn = normal ? normal : radial;
        n.push(nn[0], nn[1], nn[2]);
      }
      return start;
    }
    function join(i, j) { for (var k = 0; k < slices; k++) idx.push(i + k, j + k, i + k + 1, i + k + 1, j + k, j + k + 1); }
    join(ring(a, r, null), ring(b, r, null)); /* shaft */
    var back = scale(d, -1), disc0 = add(a, scale(d, -0.6 * r)), disc1 = add(a, scale(d, 0.6 * r));
    join(ring(disc0, 0.001, back), ring(disc0, 3 * r, back)); /* the disc's back face */
    join(ring(disc0, 3 * r, null), ring(disc1, 3 * r, null));
    join(ring(disc1, 3 * r, d), ring(disc1, 0.001, d));
    join(ring(b, 0.001, back), ring(b, 3 * r, back)); /* under the head */
    var headBase = ring(b, 3 * r, null), tip = ring(add(b, scale(d, 6 * r)), 0.001, null);
    for (var k = headBase; k < tip; k++) { /* the cone's normals lean toward its tip */
      var rad = [n[3 * k], n[3 * k + 1], n[3 * k + 2]], leaned = unit(add(rad, scale(d, 0.5)));
      n[3 * k] = leaned[0]; n[3 * k + 1] = leaned[1]; n[3 * k + 2] = leaned[2];
    }
    join(headBase, tip);
    return upload(new Float32Array(p), new Float32Array(n), new Uint16Array(idx));
  }

  /* A unit cylinder along z from 0 to 1, radius 1, open ends (the soft tissue's lines, placed by cylinderModel). */
  function cylinderMesh(sides) {
    var p = [], n = [], idx = [];
    for (var j = 0; j < sides; j++) {
      var a = 2 * Math.PI * j / sides, c = Math.cos(a), s = Math.sin(a);
      p.push(c, s, 0, c, s, 1); n.push(c, s, 0, c, s, 0);
      var k = 2 * j, l = 2 * ((j + 1) % sides);
      idx.push(k, l, k + 1, k + 1, l, l + 1);
    }
    return upload(new Float32Array(p), new Float32Array(n), new Uint16Array(idx));
  }

  /* The model matrix taking the unit cylinder to the tube of radius r from a to b. */
  function cylinderModel(a, b, r) {
    var d = sub(b, a), x = unit(cross(d, Math.abs(d[0]) < 0.9 * norm(d) ? [1, 0, 0] : [0, 1, 0])), y = unit(cross(d, x));
    var m = identity();
    for (var k = 0; k < 3; k++) { m[k] = x[k] * r; m[4 + k] = y[k] * r; m[8 + k] = d[k]; m[12 + k] = a[k]; }
    return m;
  }

  /* A tube of radius r along the points (x, y, z, x, y, z, ...): visible at any line width. */
  function tubeMesh(flat, r) {
    var pts = [];
    for (var i = 0; i < flat.length; i += 3) {
      var q0 = [flat[i], flat[i + 1], flat[i + 2]];
      if (!pts.length || norm(sub(q0, pts[pts.length - 1])) > 1e-6) pts.push(q0); /* holds repeat a point */
    }
    if (pts.length < 2) return null; /* a still landmark has no path */
    var sides = 8, p = [], n = [], idx = [], reference = [0, 1, 0], normal = null;
    pts.forEach(function (q, k) {
      var tangent = unit(sub(pts[Math.min(k + 1, pts.length - 1)], pts[Math.max(k - 1, 0)]));
      if (!normal || Math.abs(dot(normal, tangent)) > 0.9 || norm(normal) < 0.5) {
        normal = unit(cross(tangent, Math.abs(dot(tangent, reference)) > 0.9 ? [1, 0, 0] : reference));
      }
      normal = unit(sub(normal, scale(tangent, dot(normal, tangent)))); /* carried along the path */
      var binormal = cross(tangent, normal);
      for (var j = 0; j < sides; j++) {
        var a = 2 * Math.PI * j / sides, radial = add(scale(normal, Math.cos(a)), scale(binormal, Math.sin(a)));
        var v = add(q, scale(radial, r));
        p.push(v[0], v[1], v[2]); n.push(radial[0], radial[1], radial[2]);
      }
      if (k > 0) {
        for (j = 0; j < sides; j++) {
          var a0 = (k - 1) * sides + j, a1 = (k - 1) * sides + (j + 1) % sides, b0 = a0 + sides, b1 = a1 + sides;
          idx.push(a0, b0, a1, a1, b0, b1);
        }
      }
    });
    var Index = p.length / 3 > 65535 ? Uint32Array : Uint16Array;
    return upload(new Float32Array(p), new Float32Array(n), new Index(idx));
  }

  /* ---------------------------------------------------------------- arrows ---------------- */
  /* One arrow per landmark (pelvisim.view.overlays.arrow_vertices): 4 rings of ARROW_SIDES points
     (shaft base, shaft neck, head base) and the tip; the shaft keeps its radius and the head its
     size whatever the length. */
  var ARROW_FACES = (function () {
    var f = [], s = ARROW_SIDES;
    for (var k = 0; k < s; k++) {
      var a = k, b = (k + 1) % s;
      f.push(a, b, s + b, a, s + b, s + a); /* shaft */
      f.push(2 * s + a, 2 * s + b, 3 * s); /* head cone to the tip */
      f.push(s + a, s + b, 2 * s + b, s + a, 2 * s + b, 2 * s + a); /* head underside */
    }
    return f;
  })();

  function arrowVertices(out, offset, start, vector, shaftRadius, headLength) {
    var s = ARROW_SIDES, length = norm(vector);
    var d = length > 1e-12 ? scale(vector, 1 / length) : [1, 0, 0];
    var helper = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    var u = unit(cross(d, helper)), w = cross(d, u);
    var head = Math.min(headLength, 0.6 * length), neck = length - head;
    var k = length > 0 ? Math.max(Math.min(1, length / Math.max(headLength, 1e-9)), 0.4) : 0;
    var rShaft = shaftRadius * k, rHead = 2.4 * shaftRadius * k;
    var neckPoint = add(start, scale(d, neck));
    for (var j = 0; j < s; j++) {
      var angle = 2 * Math.PI * j / s, around = add(scale(u, Math.cos(angle)), scale(w, Math.sin(angle)));
      var rows = [add(start, scale(around, rShaft)), add(neckPoint, scale(around, rShaft)), add(neckPoint, scale(around, rHead))];
      for (var ring = 0; ring < 3; ring++) {
        var o = offset + (ring * s + j) * 3;
        out[o] = rows[ring][0]; out[o + 1] = rows[ring][1]; out[o + 2] = rows[ring][2];
      }
    }
    var tip = add(start, scale(d, length)), t = offset + 3 * s * 3;
    out[t] = tip[0]; out[t + 1] = tip[1]; out[t + 2] = tip[2];
  }

  var arrowMeshes = [];

  /* The displacement arrows of panel p: true-scale landmark displacement from neutral in the
     pelvic frame, turned into the world, times the scene's arrow scale, from the drawn landmark. */
  function arrowData(p, sample, points) {
    var landmarks = panelAnatomy(p).landmarks, trueT = trueTransforms(sample), W = expTwist(sample.twists, 5 * 6, 1);
    return landmarks.map(function (l, i) {
      var T = trueT[l.bone], q = l.position_mm;
      var vector = scale(rotate(W, sub(apply(T, q), q)), META.arrows.scale);
      var length = norm(vector), drawn = landmarkVisible(p, l) && length >= META.arrows.min_length_mm;
      return { start: points[i], vector: drawn ? vector : [0, 0, 0], length_mm: drawn ? length : 0 };
    });
  }

  function arrowMesh(p, arrows) {
    var per = 3 * ARROW_SIDES + 1, n = arrows.length, positions = new Float32Array(n * per * 3);
    var size = META.theme.landmark_size_mm;
    arrows.forEach(function (a, i) { arrowVertices(positions, i * per * 3, a.start, a.vector, 0.35 * size, 3 * size); });
    var mesh = arrowMeshes[p];
    if (!mesh || mesh.n !== n) {
      var idx = new Uint16Array(n * ARROW_FACES.length);
      for (var i = 0; i < n; i++) for (var k = 0; k < ARROW_FACES.length; k++) idx[i * ARROW_FACES.length + k] = ARROW_FACES[k] + i * per;
      if (mesh) release(mesh);
      mesh = upload(positions, vertexNormals(positions, idx), idx, true);
      mesh.n = n;
      mesh.indices = idx;
      arrowMeshes[p] = mesh;
    } else {
      gl.bindBuffer(gl.ARRAY_BUFFER, mesh.position);
      gl.bufferSubData(gl.ARRAY_BUFFER, 0, positions);
      gl.bindBuffer(gl.ARRAY_BUFFER, mesh.normal);
      gl.bufferSubData(gl.ARRAY_BUFFER, 0, vertexNormals(positions, mesh.indices));
    }
    return mesh;
  }

  /* ---------------------------------------------------------------- soft tissue ----------- */
  /* pelvisim.view.tissue: each ligament bundle from attachment to attachment, coloured by its strain
     change from neutral (true scale, %-points; coolwarm over ±range, green when slack); each muscle
     that pulls as a red line through its path, thicker the more it pulls; the L5 on the sacrum as
     displayed, its own motion on the L5/S1 disc at true scale (pelvisim.web.tissue). */
  function strainColour(change) {
    var t = META.tissue;
    if (!isFinite(change)) return hexColour(t.slack_colour);
    var n = t.stops.length, x = clamp((change + t.range_percent) / (2 * t.range_percent), 0, 1) * (n - 1);
    var i = Math.min(Math.floor(x), n - 2), f = x - i, a = hexColour(t.stops[i]), b = hexColour(t.stops[i + 1]);
    return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
  }

  function tissueData(p, sample, T) {
    var t = META.tissue, geometry = panelAnatomy(p).tissue, v = sample.tissue, L = t.l5_values;
    var onSacrum = identity();
    for (var r = 0; r < 3; r++) for (var c = 0; c < 4; c++) onSacrum[c * 4 + r] = v[r * 4 + c];
    var bodies = { sacrum: T.sacrum, innominate_left: T.innominate_left, innominate_right: T.innominate_right,
                   femur_left: T.femur_left, femur_right: T.femur_right, l5: multiply(T.sacrum, onSacrum) };
    var B = geometry.bundles.length;
    var bundles = geometry.bundles.map(function (b, i) {
      var change = v[L + i];
      return { a: apply(bodies[b[0]], b[1]), b: apply(bodies[b[2]], b[3]), strain_change_percent: isFinite(change) ? change : null,
               colour: strainColour(change) };
    });
    var muscles = geometry.muscles.map(function (m, j) {
      var force = v[L + B + j];
      var fibres = force > 0 ? m.fibres.map(function (path) {
        return path.map(function (q) {
          var a = apply(bodies[q[0]], q[1]), b = apply(bodies[q[2]], q[3]);
          return add(scale(a, 1 - q[4]), scale(b, q[4]));
        });
      }) : [];
      var share = Math.min(Math.max(force, 0) / t.muscle_force_max_n, 1);
      return { name: m.name, force_n: force, fibres: fibres, radius_mm: t.muscle_radius_mm[0] + share * (t.muscle_radius_mm[1] - t.muscle_radius_mm[0]) };
    });
    return { bundles: bundles, muscles: muscles, l5: Array.prototype.slice.call(bodies.l5) };
  }

  function drawTissue(tissue, own) {
    var radius = META.tissue.ligament_radius_mm, red = hexColour(META.tissue.muscle_colour);
    if (own.l5) drawMesh(own.l5, tissue.l5, hexColour(META.tissue.l5_colour), { cull: false }); /* its winding is not checked: both faces lit */
    tissue.bundles.forEach(function (b) { drawMesh(shared.cylinder, cylinderModel(b.a, b.b, radius), b.colour, {}); });
    tissue.muscles.forEach(function (m) {
      m.fibres.forEach(function (path) {
        for (var k = 1; k < path.length; k++) drawMesh(shared.cylinder, cylinderModel(path[k - 1], path[k], m.radius_mm), red, {});
      });
    });
  }

  /* The strain colour bar of a panel (TissueOverlay's): quantity, unit and reference; the map; three labels. */
  function tissueBar() {
    var t = META.tissue, bar = element("div", "colour-bar");
    bar.dataset.role = "tissue-bar";
    bar.hidden = true;
    t.title.forEach(function (line) { bar.appendChild(element("div", "colour-title", line)); });
    var ramp = element("div", "ramp");
    ramp.style.background = "linear-gradient(to right, " + t.stops.join(", ") + ")";
    bar.appendChild(ramp);
    var ticks = element("div", "ticks");
    for (var k = 0; k < 3; k++) { /* the desktop bar's three labels, "%+.1f" */
      var x = -t.range_percent + t.range_percent * k;
      ticks.appendChild(element("span", "", (x < 0 ? "-" : "+") + Math.abs(x).toFixed(1)));
    }
    bar.appendChild(ticks);
    return bar;
  }

  /* ---------------------------------------------------------------- drawing a mesh -------- */
  function drawMesh(mesh, model, colour, options) {
    options = options || {};
    gl.uniformMatrix4fv(locations.uModel, false, new Float32Array(model));
    var nm = multiply(currentView, model);
    gl.uniformMatrix3fv(locations.uNormalMatrix, false, new Float32Array([nm[0], nm[1], nm[2], nm[4], nm[5], nm[6], nm[8], nm[9], nm[10]]));
    gl.uniform3fv(locations.uColour, new Float32Array(colour));
    gl.uniform1f(locations.uAlpha, options.alpha === undefined ? 1 : options.alpha);
    gl.uniform1f(locations.uLit, options.lit === false ? 0 : 1);
    gl.uniform1f(locations.uRamp, options.trueScale ? 1 : 0);
    if (options.trueScale) gl.uniformMatrix4fv(locations.uTrue, false, new Float32Array(options.trueScale));
    if (options.clip) {
      var c = options.clip;
      gl.uniform1f(locations.uClipOn, 1);
      gl.uniform4f(locations.uClip, c.normal[0], c.normal[1], c.normal[2], -dot(c.normal, c.origin));
    } else {
      gl.uniform1f(locations.uClipOn, 0);
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, mesh.position);
    gl.enableVertexAttribArray(locations.aPos);
    gl.vertexAttribPointer(locations.aPos, 3, gl.FLOAT, false, 0, 0);
    if (mesh.normal) {
      gl.bindBuffer(gl.ARRAY_BUFFER, mesh.normal);
      gl.enableVertexAttribArray(locations.aNormal);
      gl.vertexAttribPointer(locations.aNormal, 3, gl.FLOAT, false, 0, 0);
    } else {
      var n = options.normal || [0, 0, 1];
      gl.disableVertexAttribArray(locations.aNormal);
      gl.vertexAttrib3f(locations.aNormal, n[0], n[1], n[2]);
    }
    if (options.cull) gl.enable(gl.CULL_FACE); else gl.disable(gl.CULL_FACE);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, mesh.index);
    gl.drawElements(gl.TRIANGLES, mesh.count, mesh.type, 0);
  }

  /* ---------------------------------------------------------------- camera ---------------- */
  /* pelvisim.view.camera.fitting_distance_mm: the distance at which the box fills FILL of the view. */
  function fittingDistance(b, centre, direction, up, viewAngle, aspect) {
    var d = unit(direction), u = unit(sub(up, scale(d, dot(up, d)))), r = cross(u, d);
    var tanHalf = Math.tan(0.5 * viewAngle) * FILL, needed = 1;
    [b[0], b[1]].forEach(function (x) { [b[2], b[3]].forEach(function (y) { [b[4], b[5]].forEach(function (z) {
      var c = sub([x, y, z], centre);
      var need = Math.max(Math.abs(dot(c, u)) / tanHalf, Math.abs(dot(c, r)) / (tanHalf * aspect)) + dot(c, d);
      needed = Math.max(needed, need);
    }); }); });
    return needed;
  }

  /* The box a camera group fits: its view's box, reaching down the thighs when the femurs are on. */
  function groupBounds(key, p) {
    var view = key === "explicit" ? META.camera.view : key;
    var b = panelAnatomy(p).view_bounds[view].slice();
    var femurs = META.panels.some(function (x, i) { return cameraKey(i) === key && state.overlays[i].femurs; });
    if (femurs && !META.views[view].close_up) b[2] -= META.femur_shown_mm;
    return b;
  }

  function presetCamera(key, p) {
    var cam = META.camera;
    var fovy = FOV_DEG * Math.PI / 180 / cam.zoom;
    if (key === "explicit") {
      return { eye: cam.position_mm.slice(), target: cam.focal_point_mm.slice(), up: unit(cam.up), fovy: fovy, fit: false, user: false };
    }
    var view = META.views[key], b = groupBounds(key, p);
    var centre = [(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2];
    return { target: centre, direction: unit(view.direction), up: view.up.slice(), bounds: b, fovy: fovy, fit: true,
             eye: null, zoomBy: 1, user: false };
  }

  function cameraOf(p) {
    var key = cameraKey(p);
    if (!state.cameras[key]) state.cameras[key] = presetCamera(key, p);
    return state.cameras[key];
  }

  /* Eye of a camera for a viewport aspect; a fitted one is placed as set_view places it. */
  function cameraFor(c, aspect) {
    var eye = c.eye, up = c.up, target = c.target;
    if (c.fit) {
      var distance = fittingDistance(c.bounds, target, c.direction, c.up, FOV_DEG * Math.PI / 180, aspect) * (c.zoomBy || 1);
      eye = add(target, scale(c.direction, distance));
    }
    if (META.camera.orbit_deg && !c.user && !state.chosenView && TL.duration_s > 0) {
      var angle = META.camera.orbit_deg * Math.PI / 180 * state.t / TL.duration_s;
      eye = add(target, rotateAbout(sub(eye, target), up, angle));
    }
    return { eye: eye, target: target, up: up, fovy: c.fovy };
  }

  /* Every panel to one view (a view button), or back to each panel's scene view (null). */
  function setView(name) {
    state.chosenView = name === "scene" ? null : name;
    state.cameras = {};
    Array.prototype.forEach.call(document.querySelectorAll("#views button"), function (b) {
      b.classList.toggle("active", b.dataset.view === name);
    });
    var lesson = $("lesson-view");
    if (lesson) lesson.value = META.lesson_views.indexOf(name) >= 0 ? name : "";
    clearTrails();
    requestDraw();
  }

  function refit() { /* the fitted cameras follow what is drawn (the femurs), moved ones stay */
    Object.keys(state.cameras).forEach(function (k) { if (!state.cameras[k].user) delete state.cameras[k]; });
  }

  /* Turn the camera of panel p's group by a drag (dx, dy pixels) or move it closer (factor < 1). */
  function orbit(p, dx, dy) {
    var c = cameraOf(p), view = cameraFor(c, panelAspects[p] || 1);
    if (c.fit) { c.eye = view.eye; c.fit = false; }
    c.eye = view.eye;
    var offset = sub(c.eye, c.target);
    var right = unit(cross(c.up, offset));
    offset = rotateAbout(offset, c.up, -dx * 0.008);
    var tilted = rotateAbout(offset, right, -dy * 0.008);
    var newUp = rotateAbout(c.up, right, -dy * 0.008);
    c.eye = add(c.target, tilted);
    c.up = unit(newUp);
    c.user = true;
    requestDraw();
  }

  function dolly(p, factor) {
    var c = cameraOf(p);
    factor = clamp(factor, 0.5, 2);
    if (c.fit) c.zoomBy = clamp((c.zoomBy || 1) * factor, 0.15, 6);
    else c.eye = add(c.target, scale(sub(c.eye, c.target), factor));
    c.user = true;
    requestDraw();
  }

  /* ---------------------------------------------------------------- page ------------------ */
  var views = [], labelLayers = [], readoutBoxes = [], badges = [], titles = [], compacts = [], notesBoxes = [], colourBars = [], tissueBars = [];
  var panelAspects = [];
  var sliderInputs = [];

  function buildPage() {
    var theme = META.theme, root = document.documentElement.style;
    root.setProperty("--background", theme.background);
    root.setProperty("--text", theme.text_colour);
    root.setProperty("--accent", theme.magnification_colour);
    root.setProperty("--warning", theme.warning_colour);
    var bg = hexColour(theme.background);
    root.setProperty("--backdrop", "rgba(" + bg.map(function (c) { return Math.round(c * 255); }).join(",") + ",0.55)");
    document.title = META.title;
    $("title").textContent = META.title;
    $("subtitle").textContent = META.subtitle;
    $("sources").textContent = META.sources ? "Sources: " + META.sources : "";
    $("about").textContent = "Made with " + META.generator + (META.scene ? " from the scene “" + META.scene + "”" : "") +
      ". A teaching model, not a clinical tool. This page works offline: nothing is downloaded. Drag a view to turn it; wheel or pinch to zoom; space plays and pauses.";
    var n = META.panels.length, panels = $("panels");
    panels.style.setProperty("--columns", n === 4 ? 2 : n);
    if (n === 4) panels.style.setProperty("--view-height", "clamp(200px, 36vh, 460px)");
    META.panels.forEach(function (p, i) {
      var box = element("div", "panel"), view = element("div", "view");
      view.dataset.panel = i;
      var title = element("div", "panel-title", p.label);
      var badge = element("div", "badge");
      badge.setAttribute("data-role", "magnification");
      var labels = element("div", "labels");
      var head = element("div", "panel-head");
      head.appendChild(title); head.appendChild(badge);
      var foot = element("div", "panel-foot");
      var notes = element("div", "notes");
      notes.dataset.role = "notes";
      var compact = element("div", "compact");
      compact.dataset.role = "compact-readout";
      var left = element("div", "foot-left");
      left.appendChild(notes); left.appendChild(compact);
      var bar = colourBar(), right = element("div", "foot-right"), tbar = META.tissue ? tissueBar() : element("div");
      tbar.hidden = true;
      right.appendChild(tbar); right.appendChild(bar);
      foot.appendChild(left); foot.appendChild(right);
      view.appendChild(labels); view.appendChild(head); view.appendChild(foot);
      var readout = element("div", "readout");
      readout.setAttribute("aria-live", "polite");
      box.appendChild(view); box.appendChild(readout);
      panels.appendChild(box);
      views.push(view); labelLayers.push(labels); readoutBoxes.push(readout); badges.push(badge); titles.push(title);
      compacts.push(compact); notesBoxes.push(notes); colourBars.push(bar); tissueBars.push(tbar);
      attachPointer(view, i);
    });
    if (META.gait_strip.shown) buildGaitStrip();
    buildControls();
    buildSliders();
  }

  /* The colour bar of a panel (ColourMapOverlay's): quantity, unit and frame; the map; five labels. */
  function colourBar() {
    var cm = META.colour_map, bar = element("div", "colour-bar");
    bar.dataset.role = "colour-bar";
    bar.hidden = true;
    cm.title.forEach(function (line) { bar.appendChild(element("div", "colour-title", line)); });
    var ramp = element("div", "ramp");
    ramp.style.background = "linear-gradient(to right, " + META.theme.colour_stops.join(", ") + ")";
    bar.appendChild(ramp);
    var ticks = element("div", "ticks");
    for (var k = 0; k < 5; k++) {
      var v = cm.range_mm[0] + (cm.range_mm[1] - cm.range_mm[0]) * k / 4;
      ticks.appendChild(element("span", "", v.toFixed(1)));
    }
    bar.appendChild(ticks);
    return bar;
  }

  /* The gait strip (pelvisim.view.gait_strip): right foot above left, stance bars over the stride, a cursor. */
  var gaitStrip = null;

  function buildGaitStrip() {
    var strip = element("div", "gait-strip"), g = META.gait_strip;
    strip.dataset.role = "gait-strip";
    strip.title = g.source;
    var rows = element("div", "gait-rows");
    ["right", "left"].forEach(function (side) {
      var row = element("div", "gait-row");
      row.dataset.side = side;
      var name = element("span", "gait-name", side + " foot");
      name.style.color = g.colours[side];
      var track = element("div", "gait-track");
      g.stance[side].forEach(function (interval) {
        var bar = element("div", "gait-bar");
        bar.dataset.side = side;
        bar.style.left = (100 * interval[0]) + "%";
        bar.style.width = (100 * (interval[1] - interval[0])) + "%";
        bar.style.background = g.colours[side];
        track.appendChild(bar);
      });
      row.appendChild(name); row.appendChild(track);
      rows.appendChild(row);
    });
    var cursor = element("div", "gait-cursor");
    var tracks = element("div", "gait-cursor-lane");
    tracks.appendChild(cursor);
    rows.appendChild(tracks);
    var text = element("div", "gait-text");
    text.dataset.role = "gait-text";
    strip.appendChild(rows); strip.appendChild(text);
    $("stage").appendChild(strip);
    gaitStrip = { strip: strip, cursor: cursor, text: text };
  }

  function feetOnGround(phase) {
    return ["right", "left"].filter(function (side) {
      return META.gait_strip.stance[side].some(function (i) { return phase >= i[0] && phase < i[1]; });
    });
  }

  function updateGaitStrip() {
    if (!gaitStrip) return;
    var phase = phaseAt(state.t) % 1;
    gaitStrip.cursor.style.left = (100 * phase) + "%";
    var down = feetOnGround(phase);
    var contact = down.length === 2 ? "both feet down" : down.length ? down[0] + " foot down" : "no foot down";
    var percent = String(Math.round(100 * phase));
    while (percent.length < 3) percent = FIGURE_SPACE + percent;
    var text = "stride " + percent + " %  ·  " + contact;
    if (gaitStrip.text.textContent !== text) gaitStrip.text.textContent = text;
  }

  function buildControls() {
    var play = $("play"), scrub = $("scrub");
    if (TL.kind === "still") {
      $("playback").hidden = true;
    }
    scrub.max = String(TL.duration_s);
    scrub.step = "any";
    play.addEventListener("click", function () { setPlaying(!state.playing); });
    scrub.addEventListener("input", function () { setPlaying(false); setTime(parseFloat(scrub.value)); });
    var select = $("magnification");
    var differs = META.panels.some(function (p) { return p.magnification !== 1; });
    var sceneText = "as in the scene (" + uniqueTexts(META.panels.map(function (p) { return magnificationText(p.magnification); })) + ")";
    select.appendChild(new Option(sceneText, "scene"));
    META.magnifications.forEach(function (m) { select.appendChild(new Option(m.text, String(m.value))); });
    select.value = "scene";
    select.addEventListener("change", function () {
      state.magnification = select.value === "scene" ? "scene" : parseFloat(select.value);
      clearTrails();
      requestDraw();
    });
    select.title = differs ? "Intrapelvic motion is magnified for display only; the readouts are always true scale." : "";
    var viewsGroup = $("views");
    var sceneButton = element("button", "active", META.panels.length > 1 ? "scene views" : "scene view");
    sceneButton.type = "button";
    sceneButton.dataset.view = "scene";
    sceneButton.title = "Each panel as the scene shows it";
    sceneButton.addEventListener("click", function () { setView("scene"); });
    viewsGroup.appendChild(sceneButton);
    META.anatomical_views.forEach(function (name) {
      var b = element("button", "", name);
      b.type = "button";
      b.dataset.view = name;
      b.title = META.views[name].says;
      b.addEventListener("click", function () { setView(name); });
      viewsGroup.appendChild(b);
    });
    var lesson = element("select");
    lesson.id = "lesson-view";
    lesson.setAttribute("aria-label", "Lesson view");
    lesson.appendChild(new Option("lesson view…", ""));
    META.lesson_views.forEach(function (name) {
      var o = new Option(name.replace(/_/g, " "), name);
      o.title = META.views[name].says;
      lesson.appendChild(o);
    });
    lesson.addEventListener("change", function () { if (lesson.value) setView(lesson.value); });
    viewsGroup.appendChild(lesson);
    var overlays = $("overlays");
    var shown = { ghost: "ghost of neutral", landmarks: "landmarks", axes: "axes", colour_map: "colour map", trails: "trails",
                  palpation: "palpation error", femurs: "femurs", arrows: "arrows ×" + formatNumber(META.arrows.scale),
                  descriptors: "key numbers" };
    if (META.tissue) shown.tissue = "ligaments & muscles";
    Object.keys(shown).forEach(function (name) {
      var label = element("label", "toggle"), box = element("input");
      box.type = "checkbox";
      box.dataset.overlay = name;
      box.checked = state.overlays.some(function (o) { return o[name]; });
      box.addEventListener("change", function () {
        state.overlays.forEach(function (o) { o[name] = box.checked; });
        if (name === "femurs") { refit(); clearTrails(); }
        requestDraw();
      });
      label.appendChild(box); label.appendChild(document.createTextNode(shown[name]));
      overlays.appendChild(label);
    });
    document.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (e.key === " " && tag !== "INPUT" && tag !== "SELECT" && tag !== "BUTTON" && TL.kind !== "still") {
        e.preventDefault(); setPlaying(!state.playing);
      }
    });
  }

  function uniqueTexts(texts) {
    return texts.filter(function (t, i) { return texts.indexOf(t) === i; }).join(", ");
  }

  function panelNames(indices) {
    return indices.map(function (i) { return "“" + META.panels[i].label + "”"; }).join(" and ");
  }

  function buildSliders() {
    var host = $("sliders");
    META.motions.forEach(function (m, motion) {
      var set = element("fieldset");
      set.appendChild(element("legend", "", m.model_title + " — " + panelNames(m.panels)));
      var main = element("div"), more = element("details");
      more.appendChild(element("summary", "", "more parameters"));
      sliderInputs[motion] = {};
      m.sliders.forEach(function (s, j) {
        var row = element("div", "slider"), id = "slider-" + motion + "-" + s.name;
        var label = element("label", "", s.label);
        label.htmlFor = id;
        var value = element("span", "slider-value");
        var input = element("input");
        input.type = "range"; input.id = id;
        input.min = String(s.minimum); input.max = String(s.maximum);
        input.step = "any";
        input.dataset.motion = motion; input.dataset.parameter = s.name;
        input.title = (s.positive_means ? "positive = " + s.positive_means + ". " : "") + (s.source || "");
        var warning = element("div", "warning");
        warning.hidden = true;
        input.addEventListener("input", function () { setSlider(motion, s.name, parseFloat(input.value)); });
        row.appendChild(label); row.appendChild(value); row.appendChild(input); row.appendChild(warning);
        (s.in_scene || !m.sliders.some(function (x) { return x.in_scene; }) ? main : more).appendChild(row);
        sliderInputs[motion][s.name] = { input: input, value: value, row: row, warning: warning, meta: s, index: j };
      });
      set.appendChild(main);
      if (more.children.length > 1) set.appendChild(more);
      m.fixed.forEach(function (f) { set.appendChild(element("p", "fixed", f.label + ": " + f.value)); });
      if (m.left_out) {
        set.appendChild(element("p", "note", m.left_out + (m.left_out === 1 ? " other parameter has" : " other parameters have") +
          " no slider on this page (left out to keep it small)."));
      } else if (!m.sliders.length) {
        set.appendChild(element("p", "note", "This model has no parameters."));
      }
      var note = element("p", "note", "");
      note.dataset.role = "slider-note";
      set.appendChild(note);
      var reset = element("button", "", "Back to the scene's values");
      reset.type = "button";
      reset.addEventListener("click", function () { resetMotion(motion); });
      if (m.sliders.length) set.appendChild(reset);
      host.appendChild(set);
    });
    updateSliderNotes();
  }

  function updateSliderNotes() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-role=slider-note]"), function (p) {
      p.textContent = state.live
        ? "Live: each slider setting is computed by the Python kernel."
        : "One slider at a time: each was computed in advance over the whole timeline, the other parameters following the scene.";
    });
  }

  function setSlider(motion, name, value) {
    var st = state.motions[motion];
    if (!state.live) st.overrides = {};
    st.overrides[name] = value;
    st.last = MOTIONS[motion].meta.sliders.map(function (s) { return s.name; }).indexOf(name);
    clearTrails();
    if (state.live) requestLive(motion);
    requestDraw();
  }

  function resetMotion(motion) {
    state.motions[motion] = { overrides: {}, last: null, live: null, pending: null };
    clearTrails();
    requestDraw();
  }

  function setPlaying(on) {
    state.playing = on && TL.kind !== "still";
    $("play").textContent = state.playing ? "❚❚ Pause" : "▶ Play";
    $("play").setAttribute("aria-label", state.playing ? "Pause" : "Play");
    lastTick = null;
    requestDraw();
  }

  function setTime(t) {
    state.t = clamp(t, 0, TL.duration_s);
    requestDraw();
  }

  /* ---------------------------------------------------------------- readouts -------------- */
  function fixed2(x) { return (Math.round(Math.abs(x) * 100) / 100).toFixed(2); }

  function unitText(unit) { return unit === "deg" ? "°" : " mm"; }

  /* pelvisim.view.readout.format_number: sign, two decimals, padded with figure spaces (no reflow). */
  function formatReadout(value, unit) {
    if (!isFinite(value)) return "n/a";
    var magnitude = Math.abs(value).toFixed(2);
    while (magnitude.length < 4) magnitude = FIGURE_SPACE + magnitude;
    var sign = value < 0 && magnitude !== "0.00" ? MINUS : "+";
    return sign + magnitude + (unit === "°" ? unit : " " + unit);
  }

  /* The compact readout of panel p (Panel's lower-left block): at most four lines "label  number". */
  function compactLines(p, sample) {
    if (!META.panels[p].readouts.length) { /* Panel.set_descriptor_text: the pelvis's own asymmetry at rest */
      var atRest = META.categories[sample.texts[4]];
      return atRest ? atRest.replace(/\. /g, ".\n").split("\n") : [];
    }
    return META.panels[p].readouts.map(function (r) {
      return r.label + "  " + formatReadout(sample.readouts[r.column], r.unit);
    });
  }

  /* The panel's warnings (pelvisim.view.readout.panel_notes): the overlap note, then the joint limits. */
  function panelNotes(p, sample) {
    var out = [], m = panelMagnification(p), k = META.overlap_magnifications.indexOf(m);
    if (m !== 1 && k >= 0 && (sample.overlap >> k) & 1) out.push("bones overlap: an artefact of ×" + String(m));
    if (m !== 1 && k < 0) out.push("overlap of the bones not checked at ×" + String(m) + " on this page");
    var limits = META.categories[sample.texts[3]];
    if (limits) out = out.concat(limits.split("\n"));
    return out;
  }

  function describeValue(column, v, texts) {
    if (!isFinite(v)) return "n/a";
    if (column.group === "finding") {
      if (Math.abs(v) < NEGLIGIBLE) return column.subject + ": none";
      return column.positive + " on the " + (v > 0 ? "left" : "right") + " by " + fixed2(v) + unitText(column.unit);
    }
    if (column.category === "torsion") {
      return Math.abs(v) < NEGLIGIBLE ? "no torsion" : META.categories[texts[0]] + " " + fixed2(v) + "°";
    }
    return (v >= 0 ? column.positive : column.negative) + " " + fixed2(v) + unitText(column.unit);
  }

  /* pelvisim.descriptors._verdict: the left-minus-right difference at the pose against the band. */
  function verdict(column, atPose) {
    var low = column.band[0], high = column.band[1], size = Math.abs(atPose);
    if (column.unit === "deg") {
      return size <= high ? [false, "within normal bony asymmetry (up to " + high + "°)"]
                          : [true, "beyond normal bony asymmetry (" + high + "°)"];
    }
    if (size < low) return [false, "below the " + low + "–" + high + " mm landmark-location error"];
    if (size < high) return [false, "within the " + low + "–" + high + " mm landmark-location error band"];
    return [true, "beyond the " + low + "–" + high + " mm landmark-location error"];
  }

  var GROUP_TITLES = { innominate: "Innominates", sacrum: "Sacrum", ring: "Symphysis" };

  function descriptorRow(column, v, texts) {
    var row = element("div", "row");
    row.dataset.column = column.key;
    row.appendChild(element("span", "", column.subject));
    row.appendChild(element("span", "value", describeValue(column, v, texts)));
    return row;
  }

  /* The readout under a panel (the app's side panel): the key rows, the palpation findings with
     their verdicts, the warnings in full, and every number with the frame it is measured in. */
  function readoutHTML(panel, sample) {
    var m = META.motions[META.panels[panel].motion], COLUMNS = panelAnatomy(panel).readout_columns;
    var rows = sample.keyRows || m.key_rows;
    var box = element("div");
    box.appendChild(element("h3", "", "Readout at true scale — the same numbers at every magnification"));
    var pelvis = panelAnatomy(panel).label;
    if (pelvis && (META.anatomies.length > 1 || pelvis.indexOf("bundled") < 0)) {
      var which = element("div", "pelvis", "Pelvis: " + pelvis);
      which.dataset.role = "pelvis";
      box.appendChild(which);
    }
    var named = META.categories[sample.texts[1]];
    box.appendChild(element("div", "named", named ? "Named: " + named
      : "No clinical name: no landmark signature above the RSA precision."));
    var descriptorRows = rows.filter(function (c) { return COLUMNS[c].group !== "finding"; });
    var findingRows = rows.filter(function (c) { return COLUMNS[c].group === "finding"; });
    if (!descriptorRows.length) box.appendChild(element("div", "", "Neutral: no displacement."));
    var lastGroup = null;
    descriptorRows.forEach(function (c) {
      var column = COLUMNS[c];
      var group = column.group.indexOf("innominate") === 0 ? "innominate" : column.group;
      if (group !== lastGroup) { box.appendChild(element("h4", "", GROUP_TITLES[group] + ", " + column.frame)); lastGroup = group; }
      box.appendChild(descriptorRow(column, sample.readouts[c], sample.texts));
    });
    box.appendChild(element("h4", "", "What a hand could feel: left minus right, change from neutral; judged at the pose"));
    if (!findingRows.length) {
      box.appendChild(element("div", "", "No left-right difference to palpate (every change below " + NEGLIGIBLE + " mm or °)."));
    }
    findingRows.forEach(function (c) {
      var column = COLUMNS[c], v = sample.readouts[c];
      var row = element("div", "row");
      row.dataset.column = column.key;
      var words = element("span", "", describeValue(column, v, sample.texts));
      words.appendChild(element("span", "frame", " (" + column.frame + ")"));
      row.appendChild(words);
      var judged = verdict(column, column.at_neutral + v);
      var tag = element("span", "verdict " + (judged[0] ? "palpable" : "below"), judged[1]);
      tag.title = column.source + (column.note ? "; " + column.note : "") + (column.reliability ? "; " + column.reliability : "");
      row.appendChild(tag);
      box.appendChild(row);
    });
    var limits = META.categories[sample.texts[2]];
    if (limits) box.appendChild(element("div", "warning", "⚠ " + limits));
    warningsFor(META.panels[panel].motion).forEach(function (w) { box.appendChild(element("div", "warning", "⚠ " + w)); });
    var every = element("details", "every");
    every.dataset.role = "every-number";
    if (openDetails[panel]) every.open = true;
    every.addEventListener("toggle", function () { openDetails[panel] = every.open; });
    every.appendChild(element("summary", "", "every number, with what it is measured against"));
    var frame = null;
    COLUMNS.forEach(function (column, c) {
      if (column.group === "finding") return;
      var heading = column.subject + ", " + column.frame;
      if (heading !== frame) { every.appendChild(element("h4", "", heading)); frame = heading; }
      var row = descriptorRow(column, sample.readouts[c], sample.texts);
      row.firstChild.textContent = column.key.split(".").pop().replace(/_(deg|mm)$/, "").replace(/_/g, " ");
      every.appendChild(row);
    });
    box.appendChild(every);
    if (sample.source === "grid") box.appendChild(element("div", "note", "Slider value interpolated between values computed in advance."));
    if (sample.source === "kernel") box.appendChild(element("div", "note", "Computed live by the Python kernel."));
    return box;
  }

  var openDetails = [];

  function currentValues(motion) {
    var values = timelineValues(motion, state.t), o = state.motions[motion].overrides;
    for (var k in o) values[k] = o[k];
    return values;
  }

  /* pelvisim.parameters.PositionalModel.warnings, for the values shown. */
  function warningsFor(motion) {
    var values = currentValues(motion), out = [];
    META.motions[motion].sliders.forEach(function (s) {
      var v = values[s.name];
      if (s.in_vivo_limit !== null && Math.abs(v) > s.in_vivo_limit + 1e-12) {
        var u = s.unit === "deg" ? "°" : " " + s.unit;
        out.push(s.name + " = " + formatNumber(v) + u + " exceeds measured in-vivo motion (≤ " + s.in_vivo_limit + u + "; " + s.source + ")");
      }
    });
    return out;
  }

  /* ---------------------------------------------------------------- labels ---------------- */
  var labelElements = [];

  function placeLabels(panel, rect, points, visible, midlineX, show) {
    var layer = labelLayers[panel], landmarks = panelAnatomy(panel).landmarks;
    if (!labelElements[panel]) {
      labelElements[panel] = landmarks.map(function (l) {
        var e = element("div", "label", l.label);
        e.style.color = META.theme.text_colour;
        e.dataset.landmark = l.name;
        layer.appendChild(e);
        return e;
      });
    }
    var els = labelElements[panel];
    if (!show) { els.forEach(function (e) { e.style.display = "none"; }); return []; }
    var viewRect = views[panel].getBoundingClientRect();
    var obstacles = [titles[panel], badges[panel], compacts[panel], notesBoxes[panel], colourBars[panel], tissueBars[panel]];
    var taken = obstacles.filter(function (e) { return !e.hidden && e.offsetWidth > 0; }).map(box);
    function box(e) { /* in the view's pixels, as the labels are placed */
      var r = e.getBoundingClientRect();
      return [r.left - viewRect.left, r.right - viewRect.left, r.top - viewRect.top, r.bottom - viewRect.top];
    }
    function free(b) {
      if (b[0] < 0 || b[2] < 0 || b[1] > rect.width || b[3] > rect.height) return false;
      return taken.every(function (o) { return !(b[0] < o[1] && o[0] < b[1] && b[2] < o[3] && o[2] < b[3]); });
    }
    var order = landmarks.map(function (l, i) { return i; }).sort(function (a, b) {
      return landmarks[a].rank - landmarks[b].rank || (landmarks[a].name < landmarks[b].name ? -1 : 1);
    });
    order.forEach(function (i) {
      var e = els[i], p = points[i];
      if (!p || !visible[i]) { e.style.display = "none"; return; }
      e.style.display = "block";
      var w = e.offsetWidth, h = e.offsetHeight, gap = 6;
      var outward = p[0] >= midlineX ? 1 : -1;
      var candidates = [];
      [outward, -outward].forEach(function (side) {
        var x = side > 0 ? p[0] + gap : p[0] - gap - w;
        candidates.push([x, p[1] - h / 2], [x, p[1] - h - 2], [x, p[1] + 2]);
      });
      candidates.push([p[0] - w / 2, p[1] - h - gap], [p[0] - w / 2, p[1] + gap]);
      var placed = null;
      for (var k = 0; k < candidates.length && !placed; k++) {
        var c = candidates[k], b = [c[0], c[0] + w, c[1], c[1] + h];
        if (free(b)) placed = b;
      }
      if (!placed) { e.style.display = "none"; return; }
      taken.push(placed);
      e.style.left = placed[0] + "px";
      e.style.top = placed[2] + "px";
    });
    return els.map(function (e) { return e.style.display !== "none"; });
  }

  /* ---------------------------------------------------------------- drawing --------------- */
  var currentView = identity();
  var drawRequested = false, lastTick = null;
  var trailCache = {};
  var lastReadoutText = [];
  var lastShown = { panels: [] };

  function requestDraw() {
    if (!drawRequested) {
      drawRequested = true;
      window.requestAnimationFrame(frame);
    }
  }

  function frame(now) {
    drawRequested = false;
    if (state.playing) {
      if (lastTick !== null) {
        var t = state.t + (now - lastTick) / 1000;
        state.t = TL.duration_s > 0 ? t % TL.duration_s : 0;
      }
      lastTick = now;
    }
    try {
      draw();
    } catch (error) {
      fail(error);
      return;
    }
    if (state.playing) requestDraw();
  }

  function landmarkPositions(p, T) {
    return panelAnatomy(p).landmarks.map(function (l) { return apply(T[l.bone], l.position_mm); });
  }

  function trailFor(panel, sampleFn) {
    var motion = META.panels[panel].motion, m = panelMagnification(panel);
    var key = motion + ":" + m + ":" + META.panels[panel].anatomy;
    if (trailCache[key]) return trailCache[key];
    var N = TL.axis === "phase" ? TL.samples : Math.max(2, TL.samples);
    var landmarks = panelAnatomy(panel).landmarks;
    var names = META.trail_landmarks.filter(function (name) { return landmarks.some(function (l) { return l.name === name; }); });
    var points = names.map(function () { return []; });
    for (var k = 0; k <= N; k++) {
      var t = TL.axis === "phase"
        ? (((k % N) / N - TL.start_phase + 1) % 1) * TL.seconds_per_cycle
        : TL.duration_s * Math.min(k, N - 1) / (N - 1);
      var T = boneTransforms(sampleFn(motion, t), m);
      names.forEach(function (name, i) {
        var l = landmarks.filter(function (x) { return x.name === name; })[0];
        var p = apply(T[l.bone], l.position_mm);
        points[i].push(p[0], p[1], p[2]);
      });
    }
    trailCache[key] = names.map(function (name, i) {
      var l = landmarks.filter(function (x) { return x.name === name; })[0];
      return { bone: l.bone, mesh: tubeMesh(points[i], TRAIL_RADIUS_MM) };
    }).filter(function (x) { return x.mesh; });
    return trailCache[key];
  }

  function clearTrails() {
    Object.keys(trailCache).forEach(function (key) { trailCache[key].forEach(function (t) { release(t.mesh); }); });
    trailCache = {};
  }

  function resizeCanvas() {
    var stage = $("stage"), ratio = Math.min(window.devicePixelRatio || 1, 2);
    var w = Math.max(1, Math.round(stage.clientWidth * ratio)), h = Math.max(1, Math.round(stage.clientHeight * ratio));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    return ratio;
  }

  function setText(e, text) { if (e.textContent !== text) e.textContent = text; }

  function drawPanel(p, sample, ratio, stageRect) {
    var panel = META.panels[p], anatomy = panelAnatomy(p), own = meshes[panel.anatomy];
    var theme = META.theme, background = hexColour(theme.background);
    var overlays = state.overlays[p], m = panelMagnification(p);
    var T = boneTransforms(sample, m);
    var rect = views[p].getBoundingClientRect();
    var x = Math.round((rect.left - stageRect.left + 1) * ratio), w = Math.round((rect.width - 2) * ratio);
    var h = Math.round((rect.height - 2) * ratio), y = canvas.height - Math.round((rect.top - stageRect.top + 1) * ratio) - h;
    gl.viewport(x, y, w, h);
    gl.scissor(x, y, w, h);
    gl.clearColor(background[0], background[1], background[2], 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    panelAspects[p] = w / h;
    var cam = cameraFor(cameraOf(p), w / h);
    var distance = norm(sub(cam.eye, cam.target)), b = cameraOf(p).bounds || anatomy.view_bounds[viewOf(p)];
    var radius = 0.5 * Math.sqrt(Math.pow(b[1] - b[0], 2) + Math.pow(b[3] - b[2], 2) + Math.pow(b[5] - b[4], 2)) + 150;
    currentView = lookAt(cam.eye, cam.target, cam.up);
    var projection = perspective(cam.fovy, w / h, Math.max(1, distance - 2 * radius), distance + 2 * radius);
    gl.uniformMatrix4fv(locations.uView, false, new Float32Array(currentView));
    gl.uniformMatrix4fv(locations.uProj, false, new Float32Array(projection));
    gl.disable(gl.BLEND);
    gl.depthMask(true);
    gl.enable(gl.DEPTH_TEST);
    var cut = cutOf(p), drawnBones = [];
    var trueT = trueTransforms(sample);
    anatomy.bones.forEach(function (bone) {
      if (!boneShown(p, bone.name)) return;
      drawnBones.push(bone.name);
      var coloured = overlays.colour_map && PELVIC.indexOf(bone.name) >= 0 &&
        (META.colour_map.frame === "pelvis" || bone.name !== "sacrum");
      var displacement = null;
      if (coloured) {
        displacement = trueT[bone.name];
        if (META.colour_map.frame === "sacrum") displacement = multiply(invertRigid(trueT.sacrum), displacement);
      }
      var mesh = own.bones[bone.name], clip = bone.name === "sacrum" && cut ? cut : null;
      drawMesh(mesh, T[bone.name], mesh.colour, { cull: mesh.closed && !clip, trueScale: displacement, clip: clip });
    });
    if (cut && drawnBones.indexOf("sacrum") >= 0) {
      if (own.cap) {
        gl.enable(gl.POLYGON_OFFSET_FILL);
        gl.polygonOffset(1, 1); /* the outline stays in front of the face it borders */
        drawMesh(own.cap, T.sacrum, own.bones.sacrum.colour, { normal: own.cap.normal0 });
        gl.disable(gl.POLYGON_OFFSET_FILL);
      }
      own.outlines.forEach(function (tube) { drawMesh(tube, T.sacrum, hexColour(theme.cut_colour), { cull: true, lit: false }); });
    }
    var points = landmarkPositions(p, T);
    var visible = anatomy.landmarks.map(function (l) { return landmarkVisible(p, l); });
    if (overlays.landmarks) {
      var colour = hexColour(theme.landmark_colour);
      points.forEach(function (q, i) {
        if (visible[i]) drawMesh(shared.sphere, translateScale(q, theme.landmark_size_mm), colour, { cull: true });
      });
    }
    var arrows = null;
    if (overlays.arrows) {
      arrows = arrowData(p, sample, points);
      drawMesh(arrowMesh(p, arrows), identity(), hexColour(theme.arrow_colour), { cull: false });
    }
    if (overlays.axes) {
      panel.axes.forEach(function (key) { drawMesh(own.axes[key], T.world, own.axes[key].colour, { cull: false }); });
    }
    var tissue = null;
    if (overlays.tissue && sample.tissue && panelAnatomy(p).tissue) {
      tissue = tissueData(p, sample, T);
      drawTissue(tissue, own);
    }
    if (overlays.trails) {
      trailFor(p, motionSample).forEach(function (trail) {
        if (boneShown(p, trail.bone)) drawMesh(trail.mesh, identity(), hexColour(theme.trail_colour), { cull: true });
      });
    }
    /* Translucent overlays last, without writing depth. */
    gl.enable(gl.BLEND);
    gl.depthMask(false);
    if (overlays.ghost) {
      gl.enable(gl.POLYGON_OFFSET_FILL);
      gl.polygonOffset(4, 40); /* behind the bone where they coincide (as the app's ghost) */
      PELVIC.forEach(function (bone) {
        if (own.bones[bone] && boneShown(p, bone)) {
          drawMesh(own.bones[bone], T.world, hexColour(theme.ghost_colour),
                   { alpha: theme.ghost_opacity, lit: false, cull: !(bone === "sacrum" && cut), clip: bone === "sacrum" ? cut : null });
        }
      });
      gl.disable(gl.POLYGON_OFFSET_FILL);
    }
    if (overlays.palpation) {
      META.palpation.landmarks.forEach(function (name) {
        var l = anatomy.landmarks.filter(function (x) { return x.name === name; })[0];
        if (!l || !boneShown(p, l.bone)) return;
        var centre = apply(T.world, l.position_mm);
        [[META.palpation.radii_mm[1], 0.12], [META.palpation.radii_mm[0], 0.2]].forEach(function (r) {
          drawMesh(shared.sphere, translateScale(centre, r[0]), hexColour(theme.palpation_colour), { alpha: r[1], lit: false, cull: true });
        });
      });
    }
    if (overlays.axes) { /* the x-ray copy: the rods where they run inside bone, faintly */
      gl.disable(gl.DEPTH_TEST);
      panel.axes.forEach(function (key) { drawMesh(own.axes[key], T.world, own.axes[key].colour, { alpha: XRAY_OPACITY, cull: true }); });
      gl.enable(gl.DEPTH_TEST);
    }
    gl.depthMask(true);
    /* Text: badge, compact readout, notes, colour bar, then the labels around them. */
    var viewProjection = multiply(projection, currentView);
    var cssW = rect.width - 2, cssH = rect.height - 2;
    function toScreen(q) {
      var c = [0, 0, 0, 0];
      for (var r = 0; r < 4; r++) c[r] = viewProjection[r] * q[0] + viewProjection[4 + r] * q[1] + viewProjection[8 + r] * q[2] + viewProjection[12 + r];
      if (c[3] <= 0) return null;
      return [(c[0] / c[3] * 0.5 + 0.5) * cssW, (1 - (c[1] / c[3] * 0.5 + 0.5)) * cssH];
    }
    setText(badges[p], badgeText(p));
    var lines = overlays.descriptors ? compactLines(p, sample) : [];
    setText(compacts[p], lines.join("\n"));
    compacts[p].hidden = !lines.length;
    var notes = panelNotes(p, sample);
    setText(notesBoxes[p], notes.map(function (n) { return "⚠ " + n; }).join("\n"));
    notesBoxes[p].hidden = !notes.length;
    colourBars[p].hidden = !overlays.colour_map;
    tissueBars[p].hidden = !tissue;
    var screen = points.map(toScreen);
    var midline = toScreen(apply(T.world, [0, 0, 0]));
    var labelled = placeLabels(p, { width: cssW, height: cssH }, screen, visible, midline ? midline[0] : cssW / 2, overlays.landmarks);
    var readout = readoutHTML(p, sample);
    if (lastReadoutText[p] !== readout.innerHTML) {
      readoutBoxes[p].innerHTML = "";
      readoutBoxes[p].appendChild(readout);
      lastReadoutText[p] = readoutBoxes[p].firstChild.innerHTML;
    }
    return { magnification: m, view: viewOf(p), camera: cameraKey(p), eye: cam.eye, target: cam.target, up: cam.up, aspect: w / h,
             twists: Array.prototype.slice.call(sample.twists), readouts: Array.prototype.slice.call(sample.readouts),
             texts: sample.texts.map(function (i) { return META.categories[i]; }), overlap: sample.overlap, source: sample.source,
             landmarks: points, screen: screen, visible: visible, labelled: labelled, bones: drawnBones,
             cut: cut ? cut.keep : null, arrows: arrows, tissue: tissue, compact: lines, notes: notes, badge: badges[p].textContent };
  }

  function draw() {
    var ratio = resizeCanvas();
    var stageRect = $("stage").getBoundingClientRect();
    gl.disable(gl.SCISSOR_TEST);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.SCISSOR_TEST);
    var samples = {};
    var shown = { panels: [] };
    META.panels.forEach(function (panel, p) {
      if (!samples[panel.motion]) samples[panel.motion] = motionSample(panel.motion, state.t);
      shown.panels.push(drawPanel(p, samples[panel.motion], ratio, stageRect));
    });
    updateGaitStrip();
    shown.gait = gaitStrip ? { phase: phaseAt(state.t) % 1, feet: feetOnGround(phaseAt(state.t) % 1), text: gaitStrip.text.textContent } : null;
    lastShown = shown;
    updateControls();
    state.frames += 1;
    if (state.firstFrameMs === null) {
      gl.finish();
      state.firstFrameMs = performance.now();
      document.body.dataset.firstFrameMs = String(Math.round(state.firstFrameMs));
    }
  }

  function updateControls() {
    Array.prototype.forEach.call(document.querySelectorAll("#overlays input[data-overlay]"), function (box) {
      box.checked = state.overlays.some(function (o) { return o[box.dataset.overlay]; });
    });
    var scrub = $("scrub");
    if (document.activeElement !== scrub) scrub.value = String(state.t);
    var text = state.t.toFixed(2) + " s / " + TL.duration_s.toFixed(2) + " s";
    if (META.motions.some(function (m) { return m.uses_gait; })) text += " · gait phase " + Math.round(phaseAt(state.t) * 100) + " %";
    setText($("clock"), text);
    var captions = META.captions.filter(function (c) { return c.start_s <= state.t && (c.end_s === null || state.t < c.end_s); });
    setText($("caption"), captions.map(function (c) { return c.text; }).join("  "));
    sliderInputs.forEach(function (inputs, motion) {
      var values = currentValues(motion), overrides = state.motions[motion].overrides;
      Object.keys(inputs).forEach(function (name) {
        var s = inputs[name], v = values[name];
        if (document.activeElement !== s.input) s.input.value = String(v);
        var u = s.meta.unit === "deg" ? "°" : (s.meta.unit ? " " + s.meta.unit : "");
        s.value.textContent = (Math.round(v * 100) / 100).toFixed(2) + u;
        s.row.classList.toggle("overridden", overrides[name] !== undefined);
        var beyond = s.meta.in_vivo_limit !== null && Math.abs(v) > s.meta.in_vivo_limit + 1e-12;
        s.warning.hidden = !beyond;
        s.warning.textContent = beyond ? "⚠ beyond measured in-vivo motion (≤ " + s.meta.in_vivo_limit + u + ")" : "";
      });
    });
  }

  /* ---------------------------------------------------------------- pointer --------------- */
  function attachPointer(view, p) {
    var pointers = {}, pinch = null;
    view.addEventListener("pointerdown", function (e) {
      view.setPointerCapture(e.pointerId);
      pointers[e.pointerId] = [e.clientX, e.clientY];
      pinch = null;
    });
    view.addEventListener("pointermove", function (e) {
      var last = pointers[e.pointerId];
      if (!last) return;
      var ids = Object.keys(pointers);
      pointers[e.pointerId] = [e.clientX, e.clientY];
      if (ids.length === 1) {
        orbit(p, e.clientX - last[0], e.clientY - last[1]);
      } else if (ids.length === 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]];
        var d = Math.hypot(a[0] - b[0], a[1] - b[1]);
        if (pinch) dolly(p, pinch / Math.max(d, 1));
        pinch = d;
      }
    });
    function end(e) { delete pointers[e.pointerId]; pinch = null; }
    view.addEventListener("pointerup", end);
    view.addEventListener("pointercancel", end);
    view.addEventListener("wheel", function (e) { e.preventDefault(); dolly(p, Math.exp(e.deltaY * 0.001)); }, { passive: false });
    view.addEventListener("dblclick", function () { delete state.cameras[cameraKey(p)]; requestDraw(); });
  }

  /* ---------------------------------------------------------------- live kernel ----------- */
  /* Inside a notebook, the host (pelvisim.notebook) answers slider moves with exact samples. */
  var requestCounter = 0;

  function requestLive(motion) {
    var st = state.motions[motion];
    requestCounter += 1;
    st.pending = requestCounter;
    var overrides = {};
    for (var k in st.overrides) overrides[k] = st.overrides[k];
    window.parent.postMessage({ pelvisim: "request", id: requestCounter, motion: motion, overrides: overrides }, "*");
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.pelvisim !== "string") return;
    if (data.pelvisim === "hello") {
      state.live = true;
      updateSliderNotes();
      state.motions.forEach(function (st, motion) { if (Object.keys(st.overrides).length) requestLive(motion); });
    } else if (data.pelvisim === "track") {
      var st = state.motions[data.motion];
      if (!st || data.id !== st.pending) return;
      if (Array.isArray(data.categories)) META.categories = data.categories;
      st.live = { overrides: data.overrides, track: {
        n: data.n, twists: new Float64Array(data.twists), readouts: new Float64Array(data.readouts), texts: data.texts,
        overlap: data.overlap,
        tissue: data.tissue ? Float64Array.from(data.tissue, function (v) { return v === null ? NaN : v; }) : null } };
      clearTrails();
      requestDraw();
    } else if (data.pelvisim === "error") {
      showError(String(data.message));
    }
  });

  /* ---------------------------------------------------------------- start ----------------- */
  function showError(text) {
    var e = $("error");
    e.textContent = text;
    e.hidden = false;
  }

  function fail(error) {
    glError = error;
    showError("The 3D view could not be drawn: " + (error && error.message ? error.message : error) +
      ". A browser with WebGL is needed (any current desktop or tablet browser).");
    console.warn("pelvisim:", error);
  }

  /* For tests and for a host page: read-only views of what is shown, and the controls. */
  window.pelvisim = {
    meta: META,
    state: function () {
      return { t: state.t, phase: phaseAt(state.t), playing: state.playing, frames: state.frames, live: state.live,
               firstFrameMs: state.firstFrameMs, view: state.chosenView || "scene", magnification: state.magnification,
               error: glError ? String(glError) : null };
    },
    shown: function () { return lastShown; },
    setTime: function (t) { setPlaying(false); setTime(t); },
    play: function () { setPlaying(true); },
    pause: function () { setPlaying(false); },
    setSlider: setSlider,
    setMagnification: function (m) { $("magnification").value = String(m); $("magnification").dispatchEvent(new Event("change")); },
    setView: setView,
    setOverlay: function (name, on) { state.overlays.forEach(function (o) { o[name] = !!on; }); if (name === "femurs") refit(); requestDraw(); },
    expTwist: function (twist, factor) { return Array.prototype.slice.call(expTwist(twist, 0, factor)); },
    formatReadout: formatReadout,
    sample: function (motion, t) {
      var s = motionSample(motion, t);
      return { twists: Array.prototype.slice.call(s.twists), readouts: Array.prototype.slice.call(s.readouts), texts: s.texts,
               overlap: s.overlap, source: s.source };
    },
    redraw: function () { draw(); return state.frames; },
    /* The pixels of panel p's 3D view as last drawn (RGBA, bottom row first, base64); redraw first if asked. */
    pixels: function (p, redraw) {
      if (redraw) draw();
      var ratio = Math.min(window.devicePixelRatio || 1, 2), rect = views[p].getBoundingClientRect();
      var stageRect = $("stage").getBoundingClientRect();
      var x = Math.round((rect.left - stageRect.left + 1) * ratio), w = Math.round((rect.width - 2) * ratio);
      var h = Math.round((rect.height - 2) * ratio), y = canvas.height - Math.round((rect.top - stageRect.top + 1) * ratio) - h;
      var data = new Uint8Array(w * h * 4);
      gl.readPixels(x, y, w, h, gl.RGBA, gl.UNSIGNED_BYTE, data);
      var text = "", chunk = 0x8000;
      for (var i = 0; i < data.length; i += chunk) text += String.fromCharCode.apply(null, data.subarray(i, i + chunk));
      return { width: w, height: h, data: btoa(text) };
    }
  };

  try {
    buildPage();
    setupGL();
    /* Redraw whenever the stage changes size: a window resize, and also the page's own layout
       settling (the readouts filled in by the first frame, a scroll bar appearing). */
    if (window.ResizeObserver) new ResizeObserver(function () { requestDraw(); }).observe($("stage"));
    window.addEventListener("resize", requestDraw);
    draw();
  } catch (error) {
    fail(error);
  }
})();
