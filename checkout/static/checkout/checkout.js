/* The web checkout page: the mini-program's journey in a phone browser or a WeChat web-view.
 *
 * It talks to the same JSON API as the mini-program (Bearer token in sessionStorage) and never
 * prices anything itself: every change goes to the server, which answers the re-priced cart.
 * Text comes from Django's JavaScript catalogue (gettext / interpolate, /jsi18n/).
 */
"use strict";

const CONFIG = JSON.parse(document.getElementById("checkout-config").textContent);
const API = CONFIG.api;
const LANG = document.documentElement.lang || "zh-hans";
const $ = (id) => document.getElementById(id);
const store = window.sessionStorage;
let token = (location.hash.match(/access=([^&]+)/) || [])[1] || store.getItem("sc_access");
let recognition = null;
let order = null;

/** Integer fen as "¥12.30": exact, no floating point. */
function yuan(fen) {
  const cents = Math.abs(fen) % 100;
  return (fen < 0 ? "-¥" : "¥") + Math.floor(Math.abs(fen) / 100) + "." + String(cents).padStart(2, "0");
}
/** gettext() with named %(placeholders)s (makemessages reads the gettext calls). */
const fmt = (text, params) => interpolate(text, params, true);
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "onclick") node.addEventListener("click", value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null) node.append(child);
  return node;
}

// --- API: the one error shape, {"error": {"code", "message", ...}}; a 401 tries the refresh token once.
class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}
async function api(path, options = {}, retried = false) {
  const headers = Object.assign({"Accept-Language": LANG}, token ? {Authorization: "Bearer " + token} : {});
  const init = {method: options.method || "GET", headers};
  if (options.json !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(options.json); }
  if (options.body !== undefined) init.body = options.body;
  let response;
  try { response = await fetch(API + path, init); }
  catch (err) { throw new ApiError(0, "network", gettext("No connection. Check the network and try again.")); }
  if (response.status === 401 && !retried && store.getItem("sc_refresh") && (await refresh())) {
    return api(path, options, true);
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) loggedOut();
    const error = (body && body.error) || {};
    // One field at fault: its own message reads better than the "field: message" summary.
    const fields = error.fields || [];
    const message = fields.length === 1 && fields[0].message ? fields[0].message : error.message;
    throw new ApiError(response.status, error.code || "error", message || response.statusText);
  }
  return {status: response.status, body};
}
async function refresh() {
  try {
    const response = await fetch(API + "/auth/refresh", {
      method: "POST", headers: {"Content-Type": "application/json", "Accept-Language": LANG},
      body: JSON.stringify({refresh: store.getItem("sc_refresh")}),
    });
    if (!response.ok) return false;
    keepTokens(await response.json());
    return true;
  } catch (err) { return false; }
}
function keepTokens(pair) {
  token = pair.access;
  store.setItem("sc_access", pair.access);
  store.setItem("sc_refresh", pair.refresh);
}
function showError(err) {
  $("error").textContent = err ? String(err.message || err) : "";
  if (err) $("error").scrollIntoView({block: "center"});  // a tap at the top must not fail unseen
}

// --- Which step is on screen.
const SECTIONS = ["login-section", "photo-section", "cart-section", "pay-section", "receipt-section"];
const STEP_OF = {"login-section": "photo", "photo-section": "photo", "cart-section": "cart", "pay-section": "pay", "receipt-section": "done"};
function show(section) {
  for (const id of SECTIONS) $(id).hidden = id !== section;
  $("paybar").hidden = section !== "cart-section";
  const steps = [...document.querySelectorAll("#stepper li")];
  const current = steps.findIndex((li) => li.dataset.step === STEP_OF[section]);
  steps.forEach((li, i) => {
    li.classList.toggle("done", i < current || STEP_OF[section] === "done");
    if (i === current) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
  });
  showError();
}
function loggedOut() {
  token = null;
  store.removeItem("sc_access");
  store.removeItem("sc_refresh");
  show("login-section");
}

