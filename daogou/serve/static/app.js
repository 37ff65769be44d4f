// daogou storefront: search box with removable chips, photo search, facets, product pages, "for you".
// Plain JS, no build step. All catalog text is inserted with textContent (never innerHTML).
"use strict";

const I18N = {
  en: {
    brand: "daogou 导购", placeholder: "Search in English or 中文…", search: "Search", photo: "Photo", photoTitle: "Search by photo",
    drop: "Drop a photo to search with it", forYou: "For you", back: "← Back to results", similar: "Similar items",
    results: (n, ms) => `${n} results in ${ms} ms`, none: "Nothing found. Try fewer words or remove a chip.",
    searching: "Searching…", not: "not", fromPhoto: "from photo", yourPhoto: "your photo", relaxed: (f) => `Nothing matched everything; ignored: ${f}`,
    facet: { type: "Type", colour: "Colour", gender: "Gender", brand: "Brand", price: "Price" }, why: "Why", lang: "中文",
    predicted: "predicted from photo", close: "close match",
    categories: "Shop by category", popular: "Popular now", popularReviews: "Best reviewed",
  },
  zh: {
    brand: "导购 daogou", placeholder: "输入中文或英文搜索…", search: "搜索", photo: "拍照", photoTitle: "以图搜图",
    drop: "松开即可用这张图片搜索", forYou: "为你推荐", back: "← 返回结果", similar: "相似商品",
    results: (n, ms) => `找到 ${n} 件商品，用时 ${ms} 毫秒`, none: "没有找到。试试少一些词，或去掉一个条件。",
    searching: "搜索中…", not: "不要", fromPhoto: "来自图片", yourPhoto: "你的图片", relaxed: (f) => `没有完全匹配的商品，已放宽：${f}`,
    facet: { type: "品类", colour: "颜色", gender: "性别", brand: "品牌", price: "价格" }, why: "推荐理由", lang: "EN",
    predicted: "由图片预测", close: "相近商品",
    categories: "按品类逛", popular: "热门商品", popularReviews: "好评商品",
  },
};

// ?debug in the address shows each hit's ranking signals (ranks, cosines) for merchandisers
const DEBUG = new URLSearchParams(location.search).has("debug");
const SYMBOLS = { INR: "₹", USD: "$", EUR: "€", CNY: "¥", RMB: "¥", GBP: "£", JPY: "¥" };
function priceText(item) {
  if (item.price == null) return null;
  const symbol = SYMBOLS[(item.currency || "").toUpperCase()] ?? (item.currency ? `${item.currency} ` : "");
  return `${symbol}${Math.round(item.price)}`;
}

const state = { q: "", drop: [], filters: {}, photo: null, photoUrl: null, lang: localStorage.getItem("daogou.lang") || "en" };
const $ = (id) => document.getElementById(id);
const t = (key) => I18N[state.lang][key];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function applyLanguage() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((n) => { const v = t(n.dataset.i18n); if (typeof v === "string") n.textContent = v; });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = t(n.dataset.i18nPlaceholder); });
  document.querySelectorAll("[data-i18n-title]").forEach((n) => { n.title = t(n.dataset.i18nTitle); });
  $("lang").textContent = t("lang");
}

function viewed() { return JSON.parse(sessionStorage.getItem("daogou.viewed") || "[]"); }
function remember(id) {
  const list = viewed().filter((x) => x !== id);
  list.push(id);
  sessionStorage.setItem("daogou.viewed", JSON.stringify(list.slice(-30)));
}

async function api(path, options) {
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : response.statusText);
  return data;
}

// the server words every reason in each language; fall back to English for older servers
function why(hit) {
  const words = hit.reasons || hit.explanations;
  return (words && words[state.lang]) || hit.reason || hit.explanation || "";
}

function card(hit) {
  const img = el("div", { class: "img" });
  if (hit.image_url) img.append(el("img", { src: hit.image_url, alt: hit.title, loading: "lazy" }));
  const body = el("div", { class: "body" },
    el("div", { class: "title", text: hit.title }),
    hit.price != null ? el("div", { class: "price", text: priceText(hit) }) : null,
    hit.close_match && hit.close_match.length ? el("div", { class: "close", text: `${t("close")}: ${hit.close_match.join(", ")}` }) : null,
    why(hit) ? el("div", { class: "why", text: `${t("why")}: ${why(hit)}` }) : null,
    DEBUG && hit.debug ? el("div", { class: "debug", text: hit.debug }) : null,
  );
  return el("article", { class: "card", "data-id": hit.id, onclick: () => { location.hash = `#/product/${encodeURIComponent(hit.id)}`; } }, img, body);
}

