// daogou chat panel: talk to the shopping guide beside search. Product cards, comparison tables, policy
// citations and the handover note are built from the reply's JSON with textContent (never innerHTML).
// Loaded after app.js, whose el() builds every element here too.
"use strict";

const CHAT_I18N = {
  en: { open: "💬 Ask the guide", title: "Shopping guide", placeholder: "e.g. black running shoes for men, not Nike", send: "Send",
        source: "Source", handover: "Handed over to a person — they see this conversation.", offer: "Want a person to check? Type “human please”.",
        photo: "Add a photo", price: "Price", reviews: "Reviews", positive: (p, n) => `${p}/${n} positive`, close: "Close",
        hello: "Hi! Tell me what you're looking for, or ask about shipping, returns and more." },
  zh: { open: "💬 问导购", title: "导购助手", placeholder: "比如：黑色男士跑步鞋，不要Nike", send: "发送",
        source: "出处", handover: "已转接人工客服，对方可以看到本次对话。", offer: "需要人工确认吗？输入“转人工”。",
        photo: "添加图片", price: "价格", reviews: "评价", positive: (p, n) => `${p}/${n} 好评`, close: "关闭",
        hello: "您好！告诉我您想买什么，或者问我退换货、运费等问题。" },
};
const chatState = { session: sessionStorage.getItem("daogou.chat") || null, photo: null };
const chatLang = () => (document.documentElement.lang === "zh-CN" ? "zh" : "en");
const ct = (key) => CHAT_I18N[chatLang()][key];

function chatLabels() {
  document.getElementById("chat-open").textContent = ct("open");
  document.getElementById("chat-title").textContent = ct("title");
  document.getElementById("chat-text").placeholder = ct("placeholder");
  document.getElementById("chat-send").textContent = ct("send");
  document.getElementById("chat-close").setAttribute("aria-label", ct("close"));
}

function productCards(products) {
  const row = el("div", { class: "chat-products" });
  for (const p of products) {
    const img = p.image_url ? el("img", { src: p.image_url, alt: p.title, loading: "lazy" }) : el("div", { class: "noimg" });
    row.append(el("button", { class: "chat-card", type: "button", "data-id": p.id,
      onclick: () => { location.hash = `#/product/${encodeURIComponent(p.id)}`; } },
      img, el("span", { class: "t", text: p.title }), p.price != null ? el("span", { class: "p", text: `₹${p.price}` }) : null));
  }
  return row;
}

function compareTable(rows) {
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r.attributes || {})))];
  const table = el("table", { class: "chat-table" });
  const head = el("tr", {}, el("th", { text: "" }));
  rows.forEach((r, i) => head.append(el("th", { text: `${i + 1}. ${r.title}` })));
  table.append(head);
  const line = (label, cell) => { const tr = el("tr", {}, el("th", { text: label })); rows.forEach((r) => tr.append(el("td", { text: cell(r) }))); table.append(tr); };
  line(ct("price"), (r) => (r.price != null ? `₹${r.price}` : "—"));
  for (const f of fields) line(f, (r) => (r.attributes || {})[f] || "—");
  line(ct("reviews"), (r) => (r.reviews ? ct("positive")(r.reviews.positive, r.reviews.reviews) : "—"));
  return table;
}

function say(role, text, extra = []) {
  const log = document.getElementById("chat-log");
  const bubble = el("div", { class: `msg ${role}` }, el("p", { text }));
  for (const node of extra) if (node) bubble.append(node);
  log.append(bubble);
  log.scrollTop = log.scrollHeight;
  return bubble;
}

function renderReply(data) {
  const extra = [];
  if (data.products && data.products.length && data.act !== "compare") extra.push(productCards(data.products));
  if (data.table) extra.push(compareTable(data.table));
  for (const c of data.citations || []) extra.push(el("p", { class: "cite", text: `${ct("source")}: ${c.doc} › ${c.section}` }));
  if (data.handover && data.handover.active) extra.push(el("p", { class: "handover", text: ct("handover") }));
  else if (data.handover && data.handover.offered) extra.push(el("p", { class: "offer", text: ct("offer") }));
  const bubble = say("bot", data.reply, extra);
  bubble.dataset.act = data.act;
}

async function sendTurn(text) {
  const photo = chatState.photo;
  chatState.photo = null;
  document.getElementById("chat-photo-name").textContent = "";
  if (!text && !photo) return;
  say("me", text || "📷");
  let response;
  if (photo) {
    const form = new FormData();
    form.append("image", photo);
    if (text) form.append("text", text);
    if (chatState.session) form.append("session_id", chatState.session);
    response = await fetch("/api/chat/photo", { method: "POST", body: form });
  } else {
    response = await fetch("/api/chat", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(chatState.session ? { text, session_id: chatState.session } : { text }) });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { say("bot error", typeof data.detail === "string" ? data.detail : response.statusText); return; }
  chatState.session = data.session_id;
  sessionStorage.setItem("daogou.chat", data.session_id);
  renderReply(data);
}

document.getElementById("chat-open").addEventListener("click", () => {
  const panel = document.getElementById("chat");
  panel.hidden = !panel.hidden;
  if (!panel.hidden && !document.getElementById("chat-log").childElementCount) say("bot", ct("hello"));
  if (!panel.hidden) document.getElementById("chat-text").focus();
});
document.getElementById("chat-close").addEventListener("click", () => { document.getElementById("chat").hidden = true; });
document.getElementById("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("chat-text");
  const text = input.value.trim();
  input.value = "";
  sendTurn(text);
});
document.getElementById("chat-photo").addEventListener("change", (event) => {
  chatState.photo = event.target.files[0] || null;
  document.getElementById("chat-photo-name").textContent = chatState.photo ? chatState.photo.name : "";
});
new MutationObserver(chatLabels).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
chatLabels();