// --- Log in (in a browser there is no wx.login(): in development the fake WeChat accepts any code).
$("login").onclick = async () => {
  $("login").disabled = true;
  try {
    const code = "web-" + Math.random().toString(36).slice(2);
    keepTokens((await api("/auth/wechat/login", {method: "POST", json: {code}})).body);
    show("photo-section");
  } catch (err) { showError(err); }
  $("login").disabled = false;
};

// --- Photo -> recognition (a 202 is polled until it is done).
$("photo").onchange = async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const form = new FormData();
  form.append("image", file);
  if (CONFIG.store) form.append("store", CONFIG.store);
  $("status").textContent = gettext("Recognising your items…");
  showError();
  try {
    let {status, body} = await api("/checkout/recognize", {method: "POST", body: form});
    while (status === 202 || body.status === "pending") {
      await new Promise((resolve) => setTimeout(resolve, 500));
      ({status, body} = await api("/checkout/recognitions/" + body.id));
    }
    setRecognition(body);
  } catch (err) { showError(err); }
  $("status").textContent = "";
  event.target.value = "";
};
function setRecognition(body) {
  recognition = body;
  store.setItem("sc_recognition", body.id);
  const img = $("photo-img");
  if (img.getAttribute("src") !== body.photo) img.src = body.photo;
  show("cart-section");
  render();
}