function chip(text, onRemove, kind = "") {
  return el("span", { class: `chip ${kind}`, "data-chip": text },
    el("span", { text }), el("button", { type: "button", "aria-label": `remove ${text}`, onclick: onRemove, text: "×" }));
}

function renderChips(result) {
  const box = $("chips");
  box.replaceChildren();
  if (state.photo) {
    const c = chip(t("yourPhoto"), () => { state.photo = null; state.photoUrl = null; run(); }, "inferred");
    c.prepend(el("img", { src: state.photoUrl, alt: "" }));
    box.append(c);
  }
  const understood = (result && result.understood && result.understood.chips) || [];
  for (const c of understood) {
    if (c.soft || state.drop.includes(c.field)) continue;
    const label = c.field === "price" ? c.text : `${c.negated ? t("not") + " " : ""}${c.text}`;
    // a slot guessed for words no lexicon knew is marked like the photo's guesses, with a "?"
    box.append(chip(c.inferred ? `${label}: ${c.values[0]}?` : label, () => { state.drop.push(c.field); run(); }, c.negated ? "neg" : (c.inferred ? "inferred" : "")));
  }
  for (const [field, note] of Object.entries((result && result.inferred) || {})) {
    if (field === "photo_colour" || state.drop.includes(field)) continue;
    box.append(chip(`${note.replace("(from the photo)", "")}· ${t("fromPhoto")}`, () => { state.drop.push(field); run(); }, "inferred"));
  }
  for (const [field, values] of Object.entries(state.filters)) {
    for (const value of values) box.append(chip(`${t("facet")[field] || field}: ${value}`, () => {
      state.filters[field] = state.filters[field].filter((v) => v !== value);
      if (!state.filters[field].length) delete state.filters[field];
      run();
    }));
  }
}

function renderFacets(facets) {
  const box = $("facets");
  box.replaceChildren();
  for (const field of ["type", "colour", "gender", "brand"]) {
    const values = Object.entries((facets || {})[field] || {}).slice(0, 8);
    if (values.length < 2 && !(state.filters[field])) continue;
    const section = el("section", { "data-facet": field }, el("h3", { text: t("facet")[field] }));
    for (const [value, count] of values) {
      const on = (state.filters[field] || []).includes(value);
      section.append(el("button", { type: "button", class: on ? "on" : "", onclick: () => {
        state.filters[field] = on ? state.filters[field].filter((v) => v !== value) : [...(state.filters[field] || []), value];
        if (!state.filters[field].length) delete state.filters[field];
        run();
      } }, el("span", { text: value }), el("span", { class: "count", text: String(count) })));
    }
    box.append(section);
  }
}

async function run() {
  showView("results");
  const status = $("status");
  if (!state.q && !state.photo) { $("grid").replaceChildren(); renderChips(null); renderFacets({}); status.textContent = ""; home(); forYou(); return; }
  $("home").hidden = true;
  status.textContent = t("searching");
  try {
    let result;
    if (state.photo) {
      const form = new FormData();
      form.append("image", state.photo);
      if (state.q) form.append("q", state.q);
      form.append("k", "24");
      result = await api("/api/search/image", { method: "POST", body: form });
    } else {
      result = await api("/api/search", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ q: state.q, k: 24, filters: state.filters, drop: state.drop }) });
    }
    renderChips(result);
    renderFacets(result.facets);
    $("grid").replaceChildren(...result.hits.map(card));
    status.textContent = result.hits.length ? t("results")(result.hits.length, Math.round(result.took_ms)) : t("none");
    if (result.relaxed && result.relaxed.length) status.textContent += " · " + t("relaxed")(result.relaxed.join(", "));
  } catch (error) {
    status.textContent = error.message;
  }
  forYou();
}

