// daogou storefront: person photos. On a product page, "Try it on" (shown only when the product's verdict says
// it can be) sends the shopper's photo to /api/tryon and shows the preview, labelled as one; the photo is not
// kept by the server. In the header, "Shop the look" sends a photo of a dressed person to /api/search/look and
// shows the photo with a box per thing worn and one row of products per box.
// Uses app.js's globals ($, el, state, card, showView).
"use strict";

const TRYON_I18N = {
  en: { button: "Try it on", label: "Try-on preview — a sketch of the fit, not a photo", busy: "Placing the garment…",
        notStored: "Your photo is used for this preview only and is not stored.", lookTitle: "Shop the look",
        lookBusy: "Looking at the outfit…", noPerson: "No person found: searched the whole photo",
        kinds: { upper: "Top", lower: "Bottoms", shoes: "Shoes", whole: "Whole photo" }, took: (ms) => `in ${ms} ms` },
  zh: { button: "试穿", label: "试穿预览（示意图，并非真实照片）", busy: "正在试穿…",
        notStored: "你的照片只用于本次预览，不会被保存。", lookTitle: "同款穿搭",
        lookBusy: "正在识别穿搭…", noPerson: "未发现人物：已按整张图片搜索",
        kinds: { upper: "上装", lower: "下装", shoes: "鞋子", whole: "整张图片" }, took: (ms) => `用时 ${ms} 毫秒` },
};
const tt = (key) => TRYON_I18N[state.lang][key];
const tryon = { product: null };

async function errorText(response) {
  const data = await response.json().catch(() => ({}));
  return typeof data.detail === "string" ? data.detail : response.statusText;
}

async function checkTryOn() {
  const match = location.hash.match(/^#\/product\/(.+)$/);
  const box = $("tryon");
  $("tryon-result").replaceChildren();
  box.hidden = true;
  if (!match) return;
  const id = decodeURIComponent(match[1]);
  tryon.product = id;
  try {
    const response = await fetch(`/api/products/${encodeURIComponent(id)}/tryon`);
    if (!response.ok) return;
    const verdict = await response.json();
    if (tryon.product === id && verdict.eligible) {
      $("tryon-label").textContent = tt("button");
      $("live-start").hidden = !["upper", "dress"].includes(verdict.kind);  // the in-browser placement covers what hangs from the shoulders
      box.hidden = false;
    }
  } catch (error) { box.hidden = true; }
}

async function tryOn(file) {
  if (!file || !tryon.product) return;
  const out = $("tryon-result");
  out.replaceChildren(el("p", { class: "status", text: tt("busy") }));
  const form = new FormData();
  form.append("product_id", tryon.product);
  form.append("photo", file);
  const response = await fetch("/api/tryon", { method: "POST", body: form });
  if (!response.ok) { out.replaceChildren(el("p", { class: "tryon-error", role: "alert", text: await errorText(response) })); return; }
  const url = URL.createObjectURL(await response.blob());
  const stages = JSON.parse(response.headers.get("X-Daogou-Stages") || "{}");
  out.replaceChildren(el("figure", { class: "tryon-figure" },
    el("img", { id: "tryon-image", src: url, alt: tt("label") }),
    el("figcaption", { text: `${tt("label")} · ${tt("took")(Math.round(stages.total || 0))}` }),
    el("p", { class: "tryon-note", text: tt("notStored") })));
}

function lookBox(region, width, height, index) {
  const [x0, y0, x1, y1] = region.box;
  const box = el("div", { class: `look-box look-${region.kind}`, "data-row": String(index) });
  box.style.left = `${(100 * x0) / width}%`;
  box.style.top = `${(100 * y0) / height}%`;
  box.style.width = `${(100 * (x1 - x0)) / width}%`;
  box.style.height = `${(100 * (y1 - y0)) / height}%`;
  box.append(el("span", { text: tt("kinds")[region.kind] || region.kind }));
  return box;
}

async function shopTheLook(file) {
  if (!file || !file.type.startsWith("image/")) return;
  if (location.hash.startsWith("#/product")) location.hash = "#/";
  showView("results");
  const view = $("look");
  view.hidden = false;
  $("grid").replaceChildren();
  view.replaceChildren(el("p", { class: "status", text: tt("lookBusy") }));
  const form = new FormData();
  form.append("photo", file);
  form.append("k", "8");
  const response = await fetch("/api/search/look", { method: "POST", body: form });
  if (!response.ok) { view.replaceChildren(el("p", { class: "tryon-error", role: "alert", text: await errorText(response) })); return; }
  const data = await response.json();
  const photo = el("div", { class: "look-photo" }, el("img", { src: URL.createObjectURL(file), alt: tt("lookTitle") }));
  data.rows.forEach((row, i) => photo.append(lookBox(row, data.width, data.height, i)));
  const rows = data.rows.map((row, i) => el("section", { class: "row look-row", id: `look-row-${i}` },
    el("h2", { text: tt("kinds")[row.kind] || row.kind }), el("div", { class: "grid small" }, ...row.hits.map(card))));
  const parts = [el("h2", { text: `${tt("lookTitle")} · ${tt("took")(Math.round(data.took_ms))}` })];
  if (!data.person) parts.push(el("p", { class: "status", text: tt("noPerson") }));
  parts.push(el("div", { class: "look" }, photo, el("div", { class: "look-rows" }, ...rows)));
  view.replaceChildren(...parts);
}

$("tryon-input").addEventListener("change", (event) => { tryOn(event.target.files[0]); event.target.value = ""; });
$("look-input").addEventListener("change", (event) => { shopTheLook(event.target.files[0]); event.target.value = ""; });
$("search-form").addEventListener("submit", () => { $("look").hidden = true; });
window.addEventListener("hashchange", checkTryOn);
$("lang").addEventListener("click", () => { $("look-title").title = tt("lookTitle"); checkTryOn(); });
$("look-title").title = tt("lookTitle");
checkTryOn();