// --- The cart: numbered boxes on the photo, the same numbers on the lines.
function allBoxes() {
  const boxes = [];
  for (const line of recognition.lines) for (const box of line.boxes) boxes.push({box, kind: box.unsure ? "unsure" : "sure", line});
  for (const box of recognition.unknown) boxes.push({box, kind: "unknown", line: null});
  return boxes;
}
function focusBox(id) {
  document.querySelectorAll(".focus").forEach((node) => node.classList.remove("focus"));
  const box = document.querySelector('.box[data-box="' + id + '"]');
  const row = document.querySelector('[data-boxes~="' + id + '"]');
  if (box) box.classList.add("focus");
  if (row) { row.classList.add("focus"); row.scrollIntoView({block: "nearest", behavior: "smooth"}); }
}
function drawBoxes() {
  const view = $("photo-view");
  view.querySelectorAll(".box").forEach((node) => node.remove());
  const [width, height] = recognition.image_size;
  for (const {box, kind, line} of allBoxes()) {
    const [x1, y1, x2, y2] = box.box;
    const label = line ? fmt(gettext("Item %(n)s: %(name)s"), {n: box.id, name: line.name}) : fmt(gettext("Item %(n)s: not recognised"), {n: box.id});
    const node = el("button", {class: "box " + kind, "data-box": box.id, type: "button", "aria-label": label, title: label,
      onclick: () => focusBox(box.id)}, el("span", {class: "num", text: String(box.id)}));
    Object.assign(node.style, {
      left: (100 * x1) / width + "%", top: (100 * y1) / height + "%",
      width: (100 * (x2 - x1)) / width + "%", height: (100 * (y2 - y1)) / height + "%",
    });
    view.append(node);
  }
}
function numTags(boxes, kind) {
  if (!boxes.length) return el("span", {class: "nums"}, el("span", {class: "numtag added", text: "+", title: gettext("Added by hand")}));
  return el("span", {class: "nums"}, ...boxes.map((box) => el("button", {
    type: "button", class: "numtag " + (kind || (box.unsure ? "unsure" : "sure")), text: String(box.id),
    "aria-label": fmt(gettext("Show item %(n)s on the photo"), {n: box.id}), onclick: () => focusBox(box.id),
  })));
}
function choiceButtons(box, currentSku) {
  return el("div", {class: "choices"}, ...box.alternatives.map((alt) => el("button", {
    type: "button", "data-sku": alt.sku, class: alt.sku === currentSku ? "current" : "",
    onclick: () => edit("/boxes/" + box.id + "/choose", "POST", {sku: alt.sku}),
  }, alt.name, el("span", {class: "price", text: yuan(alt.unit_price_fen)}))));
}
function lineRow(line) {
  const dec = el("button", {type: "button", text: "−", "aria-label": fmt(gettext("One fewer %(name)s"), {name: line.name}),
    onclick: () => setQuantity(line, line.quantity - 1)});
  const inc = el("button", {type: "button", text: "+", "aria-label": fmt(gettext("One more %(name)s"), {name: line.name}),
    onclick: () => setQuantity(line, line.quantity + 1)});
  const row = el("li", {class: "line", "data-sku": line.sku, "data-boxes": line.boxes.map((b) => b.id).join(" ")},
    el("div", {class: "top"}, numTags(line.boxes),
      el("div", {class: "what"}, el("div", {class: "name", text: line.name}),
        el("div", {class: "unit", text: fmt(gettext("%(price)s each"), {price: yuan(line.unit_price_fen)})}))),
    el("div", {class: "bottom"},
      el("span", {class: "stepper-qty", role: "group", "aria-label": gettext("Quantity")}, dec,
        el("output", {class: "qty", text: String(line.quantity)}), inc),
      el("span", {class: "subtotal", text: yuan(line.subtotal_fen)})));
  for (const box of line.boxes.filter((b) => b.unsure && b.alternatives.length)) {
    row.append(el("div", {class: "ask", "data-ask": box.id},
      el("div", {class: "q"}, numTags([box], "unsure"), el("span", {text: gettext("Not sure about this one. Which is it?")})),
      choiceButtons(box, line.sku)));
  }
  return row;
}
function unknownRow(box) {
  const pick = el("div", {class: "pick", hidden: ""});
  if (box.alternatives.length) pick.append(el("p", {class: "small muted", text: gettext("Is it one of these?")}), choiceButtons(box));
  const code = el("input", {type: "text", placeholder: gettext("SKU or barcode"), "aria-label": gettext("SKU or barcode"), autocomplete: "off"});
  const use = el("button", {type: "button", text: gettext("Use"), onclick: () => {
    const value = code.value.trim();
    if (value) edit("/boxes/" + box.id + "/choose", "POST", productCode(value));
  }});
  pick.append(el("div", {class: "row"}, code, use));
  const row = el("li", {class: "line unknown", "data-boxes": String(box.id), "data-unknown": box.id},
    el("div", {class: "ask unknown"},
      el("div", {class: "q"}, numTags([box], "unknown"), el("span", {text: gettext("We could not tell what this is.")})),
      el("div", {class: "actions"},
        el("button", {type: "button", class: "pick-product", text: gettext("Pick the product"), onclick: () => {
          pick.hidden = !pick.hidden;
          if (!pick.hidden) code.focus();
        }}),
        el("button", {type: "button", class: "remove", text: gettext("Remove"),
          onclick: () => edit("/boxes/" + box.id, "DELETE")})),
      pick));
  return row;
}
function render() {
  drawBoxes();
  $("lines").replaceChildren(...recognition.lines.map(lineRow));
  $("unknown").replaceChildren(...recognition.unknown.map(unknownRow));
  $("unknown-card").hidden = recognition.unknown.length === 0;
  $("empty-cart").hidden = recognition.lines.length > 0;
  $("total").textContent = yuan(recognition.total_fen);
  $("order").disabled = recognition.lines.length === 0;
}
function productCode(value) { return /^[0-9]{8,14}$/.test(value) ? {barcode: value} : {sku: value}; }
function setQuantity(line, quantity) {
  if (quantity < 0) return;
  edit("/lines/" + encodeURIComponent(line.sku), "PATCH", {quantity});
}
let editing = false;
async function edit(path, method, json) {
  if (editing) return;
  editing = true;
  try { setRecognition((await api("/checkout/recognitions/" + recognition.id + path, {method, json})).body); }
  catch (err) { showError(err); }
  editing = false;
}
$("add-form").onsubmit = (event) => {
  event.preventDefault();
  const value = $("add-code").value.trim();
  if (!value) return;
  edit("/lines", "POST", productCode(value)).then(() => { if (!$("error").textContent) $("add-code").value = ""; });
};
$("retake").onclick = () => startOver();