// the front page before a query: the catalog's own categories and what is popular
async function home() {
  try {
    const data = await api("/api/home?k=12");
    $("categories").replaceChildren(...data.categories.map((c) => el("button", { type: "button", class: "category", "data-value": c.value,
      onclick: () => { state.q = ""; state.filters = { [c.field]: [c.value] }; state.drop = []; $("q").value = ""; runFiltered(); } },
      c.image_url ? el("img", { src: c.image_url, alt: "", loading: "lazy" }) : null,
      el("span", { text: c.names[state.lang] || c.value }), el("span", { class: "count", text: String(c.count) }))));
    $("popular-title").textContent = data.popular_by === "reviews" ? t("popularReviews") : t("popular");
    $("popular-grid").replaceChildren(...data.popular.map(card));
    $("popular").hidden = !data.popular.length;
    $("home").hidden = !data.categories.length && !data.popular.length;
  } catch (error) { $("home").hidden = true; }
}

// a category tile: every product of that value, through the normal search with the value as a filter
async function runFiltered() {
  $("home").hidden = true;
  const status = $("status");
  status.textContent = t("searching");
  try {
    const [field, values] = Object.entries(state.filters)[0];
    const result = await api("/api/search", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ q: values[0], k: 24, filters: state.filters, drop: state.drop }) });
    renderChips(result);
    renderFacets(result.facets);
    $("grid").replaceChildren(...result.hits.map(card));
    status.textContent = result.hits.length ? t("results")(result.hits.length, Math.round(result.took_ms)) : t("none");
  } catch (error) { status.textContent = error.message; }
}

async function forYou() {
  const list = viewed();
  const row = $("for-you");
  if (!list.length) { row.hidden = true; return; }
  try {
    const data = await api("/api/recommend/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ viewed: list, k: 8 }) });
    $("for-you-grid").replaceChildren(...data.hits.map(card));
    row.hidden = !data.hits.length;
  } catch (error) { row.hidden = true; }
}

async function showProduct(id) {
  showView("product");
  remember(id);
  try {
    const p = await api(`/api/products/${encodeURIComponent(id)}?similar=12`);
    $("product-title").textContent = p.title;
    $("product-price").textContent = priceText(p) || "";
    const image = $("product-image");
    if (p.image_url) { image.src = p.image_url; image.alt = p.title; image.hidden = false; } else image.hidden = true;
    const dl = $("product-attributes");
    dl.replaceChildren();
    const rows = Object.entries(p.attributes || {});
    if (p.brand) rows.unshift(["brand", p.brand]);
    for (const [k, v] of rows) dl.append(el("dt", { text: (t("facet")[k] || k) }), el("dd", { text: v }));
    for (const [k, [v, conf]] of Object.entries(p.predicted || {})) dl.append(el("dt", { text: t("facet")[k] || k }), el("dd", { text: `${v} (${t("predicted")}, ${Math.round(conf * 100)}%)` }));
    const reviews = $("product-reviews");
    if (p.reviews) { reviews.hidden = false; reviews.textContent = p.reviews.summary || ""; } else reviews.hidden = true;
    $("similar-grid").replaceChildren(...(p.similar || []).map(card));
  } catch (error) {
    $("product-title").textContent = error.message;
  }
}

function showView(name) {
  $("results-view").hidden = name !== "results";
  $("product-view").hidden = name !== "product";
}

function route() {
  const match = location.hash.match(/^#\/product\/(.+)$/);
  if (match) showProduct(decodeURIComponent(match[1]));
  else run();
}

function usePhoto(file) {
  if (!file || !file.type.startsWith("image/")) return;
  state.photo = file;
  state.photoUrl = URL.createObjectURL(file);
  state.drop = [];
  if (location.hash.startsWith("#/product")) location.hash = "#/"; else run();
}

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.q = $("q").value.trim();
  state.drop = [];
  state.filters = {};
  if (location.hash.startsWith("#/product")) location.hash = "#/"; else run();
});
$("photo-input").addEventListener("change", (event) => usePhoto(event.target.files[0]));
$("lang").addEventListener("click", () => {
  state.lang = state.lang === "en" ? "zh" : "en";
  localStorage.setItem("daogou.lang", state.lang);
  applyLanguage();
  route();
});
let dragDepth = 0;
window.addEventListener("dragenter", (e) => { e.preventDefault(); dragDepth++; $("drop-zone").hidden = false; });
window.addEventListener("dragleave", () => { if (--dragDepth <= 0) { dragDepth = 0; $("drop-zone").hidden = true; } });
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => { e.preventDefault(); dragDepth = 0; $("drop-zone").hidden = true; usePhoto(e.dataTransfer.files[0]); });
window.addEventListener("hashchange", route);

applyLanguage();
route();
