// daogou storefront: live try-on in the shopper's browser. The camera never leaves the page: the vendored
// mediapipe pose model (static/vendor/mediapipe-pose, Apache-2.0) finds the body in each frame, and the product's
// rig (cut-out + landmarks + control grid, fetched once) is warped onto it here. The placement and the
// thin-plate spline are the same maths as daogou/tryon/fitting.py and warp.py, checked against them by a shared
// test vector (tests/test_browser.py). Uses app.js's globals ($, el, state).
"use strict";

const LIVE_I18N = {
  en: { button: "Live camera", stop: "Stop", loading: "Starting the camera and the pose model…", noCamera: "No camera available",
        fps: (fps, ms) => `${fps.toFixed(1)} fps · ${ms.toFixed(0)} ms a frame`, label: "Live try-on preview (nothing is sent to the server)" },
  zh: { button: "实时试穿", stop: "停止", loading: "正在打开摄像头并加载姿态模型…", noCamera: "没有可用的摄像头",
        fps: (fps, ms) => `${fps.toFixed(1)} 帧/秒 · 每帧 ${ms.toFixed(0)} 毫秒`, label: "实时试穿预览（画面不会发送到服务器）" },
};
const lt = (key) => LIVE_I18N[state.lang][key];

// -- the shared maths (mirrors daogou/tryon/fitting.py: SEAM_OUT, SEAM_UP, place, _along) -----------------------
const SEAM_OUT = 0.14, SEAM_UP = 0.05, VISIBLE = 0.5;
const L_SHOULDER = 11, R_SHOULDER = 12, L_ELBOW = 13, R_ELBOW = 14, L_WRIST = 15, R_WRIST = 16, L_HIP = 23, R_HIP = 24;
const add = (a, b) => [a[0] + b[0], a[1] + b[1]];
const sub = (a, b) => [a[0] - b[0], a[1] - b[1]];
const mul = (a, k) => [a[0] * k, a[1] * k];
const dot = (a, b) => a[0] * b[0] + a[1] * b[1];
const norm = (a) => Math.hypot(a[0], a[1]);
const unit = (a) => { const n = norm(a); return n > 1e-9 ? [a[0] / n, a[1] / n] : [1, 0]; };
const mid = (a, b) => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];

function along(path, length) {
  let walked = 0;
  for (let i = 0; i < path.length - 1; i++) {
    const step = norm(sub(path[i + 1], path[i]));
    if (walked + step >= length || i === path.length - 2) return [add(path[i], mul(unit(sub(path[i + 1], path[i])), length - walked)), i];
    walked += step;
  }
  return [path[path.length - 1], 0];
}

// points: 33 [x, y] in pixels; visibility: 33 numbers; rig: the JSON of /api/products/{id}/tryon/rig
function place(points, visibility, rig) {
  const seen = (...ix) => ix.every((i) => visibility[i] >= VISIBLE);
  const g = rig.points;
  const left = points[R_SHOULDER], right = points[L_SHOULDER];
  const width = norm(sub(right, left));
  const u = unit(sub(right, left));
  let down = [-u[1], u[0]];
  if (seen(L_HIP, R_HIP)) down = unit(add(down, unit(sub(mid(points[L_HIP], points[R_HIP]), mid(left, right)))));
  const seamL = sub(sub(left, mul(u, SEAM_OUT * width)), mul(down, SEAM_UP * width));
  const seamR = sub(add(right, mul(u, SEAM_OUT * width)), mul(down, SEAM_UP * width));
  const gU = unit(sub(g.shoulder_right, g.shoulder_left));
  const gD = [-gU[1], gU[0]];
  const scale = norm(sub(seamR, seamL)) / Math.max(1, norm(sub(g.shoulder_right, g.shoulder_left)));
  const g0 = mid(g.shoulder_left, g.shoulder_right), t0 = mid(seamL, seamR);
  const frame = (p) => { const rel = sub(p, g0); return add(t0, mul(add(mul(u, dot(rel, gU)), mul(down, dot(rel, gD))), scale)); };
  const src = [], dst = [];
  for (const name of ["neck_left", "neck_right", "shoulder_left", "shoulder_right", "armpit_left", "armpit_right", "hem_left", "hem_right"]) {
    src.push(g[name]);
    dst.push(name === "shoulder_left" ? seamL : name === "shoulder_right" ? seamR : frame(g[name]));
  }
  if (g.cuff_left && g.cuff_right) {
    const arms = [[g.cuff_left, g.shoulder_left, g.armpit_left, R_SHOULDER, R_ELBOW, R_WRIST],
                  [g.cuff_right, g.shoulder_right, g.armpit_right, L_SHOULDER, L_ELBOW, L_WRIST]];
    for (const [cuff, shoulder, armpit, s, e, w] of arms) {
      const root = mid(shoulder, armpit);
      const length = scale * norm(sub(cuff, root));
      const path = [points[s]];
      for (const joint of [e, w]) if (seen(joint)) path.push(points[joint]);
      if (path.length === 1) path.push(add(path[0], mul(down, width)));
      const [target, joints] = along(path, length);
      src.push(cuff); dst.push(target);
      if (joints) {
        const t = norm(sub(path[1], path[0])) / Math.max(length, 1e-6);
        src.push(add(root, mul(sub(cuff, root), t))); dst.push(path[1]);
      }
    }
  }
  return { src, dst };
}