// --- Order and pay: the server prices the order; paid only when WeChat Pay says so.
$("order").onclick = async () => {
  $("order").disabled = true;
  try {
    const lines = recognition.lines.map((line) => ({sku: line.sku, quantity: line.quantity}));
    order = (await api("/orders", {method: "POST", json: {recognition: recognition.id, lines}})).body;
    store.setItem("sc_order", order.id);
    await pay();
  } catch (err) { $("order").disabled = false; showError(err); }
};
async function pay() {
  const params = (await api("/orders/" + order.id + "/pay", {method: "POST"})).body;
  show("pay-section");
  $("pay-status").textContent = gettext("Waiting for payment…");
  if (window.WeixinJSBridge) {
    WeixinJSBridge.invoke("getBrandWCPayRequest", params, () => waitForPayment());
  } else if (CONFIG.fake_pay_url) {
    $("fake-pay").hidden = false;
    $("fake-pay").onclick = async () => {
      $("fake-pay").disabled = true;
      await fetch(CONFIG.fake_pay_url + "/_fake/pay/" + order.id.replace(/-/g, ""), {method: "POST"});
      await waitForPayment();
      $("fake-pay").disabled = false;
    };
  } else {
    $("pay-status").textContent = gettext("Open this page in WeChat to pay.");
  }
}
async function waitForPayment() {
  // The client's word is only a hint: the server asks WeChat Pay and answers the order.
  $("pay-status").textContent = gettext("Checking the payment…");
  try {
    for (let i = 0; i < 20; i++) {
      order = (await api("/orders/" + order.id + "/check-payment", {method: "POST"})).body;
      if (order.receipt) return showReceipt();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    $("pay-status").textContent = gettext("The payment is not confirmed yet. If you paid, wait a moment and reload.");
  } catch (err) { showError(err); }
}
function showReceipt() {
  const receipt = order.receipt;
  $("receipt-number").textContent = order.id.slice(0, 8).toUpperCase();
  $("receipt-number").title = order.id;
  $("receipt-time").textContent = new Date(receipt.paid_at).toLocaleString(LANG, {dateStyle: "medium", timeStyle: "short"});
  $("receipt-store").textContent = receipt.store;
  $("receipt-lines").replaceChildren(...order.lines.map((line) => el("li", {},
    el("span", {text: fmt(gettext("%(name)s × %(quantity)s"), {name: line.name, quantity: line.quantity})}),
    el("span", {text: yuan(line.subtotal_fen)}))));
  $("receipt-total").textContent = yuan(receipt.net_fen);
  show("receipt-section");
}
function startOver() {
  recognition = null;
  order = null;
  store.removeItem("sc_recognition");
  store.removeItem("sc_order");
  $("photo-img").removeAttribute("src");
  show("photo-section");
}
$("new-checkout").onclick = startOver;

// --- Start where the customer was (a reload, or the language switch, keeps the checkout).
async function resume() {
  if (!token) return show("login-section");
  if (location.hash.includes("access=")) {
    store.setItem("sc_access", token);
    history.replaceState(null, "", location.pathname + location.search);
  }
  try {
    if (store.getItem("sc_order")) {
      order = (await api("/orders/" + store.getItem("sc_order"))).body;
      if (order.receipt) return showReceipt();
      if (order.status === "created") {
        show("pay-section");
        return await pay();
      }
      store.removeItem("sc_order");
    }
    if (store.getItem("sc_recognition")) {
      const body = (await api("/checkout/recognitions/" + store.getItem("sc_recognition"))).body;
      if (body.status === "done" && !body.order) return setRecognition(body);
      store.removeItem("sc_recognition");
    }
    show("photo-section");
  } catch (err) {
    if (token) { startOver(); showError(err); }
  }
}
resume();
