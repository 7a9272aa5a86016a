/* pelvisim lesson viewer: plain WebGL 1, no library, nothing fetched.
 *
 * Reads the JSON block #pelvisim-meta and the base64 arrays #pelvisim-data written by
 * pelvisim.web.page. Poses and readouts were computed in Python on samples of the timeline and
 * of each slider; this file interpolates them linearly and builds the displayed pose exactly as
 * pelvisim.pose.pose does: W * exp(m * twist) per pelvic bone, the femurs following their
 * innominate unmagnified. Coordinates: pelvic frame, mm (+X anterior, +Y superior, +Z right).
 */
(function () {
  "use strict";

  var META = JSON.parse(document.getElementById("pelvisim-meta").textContent);
  var BYTES = decodeBase64(document.getElementById("pelvisim-data").textContent.trim());
  var NEGLIGIBLE = META.negligible; /* deg or mm: pelvisim.descriptors.NEGLIGIBLE, "none" below it */
  var TYPED = { f64: Float64Array, f32: Float32Array, u16: Uint16Array, u32: Uint32Array };
  var SLOTS = 6; /* twists per sample: sacrum, innominate L/R, hip L/R, world */
  var PELVIC = ["sacrum", "innominate_left", "innominate_right"];
  var YLORRD = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"];
  var FOV_DEG = 30; /* VTK's default view angle, as in the app and the videos */
  var TRAIL_RADIUS_MM = 1.0; /* the app draws 3-pixel lines; WebGL lines are one pixel wide, so tubes */

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
  var COLUMNS = META.readout_columns;
  var R = COLUMNS.length;
  var MOTIONS = META.motions.map(function (m) {
    var out = { meta: m, base: unpack(m.base), sliders: m.sliders.map(unpack) };
    out.base.values = array(m.base.values);
    return out;
  });

  function unpack(track) {
    return { n: track.n, grid: track.grid, twists: array(track.twists), readouts: array(track.readouts), texts: array(track.texts) };
  }

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

  /* Blend twists (36 per sample) and readouts (R per sample) of a track at time t; texts from the nearest sample. */
  function sampleTrack(track, t, gridPairs) {
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
    var C = META.category_channels.length, texts = [];
    for (var c = 0; c < C; c++) texts.push(track.texts[best[0] * C + c]);
    return { twists: twists, readouts: readouts, texts: texts };
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

  /* What motion `index` shows at time t: twists, readouts, torsion category, and how. */
  function motionSample(index, t) {
    var st = state.motions[index], m = MOTIONS[index];
    if (st.live && sameOverrides(st.live.overrides, st.overrides) && Object.keys(st.overrides).length) {
      var live = sampleTrack(st.live.track, t);
      live.source = "kernel";
      return live;
    }
    if (st.last !== null && st.overrides[m.meta.sliders[st.last].name] !== undefined) {
      var slider = m.sliders[st.last];
      var out = sampleTrack(slider, t, gridWeights(slider.grid, st.overrides[m.meta.sliders[st.last].name]));
      out.source = "grid";
      out.keyRows = m.meta.sliders[st.last].key_rows;
      return out;
    }
    var base = sampleTrack(m.base, t);
    base.source = "timeline";
    return base;
  }

  /* ---------------------------------------------------------------- state ----------------- */
  var state = {
    t: 0,
    playing: false,
    magnification: "scene",
    view: META.camera.position_mm ? "scene" : META.camera.view,
    userCamera: false,
    overlays: META.panels.map(function (p) { var o = {}; for (var k in p.overlays) o[k] = !!p.overlays[k]; return o; }),
    motions: MOTIONS.map(function () { return { overrides: {}, last: null, live: null, pending: null }; }),
    live: false,
    frames: 0,
    firstFrameMs: null,
    camera: null
  };

  function panelMagnification(p) {
    return state.magnification === "scene" ? META.panels[p].magnification : state.magnification;
  }

  function magnificationText(m) {
    if (Math.abs(m - 1) < 1e-9) return "true scale";
    return "×" + formatNumber(m) + " — " + (m > 1 ? "exaggerated" : "reduced");
  }

  function formatNumber(x) { return String(Math.round(x * 1000) / 1000); }

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

  /* ---------------------------------------------------------------- WebGL ----------------- */
  var canvas = $("canvas");
  var gl = null;
  var program = null, locations = {};
  var meshes = {};
  var glError = null;

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
    "uniform vec3 uStops[9];",
    "varying vec3 vNormal;",
    "varying vec3 vPos;",
    "varying vec3 vColour;",
    "void main() {",
    "  vec4 eye = uView * uModel * vec4(aPos, 1.0);",
    "  vPos = eye.xyz;",
    "  vNormal = uNormalMatrix * aNormal;",
    "  vColour = uColour;",
    "  if (uRamp > 0.5) {",
    "    float d = length((uTrue * vec4(aPos, 1.0)).xyz - aPos);",
    "    float x = clamp((d - uRange.x) / (uRange.y - uRange.x), 0.0, 1.0) * 8.0;",
    "    int i = int(min(floor(x), 7.0));",
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
    "varying vec3 vNormal;",
    "varying vec3 vPos;",
    "varying vec3 vColour;",
    "void main() {",
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
    ["uModel", "uView", "uProj", "uNormalMatrix", "uTrue", "uRamp", "uRange", "uColour", "uStops", "uAlpha", "uLit"].forEach(function (n) {
      locations[n] = gl.getUniformLocation(program, n);
    });
    var stops = [];
    YLORRD.forEach(function (c) { stops = stops.concat(hexColour(c)); });
    gl.uniform3fv(locations.uStops, new Float32Array(stops));
    gl.uniform2f(locations.uRange, META.colour_map_range_mm[0], META.colour_map_range_mm[1]);
    gl.enable(gl.DEPTH_TEST);
    gl.enable(gl.SCISSOR_TEST);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    if (!gl.getExtension("OES_element_index_uint")) {
      META.bones.forEach(function (b) { if (b.indices[2] === "u32") throw new Error("this browser's WebGL cannot draw meshes this large"); });
    }
    META.bones.forEach(function (b) { meshes[b.name] = boneMesh(b); });
    meshes.sphere = sphereMesh(16, 12);
    meshes.axes = {};
    META.axes.oblique.forEach(function (a, i) { meshes.axes["oblique" + i] = axisMesh(a, META.theme.axis_radius_mm); });
    Object.keys(META.axes.nutation).forEach(function (level) {
      meshes.axes["nutation_" + level] = axisMesh(META.axes.nutation[level], META.theme.axis_radius_mm);
    });
  }

  function upload(positions, normals, indices) {
    var mesh = { count: indices.length, type: indices instanceof Uint32Array ? gl.UNSIGNED_INT : gl.UNSIGNED_SHORT };
    mesh.position = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, mesh.position);
    gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
    mesh.normal = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, mesh.normal);
    gl.bufferData(gl.ARRAY_BUFFER, normals, gl.STATIC_DRAW);
    mesh.index = gl.createBuffer();
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, mesh.index);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, indices, gl.STATIC_DRAW);
    return mesh;
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

  /* A tube along a joint axis with an arrow head at its positive end (as the app draws it). */
  function axisMesh(axis, radius) {
    var d = unit(axis.direction), h = axis.half_length_mm, c = axis.point_mm;
    var e1 = unit(cross(Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0], d)), e2 = cross(d, e1);
    var p = [], n = [], idx = [], slices = 16;
    function ring(centre, r, normalTilt) {
      var start = p.length / 3;
      for (var j = 0; j <= slices; j++) {
        var a = 2 * Math.PI * j / slices, radial = add(scale(e1, Math.cos(a)), scale(e2, Math.sin(a)));
        var q = add(centre, scale(radial, r));
        p.push(q[0], q[1], q[2]);
        var nn = unit(add(radial, scale(d, normalTilt)));
        n.push(nn[0], nn[1], nn[2]);
      }
      return start;
    }
    function join(a, b) { for (var j = 0; j < slices; j++) idx.push(a + j, b + j, a + j + 1, a + j + 1, b + j, b + j + 1); }
    var bottom = ring(add(c, scale(d, -h)), radius, 0), top = ring(add(c, scale(d, h)), radius, 0);
    join(bottom, top);
    var coneBase = ring(add(c, scale(d, h)), 2.5 * radius, 0.3), tip = ring(add(c, scale(d, h + 8 * radius)), 0.001, 0.3);
    join(coneBase, tip);
    return upload(new Float32Array(p), new Float32Array(n), new Uint16Array(idx));
  }

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
    gl.bindBuffer(gl.ARRAY_BUFFER, mesh.position);
    gl.enableVertexAttribArray(locations.aPos);
    gl.vertexAttribPointer(locations.aPos, 3, gl.FLOAT, false, 0, 0);
    if (mesh.normal) {
      gl.bindBuffer(gl.ARRAY_BUFFER, mesh.normal);
      gl.enableVertexAttribArray(locations.aNormal);
      gl.vertexAttribPointer(locations.aNormal, 3, gl.FLOAT, false, 0, 0);
    } else {
      gl.disableVertexAttribArray(locations.aNormal);
      gl.vertexAttrib3f(locations.aNormal, 0, 0, 1);
    }
    if (options.cull) gl.enable(gl.CULL_FACE); else gl.disable(gl.CULL_FACE);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, mesh.index);
    gl.drawElements(gl.TRIANGLES, mesh.count, mesh.type, 0);
  }

  /* ---------------------------------------------------------------- camera ---------------- */
  function bounds() {
    var femurs = state.overlays.some(function (o) { return o.femurs; });
    return femurs ? META.bounds.with_femurs : META.bounds.pelvis;
  }

  function presetCamera(name) {
    var cam = META.camera;
    var fovy = FOV_DEG * Math.PI / 180 / cam.zoom;
    if (name === "scene" && cam.position_mm) {
      return { eye: cam.position_mm.slice(), target: cam.focal_point_mm.slice(), up: unit(cam.up), fovy: FOV_DEG * Math.PI / 180 / cam.zoom, fit: false };
    }
    var view = META.views[name === "scene" ? cam.view : name], b = bounds();
    var centre = [(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2];
    var radius = 0.5 * Math.sqrt(Math.pow(b[1] - b[0], 2) + Math.pow(b[3] - b[2], 2) + Math.pow(b[5] - b[4], 2));
    return { target: centre, direction: unit(view.direction), up: view.up.slice(), radius: radius, fovy: fovy, fit: true,
             eye: null, zoomBy: 1 };
  }

  /* Eye position of a fitted camera for a viewport aspect (the bounding sphere fills the view, as VTK's ResetCamera). */
  function cameraFor(aspect) {
    var c = state.camera, eye = c.eye, up = c.up, target = c.target;
    if (c.fit) {
      var half = (FOV_DEG * Math.PI / 180) / 2;
      if (aspect < 1) half = Math.atan(Math.tan(half) * aspect);
      var distance = c.radius / Math.sin(half) * (c.zoomBy || 1);
      eye = add(target, scale(c.direction, distance));
    }
    if (META.camera.orbit_deg && !state.userCamera && state.view === (META.camera.position_mm ? "scene" : META.camera.view) && TL.duration_s > 0) {
      var angle = META.camera.orbit_deg * Math.PI / 180 * state.t / TL.duration_s;
      eye = add(target, rotateAbout(sub(eye, target), up, angle));
    }
    return { eye: eye, target: target, up: up, fovy: c.fovy };
  }

  function setView(name) {
    state.view = name;
    state.userCamera = false;
    state.camera = presetCamera(name);
    Array.prototype.forEach.call(document.querySelectorAll("#views button"), function (b) {
      b.classList.toggle("active", b.dataset.view === name);
    });
    requestDraw();
  }

  /* Turn the shared camera by a drag (dx, dy pixels) or move it closer (factor < 1). */
  function orbit(dx, dy) {
    var c = state.camera, view = cameraFor(lastAspect);
    if (c.fit) { c.eye = view.eye; c.fit = false; }
    var offset = sub(c.eye, c.target);
    var right = unit(cross(c.up, offset));
    offset = rotateAbout(offset, c.up, -dx * 0.008);
    var tilted = rotateAbout(offset, right, -dy * 0.008);
    var newUp = rotateAbout(c.up, right, -dy * 0.008);
    c.eye = add(c.target, tilted);
    c.up = unit(newUp);
    state.userCamera = true;
    requestDraw();
  }

  function dolly(factor) {
    var c = state.camera;
    factor = clamp(factor, 0.5, 2);
    if (c.fit) c.zoomBy = clamp((c.zoomBy || 1) * factor, 0.15, 6);
    else c.eye = add(c.target, scale(sub(c.eye, c.target), factor));
    state.userCamera = true;
    requestDraw();
  }

  /* ---------------------------------------------------------------- page ------------------ */
  var panelViews = [], labelLayers = [], readoutBoxes = [], badges = [], titles = [];
  var sliderInputs = [];

  function buildPage() {
    var theme = META.theme, root = document.documentElement.style;
    root.setProperty("--background", theme.background);
    root.setProperty("--text", theme.text_colour);
    root.setProperty("--accent", theme.magnification_colour);
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
      view.appendChild(labels); view.appendChild(head);
      var readout = element("div", "readout");
      readout.setAttribute("aria-live", "polite");
      box.appendChild(view); box.appendChild(readout);
      panels.appendChild(box);
      panelViews.push(view); labelLayers.push(labels); readoutBoxes.push(readout); badges.push(badge); titles.push(title);
      attachPointer(view);
    });
    buildControls();
    buildSliders();
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
    var views = $("views");
    var names = (META.camera.position_mm ? ["scene"] : []).concat(Object.keys(META.views));
    names.forEach(function (name) {
      var b = element("button", "", name === "scene" ? "scene view" : name);
      b.type = "button";
      b.dataset.view = name;
      b.addEventListener("click", function () { setView(name); });
      views.appendChild(b);
    });
    var overlays = $("overlays");
    var shown = { ghost: "ghost of neutral", landmarks: "landmarks", axes: "axes", colour_map: "colour map", trails: "trails",
                  palpation: "palpation error", femurs: "femurs" };
    Object.keys(shown).forEach(function (name) {
      var label = element("label", "toggle"), box = element("input");
      box.type = "checkbox";
      box.dataset.overlay = name;
      box.checked = state.overlays.some(function (o) { return o[name]; });
      box.addEventListener("change", function () {
        state.overlays.forEach(function (o) { o[name] = box.checked; });
        if (name === "femurs" && !state.userCamera) state.camera = presetCamera(state.view);
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
      if (!m.sliders.length) set.appendChild(element("p", "note", "This model has no parameters."));
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

  function readoutHTML(panel, sample) {
    var m = META.motions[META.panels[panel].motion];
    var rows = sample.keyRows || m.key_rows;
    var box = element("div");
    box.appendChild(element("h3", "", "Readout at true scale — the same numbers at every magnification"));
    var named = META.categories[sample.texts[1]];
    box.appendChild(element("div", "named", named ? "Named: " + named
      : "No clinical name: no landmark signature above the RSA precision."));
    var descriptorRows = rows.filter(function (c) { return COLUMNS[c].group !== "finding"; });
    var findingRows = rows.filter(function (c) { return COLUMNS[c].group === "finding"; });
    if (!descriptorRows.length) box.appendChild(element("div", "", "Neutral: no displacement."));
    var lastGroup = null;
    descriptorRows.forEach(function (c) {
      var column = COLUMNS[c], v = sample.readouts[c];
      var group = column.group.indexOf("innominate") === 0 ? "innominate" : column.group;
      if (group !== lastGroup) { box.appendChild(element("h4", "", GROUP_TITLES[group] + ", " + column.frame)); lastGroup = group; }
      var row = element("div", "row");
      row.dataset.column = column.key;
      row.appendChild(element("span", "", column.subject));
      row.appendChild(element("span", "value", describeValue(column, v, sample.texts)));
      box.appendChild(row);
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
    if (sample.source === "grid") box.appendChild(element("div", "note", "Slider value interpolated between values computed in advance."));
    if (sample.source === "kernel") box.appendChild(element("div", "note", "Computed live by the Python kernel."));
    return box;
  }

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

  function placeLabels(panel, rect, points, midlineX, show) {
    var layer = labelLayers[panel];
    if (!labelElements[panel]) {
      labelElements[panel] = META.landmarks.map(function (l) {
        var e = element("div", "label", l.label);
        e.style.color = META.theme.text_colour;
        e.dataset.landmark = l.name;
        layer.appendChild(e);
        return e;
      });
    }
    var els = labelElements[panel];
    if (!show) { els.forEach(function (e) { e.style.display = "none"; }); return; }
    var viewRect = panelViews[panel].getBoundingClientRect();
    var taken = [box(titles[panel]), box(badges[panel])];
    function box(e) { /* in the view's pixels, as the labels are placed */
      var r = e.getBoundingClientRect();
      return [r.left - viewRect.left, r.right - viewRect.left, r.top - viewRect.top, r.bottom - viewRect.top];
    }
    function free(b) {
      if (b[0] < 0 || b[2] < 0 || b[1] > rect.width || b[3] > rect.height) return false;
      return taken.every(function (o) { return !(b[0] < o[1] && o[0] < b[1] && b[2] < o[3] && o[2] < b[3]); });
    }
    var order = META.landmarks.map(function (l, i) { return i; }).sort(function (a, b) {
      return META.landmarks[a].rank - META.landmarks[b].rank || (META.landmarks[a].name < META.landmarks[b].name ? -1 : 1);
    });
    order.forEach(function (i) {
      var e = els[i], p = points[i];
      e.style.display = "block";
      var w = e.offsetWidth, h = e.offsetHeight, gap = 6;
      if (!p) { e.style.display = "none"; return; }
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
  }

  /* ---------------------------------------------------------------- drawing --------------- */
  var currentView = identity();
  var lastAspect = 1; /* of the last panel drawn: a drag starts from the camera as shown */
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

  function landmarkPositions(T) {
    return META.landmarks.map(function (l) { return apply(T[l.bone], l.position_mm); });
  }

  function trailFor(panel, sampleFn) {
    var motion = META.panels[panel].motion, m = panelMagnification(panel);
    var key = motion + ":" + m;
    if (trailCache[key]) return trailCache[key];
    var N = TL.axis === "phase" ? TL.samples : Math.max(2, TL.samples);
    var points = META.trail_landmarks.map(function () { return []; });
    for (var k = 0; k <= N; k++) {
      var t = TL.axis === "phase"
        ? (((k % N) / N - TL.start_phase + 1) % 1) * TL.seconds_per_cycle
        : TL.duration_s * Math.min(k, N - 1) / (N - 1);
      var T = boneTransforms(sampleFn(motion, t), m);
      META.trail_landmarks.forEach(function (name, i) {
        var l = META.landmarks.filter(function (x) { return x.name === name; })[0];
        var p = apply(T[l.bone], l.position_mm);
        points[i].push(p[0], p[1], p[2]);
      });
    }
    trailCache[key] = points.map(function (p) { return tubeMesh(p, TRAIL_RADIUS_MM); }).filter(Boolean);
    return trailCache[key];
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
    return upload(new Float32Array(p), new Float32Array(n), new Uint16Array(idx));
  }

  function clearTrails() {
    Object.keys(trailCache).forEach(function (key) {
      trailCache[key].forEach(function (mesh) {
        gl.deleteBuffer(mesh.position); gl.deleteBuffer(mesh.normal); gl.deleteBuffer(mesh.index);
      });
    });
    trailCache = {};
  }

  function resizeCanvas() {
    var stage = $("stage"), ratio = Math.min(window.devicePixelRatio || 1, 2);
    var w = Math.max(1, Math.round(stage.clientWidth * ratio)), h = Math.max(1, Math.round(stage.clientHeight * ratio));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    return ratio;
  }

  function draw() {
    var ratio = resizeCanvas();
    var stageRect = $("stage").getBoundingClientRect();
    var theme = META.theme, background = hexColour(theme.background);
    gl.disable(gl.SCISSOR_TEST);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.SCISSOR_TEST);
    var samples = {};
    var shown = { panels: [] };
    META.panels.forEach(function (panel, p) {
      var motion = panel.motion;
      if (!samples[motion]) samples[motion] = motionSample(motion, state.t);
      var sample = samples[motion], overlays = state.overlays[p], m = panelMagnification(p);
      var T = boneTransforms(sample, m);
      var rect = panelViews[p].getBoundingClientRect();
      var x = Math.round((rect.left - stageRect.left + 1) * ratio), w = Math.round((rect.width - 2) * ratio);
      var h = Math.round((rect.height - 2) * ratio), y = canvas.height - Math.round((rect.top - stageRect.top + 1) * ratio) - h;
      gl.viewport(x, y, w, h);
      gl.scissor(x, y, w, h);
      gl.clearColor(background[0], background[1], background[2], 1);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      var cam = cameraFor(w / h);
      lastAspect = w / h;
      var distance = norm(sub(cam.eye, cam.target)), b = bounds();
      var radius = 0.5 * Math.sqrt(Math.pow(b[1] - b[0], 2) + Math.pow(b[3] - b[2], 2) + Math.pow(b[5] - b[4], 2));
      currentView = lookAt(cam.eye, cam.target, cam.up);
      var projection = perspective(cam.fovy, w / h, Math.max(1, distance - 3 * radius), distance + 3 * radius);
      gl.uniformMatrix4fv(locations.uView, false, new Float32Array(currentView));
      gl.uniformMatrix4fv(locations.uProj, false, new Float32Array(projection));
      gl.disable(gl.BLEND);
      gl.depthMask(true);
      META.bones.forEach(function (bone) {
        if (bone.name.indexOf("femur") === 0 && !overlays.femurs) return;
        var pelvic = PELVIC.indexOf(bone.name);
        var trueScale = overlays.colour_map && pelvic >= 0 ? expTwist(sample.twists, pelvic * 6, 1) : null;
        drawMesh(meshes[bone.name], T[bone.name], meshes[bone.name].colour, { cull: bone.closed, trueScale: trueScale });
      });
      var points = landmarkPositions(T);
      if (overlays.landmarks) {
        var colour = hexColour(theme.landmark_colour);
        points.forEach(function (q) { drawMesh(meshes.sphere, translateScale(q, theme.landmark_size_mm), colour, { cull: true }); });
      }
      if (overlays.axes) {
        drawMesh(meshes.axes["nutation_" + panel.axis_level], T.world, hexColour(theme.axis_colour), { cull: true });
        META.axes.oblique.forEach(function (a, i) { drawMesh(meshes.axes["oblique" + i], T.world, hexColour(theme.oblique_axis_colour), { cull: true }); });
      }
      if (overlays.trails) {
        trailFor(p, motionSample).forEach(function (tube) { drawMesh(tube, identity(), hexColour(theme.trail_colour), { cull: true }); });
      }
      /* Translucent overlays last, without writing depth. */
      gl.enable(gl.BLEND);
      gl.depthMask(false);
      if (overlays.ghost) {
        gl.enable(gl.POLYGON_OFFSET_FILL);
        gl.polygonOffset(4, 40); /* behind the bone where they coincide (as the app's ghost) */
        PELVIC.forEach(function (bone) {
          if (meshes[bone]) drawMesh(meshes[bone], T.world, hexColour(theme.ghost_colour), { alpha: theme.ghost_opacity, lit: false, cull: true });
        });
        gl.disable(gl.POLYGON_OFFSET_FILL);
      }
      if (overlays.palpation) {
        META.palpation.landmarks.forEach(function (name) {
          var l = META.landmarks.filter(function (x) { return x.name === name; })[0];
          var centre = apply(T.world, l.position_mm);
          [[META.palpation.radii_mm[1], 0.12], [META.palpation.radii_mm[0], 0.2]].forEach(function (r) {
            drawMesh(meshes.sphere, translateScale(centre, r[0]), hexColour(theme.palpation_colour), { alpha: r[1], lit: false, cull: true });
          });
        });
      }
      gl.depthMask(true);
      /* Labels and text */
      var viewProjection = multiply(projection, currentView);
      var cssW = rect.width - 2, cssH = rect.height - 2;
      function toScreen(q) {
        var c = [0, 0, 0, 0];
        for (var r = 0; r < 4; r++) c[r] = viewProjection[r] * q[0] + viewProjection[4 + r] * q[1] + viewProjection[8 + r] * q[2] + viewProjection[12 + r];
        if (c[3] <= 0) return null;
        return [(c[0] / c[3] * 0.5 + 0.5) * cssW, (1 - (c[1] / c[3] * 0.5 + 0.5)) * cssH];
      }
      var screen = points.map(toScreen);
      var midline = toScreen(apply(T.world, [0, 0, 0]));
      placeLabels(p, { width: cssW, height: cssH }, screen, midline ? midline[0] : cssW / 2, overlays.landmarks);
      var badgeText = magnificationText(m);
      if (badges[p].textContent !== badgeText) badges[p].textContent = badgeText;
      var readout = readoutHTML(p, sample);
      if (lastReadoutText[p] !== readout.innerHTML) {
        readoutBoxes[p].innerHTML = "";
        readoutBoxes[p].appendChild(readout);
        lastReadoutText[p] = readoutBoxes[p].firstChild.innerHTML;
      }
      shown.panels.push({ magnification: m, twists: Array.prototype.slice.call(sample.twists), readouts: Array.prototype.slice.call(sample.readouts),
                          texts: sample.texts.map(function (i) { return META.categories[i]; }), source: sample.source,
                          landmarks: points, screen: screen });
    });
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
    var scrub = $("scrub");
    if (document.activeElement !== scrub) scrub.value = String(state.t);
    var text = state.t.toFixed(2) + " s / " + TL.duration_s.toFixed(2) + " s";
    if (META.motions.some(function (m) { return m.uses_gait; })) text += " · gait phase " + Math.round(phaseAt(state.t) * 100) + " %";
    $("clock").textContent = text;
    var captions = META.captions.filter(function (c) { return c.start_s <= state.t && (c.end_s === null || state.t < c.end_s); });
    var caption = captions.map(function (c) { return c.text; }).join("  ");
    if ($("caption").textContent !== caption) $("caption").textContent = caption;
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
    var legend = $("colour-legend");
    legend.hidden = !state.overlays.some(function (o) { return o.colour_map; });
    $("colour-range").textContent = META.colour_map_range_mm[0] + "–" + META.colour_map_range_mm[1] + " mm";
  }

  /* ---------------------------------------------------------------- pointer --------------- */
  function attachPointer(view) {
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
        orbit(e.clientX - last[0], e.clientY - last[1]);
      } else if (ids.length === 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]];
        var d = Math.hypot(a[0] - b[0], a[1] - b[1]);
        if (pinch) dolly(pinch / Math.max(d, 1));
        pinch = d;
      }
    });
    function end(e) { delete pointers[e.pointerId]; pinch = null; }
    view.addEventListener("pointerup", end);
    view.addEventListener("pointercancel", end);
    view.addEventListener("wheel", function (e) { e.preventDefault(); dolly(Math.exp(e.deltaY * 0.001)); }, { passive: false });
    view.addEventListener("dblclick", function () { setView(state.view); });
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
        n: data.n, twists: new Float64Array(data.twists), readouts: new Float64Array(data.readouts), texts: data.texts } };
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
               firstFrameMs: state.firstFrameMs, view: state.view, magnification: state.magnification, error: glError ? String(glError) : null };
    },
    shown: function () { return lastShown; },
    setTime: function (t) { setPlaying(false); setTime(t); },
    play: function () { setPlaying(true); },
    pause: function () { setPlaying(false); },
    setSlider: setSlider,
    setMagnification: function (m) { $("magnification").value = String(m); $("magnification").dispatchEvent(new Event("change")); },
    setView: setView,
    expTwist: function (twist, factor) { return Array.prototype.slice.call(expTwist(twist, 0, factor)); },
    sample: function (motion, t) {
      var s = motionSample(motion, t);
      return { twists: Array.prototype.slice.call(s.twists), readouts: Array.prototype.slice.call(s.readouts), texts: s.texts, source: s.source };
    },
    redraw: function () { draw(); return state.frames; }
  };

  try {
    buildPage();
    setupGL();
    setView(state.view);
    state.camera = presetCamera(state.view);
    window.addEventListener("resize", requestDraw);
    draw();
  } catch (error) {
    fail(error);
  }
})();