// thin-plate spline through (src → dst): kernel r² log r plus a linear part, as scipy's RBFInterpolator
function tps(src, dst) {
  const n = src.length, size = n + 3;
  const phi = (a, b) => { const r = norm(sub(a, b)); return r > 0 ? r * r * Math.log(r) : 0; };
  const A = Array.from({ length: size }, () => new Array(size).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i][j] = phi(src[i], src[j]);
    A[i][n] = 1; A[i][n + 1] = src[i][0]; A[i][n + 2] = src[i][1];
    A[n][i] = 1; A[n + 1][i] = src[i][0]; A[n + 2][i] = src[i][1];
  }
  const solve = (rhs) => {  // Gaussian elimination with partial pivoting on a copy
    const M = A.map((row, i) => [...row, rhs[i]]);
    for (let c = 0; c < size; c++) {
      let p = c;
      for (let r = c + 1; r < size; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
      [M[c], M[p]] = [M[p], M[c]];
      for (let r = c + 1; r < size; r++) {
        const f = M[r][c] / M[c][c];
        for (let k = c; k <= size; k++) M[r][k] -= f * M[c][k];
      }
    }
    const x = new Array(size).fill(0);
    for (let r = size - 1; r >= 0; r--) {
      let s = M[r][size];
      for (let k = r + 1; k < size; k++) s -= M[r][k] * x[k];
      x[r] = s / M[r][r];
    }
    return x;
  };
  const cx = solve([...dst.map((d) => d[0]), 0, 0, 0]);
  const cy = solve([...dst.map((d) => d[1]), 0, 0, 0]);
  return (p) => {
    let x = cx[n] + cx[n + 1] * p[0] + cx[n + 2] * p[1];
    let y = cy[n] + cy[n + 1] * p[0] + cy[n + 2] * p[1];
    for (let i = 0; i < n; i++) { const k = phi(p, src[i]); x += cx[i] * k; y += cy[i] * k; }
    return [x, y];
  };
}

// draw the cut-out warped: every grid triangle gets the affine map its three vertices define
function drawRig(ctx, cutout, rig, warp) {
  const v = rig.grid.vertices, moved = v.map(warp);
  for (const [a, b, c] of rig.grid.triangles) {
    const [s0, s1, s2] = [v[a], v[b], v[c]], [d0, d1, d2] = [moved[a], moved[b], moved[c]];
    const den = (s1[0] - s0[0]) * (s2[1] - s0[1]) - (s2[0] - s0[0]) * (s1[1] - s0[1]);
    if (Math.abs(den) < 1e-9) continue;
    const m11 = ((d1[0] - d0[0]) * (s2[1] - s0[1]) - (d2[0] - d0[0]) * (s1[1] - s0[1])) / den;
    const m12 = ((d2[0] - d0[0]) * (s1[0] - s0[0]) - (d1[0] - d0[0]) * (s2[0] - s0[0])) / den;
    const m21 = ((d1[1] - d0[1]) * (s2[1] - s0[1]) - (d2[1] - d0[1]) * (s1[1] - s0[1])) / den;
    const m22 = ((d2[1] - d0[1]) * (s1[0] - s0[0]) - (d1[1] - d0[1]) * (s2[0] - s0[0])) / den;
    const e = d0[0] - m11 * s0[0] - m12 * s0[1], f = d0[1] - m21 * s0[0] - m22 * s0[1];
    const centre = [(d0[0] + d1[0] + d2[0]) / 3, (d0[1] + d1[1] + d2[1]) / 3];
    const grow = (p) => add(p, mul(unit(sub(p, centre)), 0.6));  // hide the hairline seams between triangles
    ctx.save();
    ctx.beginPath();
    const [g0, g1, g2] = [grow(d0), grow(d1), grow(d2)];
    ctx.moveTo(g0[0], g0[1]); ctx.lineTo(g1[0], g1[1]); ctx.lineTo(g2[0], g2[1]); ctx.closePath();
    ctx.clip();
    ctx.setTransform(m11, m21, m12, m22, e, f);
    ctx.drawImage(cutout, 0, 0);
    ctx.restore();
  }
}

// -- the camera loop ------------------------------------------------------------------------------------------
const live = { layer: null, running: false, frames: 0, times: [], placed: 0, track: [], drawMs: [], stream: null, pose: null, rig: null, cutout: null };
window.daogouLive = { place, tps, state: live };

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src; s.onload = resolve; s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

async function startLive(productId) {
  const panel = $("live");
  panel.hidden = false;
  $("live-status").textContent = lt("loading");
  if (!navigator.mediaDevices) { $("live-status").textContent = lt("noCamera"); return; }
  const [rig] = await Promise.all([
    fetch(`/api/products/${encodeURIComponent(productId)}/tryon/rig`).then((r) => r.json()),
    window.Pose ? null : loadScript("/static/vendor/mediapipe-pose/pose.js"),
  ]);
  const cutout = new Image();
  cutout.src = `/api/products/${encodeURIComponent(productId)}/tryon/cutout.png`;
  await cutout.decode();
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false }); }
  catch (error) { $("live-status").textContent = lt("noCamera"); return; }
  const video = $("live-video");
  video.srcObject = stream;
  await video.play();
  const canvas = $("live-canvas");
  const ctx = canvas.getContext("2d");
  if (!live.pose) {
    live.pose = new window.Pose({ locateFile: (file) => `/static/vendor/mediapipe-pose/${file}` });
    live.pose.setOptions({ modelComplexity: 0, smoothLandmarks: true, enableSegmentation: true, smoothSegmentation: true, selfieMode: false });
  }
  Object.assign(live, { running: true, frames: 0, times: [], placed: 0, track: [], drawMs: [], stream, rig, cutout });
  live.pose.onResults((results) => {
    canvas.width = results.image.width; canvas.height = results.image.height;
    ctx.drawImage(results.image, 0, 0);
    const marks = results.poseLandmarks;
    if (marks && marks[L_SHOULDER].visibility >= VISIBLE && marks[R_SHOULDER].visibility >= VISIBLE) {
      const points = marks.map((m) => [m.x * canvas.width, m.y * canvas.height]);
      const started = performance.now();
      const { src, dst } = place(points, marks.map((m) => m.visibility ?? 0), live.rig);
      // the garment is drawn on its own layer, kept only where the person mask is (as the server clips to it)
      const layer = live.layer || (live.layer = document.createElement("canvas"));
      layer.width = canvas.width; layer.height = canvas.height;
      const lctx = layer.getContext("2d");
      drawRig(lctx, live.cutout, live.rig, tps(src, dst));
      if (results.segmentationMask) {
        lctx.globalCompositeOperation = "destination-in";
        lctx.drawImage(results.segmentationMask, 0, 0, layer.width, layer.height);
        lctx.globalCompositeOperation = "source-over";
      }
      ctx.drawImage(layer, 0, 0);
      live.drawMs.push(performance.now() - started);  // our share of a frame (the rest is the pose model)
      if (live.drawMs.length > 300) live.drawMs.shift();
      live.placed++;
      live.track.push([...dst[2], ...dst[3]]);  // where the shoulder seams landed: their jitter on a still person
      if (live.track.length > 300) live.track.shift();
    }
  });
  const loop = async () => {
    if (!live.running) return;
    const t = performance.now();
    await live.pose.send({ image: video });
    live.frames++;
    live.times.push(performance.now() - t);
    if (live.times.length > 300) live.times.shift();
    const recent = live.times.slice(-30).sort((a, b) => a - b);
    const ms = recent[Math.floor(recent.length / 2)];
    $("live-status").textContent = `${lt("label")} · ${lt("fps")(1000 / ms, ms)}`;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}

function stopLive() {
  live.running = false;
  if (live.stream) live.stream.getTracks().forEach((track) => track.stop());
  live.stream = null;
  $("live").hidden = true;
}

$("live-start").addEventListener("click", () => { if (tryon.product) startLive(tryon.product); });
$("live-stop").addEventListener("click", stopLive);
window.addEventListener("hashchange", stopLive);
$("live-start").textContent = lt("button");
$("live-stop").textContent = lt("stop");
