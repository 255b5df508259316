// The reader's page: sign-in, annotations, Save, Share and the dialogs, over the service's API.
// Reading works without this module (the pages are server-rendered). Every text from the corpus
// or a reader reaches the page as text (textContent) or as the server's escaped HTML, never as
// markup built here. Policy, visibility and page counts are the server's: this module asks.

const W3C = "http://www.w3.org/ns/anno.jsonld";
const TOKEN_KEY = "exporter-token";
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

let token = sessionStorage.getItem(TOKEN_KEY) || "";
let selection = null; // {exact, prefix, suffix, start, end} of the last passage selected in the text
let editing = null; // the annotation being edited: {url, etag, doc}
let reporting = null; // the URL of the annotation being reported

// -- talking to the service ------------------------------------------------------------------------

function headers(extra = {}) {
  return token ? { Authorization: `Bearer ${token}`, ...extra } : { ...extra };
}

async function problem(response) {
  try {
    const body = await response.json();
    return new Error(body.detail || body.title || `HTTP ${response.status}`);
  } catch {
    return new Error(`HTTP ${response.status}`);
  }
}

async function api(path, { method = "GET", body, type = "application/json", extra = {} } = {}) {
  const init = { method, headers: headers(extra) };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    init.headers["Content-Type"] = type;
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await problem(response);
  return response;
}

function filename(response, fallback) {
  const cd = response.headers.get("Content-Disposition") || "";
  const star = cd.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) return decodeURIComponent(star[1]);
  const plain = cd.match(/filename="([^"]+)"/i);
  return plain ? plain[1] : fallback;
}

async function download(response, fallback) {
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename(response, fallback);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  say(`Downloaded ${a.download}`);
}

function say(text) {
  const status = $("#status");
  if (status) status.textContent = text;
}

function showError(dialog, error) {
  const p = $(".error", dialog);
  if (p) p.textContent = error ? String(error.message || error) : "";
}

// -- the entry ------------------------------------------------------------------------------------

const article = $("#entry");
const entryId = article?.dataset.entry;
const volume = article?.dataset.volume;
const currentLayer = () => $("#entry-text")?.dataset.layer || "";

async function refreshText() {
  if (!entryId) return;
  const url = `/entries/${encodeURIComponent(entryId)}/text?layer=${encodeURIComponent(currentLayer())}`;
  const response = await api(url);
  // The fragment is the server's template output (escaped there); parsed, not executed.
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.getElementById("entry-text");
  if (fresh) $("#entry-text").replaceWith(document.importNode(fresh, true));
  bindText();
}

function groupsOfReader() {
  const list = $("#entry-text")?.dataset.groups || "";
  return list ? list.split(",") : [];
}

function fillVisibility() {
  const select = $("#annotate-visibility");
  if (!select) return;
  for (const opt of $$("option[data-group]", select)) opt.remove();
  for (const group of groupsOfReader()) {
    const opt = document.createElement("option");
    opt.value = `group:${group}`;
    opt.dataset.group = group;
    opt.textContent = `Group: ${group}`;
    select.append(opt);
  }
}

function bindText() {
  for (const mark of $$("#text mark.ann")) {
    mark.tabIndex = -1;
    mark.addEventListener("click", () => {
      const first = mark.dataset.ann.split(" ")[0];
      const item = document.getElementById(`ann-${first}`);
      if (item) {
        item.tabIndex = -1;
        item.scrollIntoView({ block: "nearest" });
        item.focus();
      }
    });
  }
  for (const item of $$(".ann-item")) {
    $(".ann-edit", item)?.addEventListener("click", () => editAnnotation(item));
    $(".ann-delete", item)?.addEventListener("click", () => deleteAnnotation(item));
    $(".ann-report", item)?.addEventListener("click", () => {
      reporting = item.dataset.url;
      $("#report-text").value = "";
      openDialog("dlg-report");
    });
  }
  fillVisibility();
}

// The layer's canonical text, as the server's selectors count it: the blocks' text joined by
// newlines, without page markers, note calls and annotation numbers.
const SKIP = ".page-marker, a.noteref, sup.ann-marker";

function textNodes() {
  const blocks = $$("#text p.block");
  const out = [];
  blocks.forEach((block, i) => {
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement.closest(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n);
    if (i < blocks.length - 1) out.push("\n");
  });
  return out;
}

function offsetOf(nodes, container, offset) {
  let pos = 0;
  for (const node of nodes) {
    if (node === "\n") { pos += 1; continue; }
    if (node === container) return pos + offset;
    if (container.nodeType !== Node.TEXT_NODE && container.contains(node)) {
      // A boundary inside an element: before the child at `offset`.
      const child = container.childNodes[offset];
      if (child && (child === node || child.contains(node))) return pos;
    }
    pos += node.data.length;
  }
  return pos;
}

function readSelection() {
  const sel = window.getSelection();
  const text = $("#text");
  if (!sel || sel.isCollapsed || !text || sel.rangeCount === 0) return null;
  const range = sel.getRangeAt(0);
  if (!text.contains(range.commonAncestorContainer)) return null;
  const nodes = textNodes();
  const full = nodes.map((n) => (n === "\n" ? "\n" : n.data)).join("");
  let start = offsetOf(nodes, range.startContainer, range.startOffset);
  let end = offsetOf(nodes, range.endContainer, range.endOffset);
  while (start < end && /\s/.test(full[start])) start += 1;
  while (end > start && /\s/.test(full[end - 1])) end -= 1;
  if (end <= start) return null;
  return { exact: full.slice(start, end), prefix: full.slice(Math.max(0, start - 32), start),
           suffix: full.slice(end, end + 32), start, end };
}

document.addEventListener("selectionchange", () => {
  const found = readSelection();
  if (found) selection = found;
  const button = $("#annotate");
  if (button) button.disabled = !(token && found);
});

function target() {
  return {
    source: $("#entry-text").dataset.layerIri,
    selector: [
      { type: "TextQuoteSelector", exact: selection.exact, prefix: selection.prefix, suffix: selection.suffix },
      { type: "TextPositionSelector", start: selection.start, end: selection.end },
    ],
  };
}

function annotationDoc(targetObj) {
  const [visibility, group] = $("#annotate-visibility").value.split(":");
  const tags = $("#annotate-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
  const body = [{ type: "TextualBody", value: $("#annotate-body").value, format: "text/plain" }];
  for (const tag of tags) body.push({ type: "TextualBody", purpose: "tagging", value: tag });
  const doc = { "@context": W3C, type: "Annotation", motivation: "commenting", visibility, body, target: targetObj };
  if (group) doc.group = group;
  return doc;
}

async function saveAnnotation(event) {
  event.preventDefault();
  const dialog = $("#dlg-annotate");
  showError(dialog, null);
  try {
    if (editing) {
      await api(editing.url, { method: "PUT", body: annotationDoc(editing.target), type: "application/ld+json",
                               extra: { "If-Match": editing.etag } });
      say("Annotation updated");
    } else {
      await api(`/annotations/${encodeURIComponent(volume)}/`, { method: "POST", body: annotationDoc(target()),
                                                                 type: "application/ld+json" });
      say("Annotation saved");
    }
    dialog.close();
    editing = null;
    await refreshText();
  } catch (error) {
    showError(dialog, error);
  }
}

function storedTarget(doc) {
  const t = Array.isArray(doc.target) ? doc.target[0] : doc.target;
  const selectors = (Array.isArray(t.selector) ? t.selector : [t.selector]).filter(
    (s) => s && (s.type === "TextQuoteSelector" || s.type === "TextPositionSelector"));
  return { source: t.source, selector: selectors };
}

async function editAnnotation(item) {
  try {
    const response = await api(item.dataset.url);
    const doc = await response.json();
    editing = { url: item.dataset.url, etag: response.headers.get("ETag"), target: storedTarget(doc) };
    const bodies = Array.isArray(doc.body) ? doc.body : doc.body ? [doc.body] : [];
    $("#annotate-quote").textContent = $(".ann-quote", item).textContent;
    $("#annotate-body").value = bodies.filter((b) => b.purpose !== "tagging").map((b) => b.value).join("\n\n");
    $("#annotate-tags").value = bodies.filter((b) => b.purpose === "tagging").map((b) => b.value).join(", ");
    fillVisibility();
    $("#annotate-visibility").value = doc.visibility === "group" ? `group:${doc.group}` : doc.visibility || "private";
    openDialog("dlg-annotate");
  } catch (error) {
    say(error.message);
  }
}

async function deleteAnnotation(item) {
  try {
    await api(item.dataset.url, { method: "DELETE" });
    say("Annotation deleted");
    await refreshText();
  } catch (error) {
    say(error.message);
  }
}

async function sendReport(event) {
  event.preventDefault();
  const dialog = $("#dlg-report");
  showError(dialog, null);
  try {
    await api("/v1/reports", { body: { annotation: new URL(reporting, location.origin).href,
                                       text: $("#report-text").value }, method: "POST" });
    dialog.close();
    say("Report sent to the moderators");
  } catch (error) {
    showError(dialog, error);
  }
}

// -- signing in ------------------------------------------------------------------------------------

function readerName() {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).sub || "";
  } catch {
    return "";
  }
}

function showAccount() {
  const account = $("#account");
  if (!account) return;
  account.hidden = false;
  $("#who").textContent = token ? `Signed in as ${readerName()}` : "";
  $("#sign-in").hidden = Boolean(token);
  $("#sign-out").hidden = !token;
  for (const el of $$(".needs-user")) el.hidden = !token;
  const annotate = $("#annotate");
  if (annotate) annotate.disabled = !(token && readSelection());
}

async function signIn(value) {
  const previous = token;
  token = value.trim();
  try {
    await api("/v1/folders"); // 401 for a bad, expired or foreign token
  } catch (error) {
    token = previous;
    throw error;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  showAccount();
  await refreshText();
  say(`Signed in as ${readerName()}`);
}

async function signOut() {
  token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  showAccount();
  await refreshText();
  say("Signed out");
}

// -- dialogs ---------------------------------------------------------------------------------------

const FOCUSABLE = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";
const onOpen = {};

function openDialog(id) {
  const dialog = document.getElementById(id);
  if (!dialog) return;
  showError(dialog, null);
  dialog.showModal();
  onOpen[id]?.(dialog);
}

function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = $$(FOCUSABLE, dialog).filter((el) => !el.disabled && !el.hidden && el.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) { last.focus(); event.preventDefault(); }
    else if (!event.shiftKey && document.activeElement === last) { first.focus(); event.preventDefault(); }
  });
  for (const button of $$("button.close", dialog)) button.addEventListener("click", () => dialog.close());
}

function printBody() {
  const to = $("#print-to").value;
  const body = { format: "pdf", layer: $("#print-layer").value, annotations: "visible" };
  if (to && to !== entryId) body.range = `${entryId}..${to}`;
  else body.entries = [entryId];
  const pages = $("#print-pages").value.trim();
  if (pages) body.pages = pages;
  return body;
}

let countSeq = 0;
async function updateCount() {
  const dialog = $("#dlg-print");
  const go = $("#print-go");
  const out = $("#print-count");
  const seq = ++countSeq;
  go.disabled = true;
  out.textContent = "…";
  try {
    const check = await (await api("/v1/exports/check", { method: "POST", body: printBody() })).json();
    if (seq !== countSeq) return;
    out.textContent = `${check.source_pages} of at most ${check.limit}`;
    dialog.dataset.within = check.within_limit ? "yes" : "no";
    showError(dialog, check.within_limit ? null : `${check.source_pages} source pages: more than ${check.limit}. `
      + "Narrow the pages, the layer or the documents.");
    go.disabled = !(check.within_limit && $("#print-terms").checked);
  } catch (error) {
    if (seq !== countSeq) return;
    out.textContent = "—";
    dialog.dataset.within = "no";
    showError(dialog, error);
  }
}

async function runJob(response, progress) {
  let job = await response.json();
  const where = response.headers.get("Location") || `/v1/exports/${job.id}`;
  progress.hidden = false;
  while (job.state === "queued" || job.state === "running") {
    progress.value = job.progress || 0;
    progress.textContent = `${Math.round((job.progress || 0) * 100)}%`;
    say(job.state === "queued" ? `Queued (position ${job.queue_position ?? "?"})` : "Rendering…");
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await (await api(where)).json();
  }
  progress.value = 1;
  if (job.state !== "done") throw new Error(job.error || `the export was ${job.state}`);
  return job;
}

async function print(event) {
  event.preventDefault();
  const dialog = $("#dlg-print");
  const go = $("#print-go");
  showError(dialog, null);
  go.disabled = true;
  try {
    const body = { ...printBody(), accept_terms: $("#print-terms").checked };
    const accepted = await api("/v1/exports", { method: "POST", body });
    const job = await runJob(accepted, $("#print-progress"));
    await download(await api(job.result), job.filename || "print.pdf");
  } catch (error) {
    showError(dialog, error);
    say("");
  } finally {
    go.disabled = !(dialog.dataset.within === "yes" && $("#print-terms").checked);
  }
}

async function loadStyles() {
  const select = $("#cite-style");
  if (select.dataset.loaded) return;
  const styles = await (await api("/v1/styles?featured=true")).json();
  const chosen = select.value;
  select.replaceChildren();
  for (const style of styles) {
    const opt = document.createElement("option");
    opt.value = style.name;
    opt.textContent = style.title || style.name;
    select.append(opt);
  }
  select.value = chosen;
  select.dataset.loaded = "yes";
}

async function cite() {
  const dialog = $("#dlg-cite");
  showError(dialog, null);
  const style = $("#cite-style").value;
  for (const mode of ["note", "in-text", "bibliography"]) {
    const out = $(`#cite-${mode}`);
    out.textContent = "…";
    try {
      const q = new URLSearchParams({ entries: entryId, style, mode, as: "text" });
      const data = await (await api(`/v1/citations?${q}`)).json();
      out.textContent = data.citations.map((c) => c.citation).join("\n");
    } catch (error) {
      out.textContent = "";
      showError(dialog, error);
    }
  }
}

async function exportFormat(button) {
  const dialog = button.closest("dialog");
  showError(dialog, null);
  try {
    const q = new URLSearchParams({ format: button.dataset.format, entries: entryId });
    if (button.dataset.format.startsWith("annotations-")) q.set("annotations", "visible");
    await download(await api(`/v1/export?${q}`), `${entryId}.${button.dataset.format}`);
  } catch (error) {
    showError(dialog, error);
  }
}

async function loadFolders() {
  const select = $("#save-folder");
  const folders = await (await api("/v1/folders")).json();
  for (const opt of $$("option[data-id]", select)) opt.remove();
  for (const f of folders) {
    const opt = document.createElement("option");
    opt.value = String(f.id);
    opt.dataset.id = String(f.id);
    opt.textContent = f.group ? `${f.title} (group ${f.group})` : f.title;
    select.append(opt);
  }
  if (folders.length) select.value = String(folders[0].id);
}

async function save(event) {
  event.preventDefault();
  const dialog = $("#dlg-save");
  showError(dialog, null);
  try {
    const id = $("#save-folder").value;
    let folder;
    if (id) {
      const current = await (await api(`/v1/folders/${id}`)).json();
      const entries = current.entries.includes(entryId) ? current.entries : [...current.entries, entryId];
      folder = await (await api(`/v1/folders/${id}`, { method: "PUT", body: { entries } })).json();
    } else {
      const name = $("#save-new").value.trim();
      folder = await (await api("/v1/folders", { method: "POST", body: { name, entries: [entryId] } })).json();
    }
    dialog.close();
    say(`Saved to ${folder.title}`);
  } catch (error) {
    showError(dialog, error);
  }
}

function shareLink() {
  const url = new URL(`/entries/${encodeURIComponent(entryId)}`, location.origin);
  url.searchParams.set("layer", currentLayer());
  const found = readSelection() || selection;
  if (found) {
    const words = found.exact.replace(/\s+/g, " ").trim();
    const enc = (s) => encodeURIComponent(s).replace(/-/g, "%2D").replace(/,/g, "%2C");
    const parts = words.split(" ");
    const fragment = parts.length > 12 ? `${enc(parts.slice(0, 4).join(" "))},${enc(parts.slice(-4).join(" "))}`
      : enc(words);
    url.hash = `:~:text=${fragment}`;
  }
  return url.href;
}

async function copy(id) {
  const el = document.getElementById(id);
  const text = "value" in el && el.tagName !== "P" ? el.value : el.textContent;
  try {
    await navigator.clipboard.writeText(text);
    say("Copied to the clipboard");
  } catch {
    if (el.select) el.select();
    say("Copy it with Ctrl+C");
  }
}

// -- start -----------------------------------------------------------------------------------------

// A token handed over in the URL fragment (#token=…) is taken and removed from the address, so
// that it stays out of the history and of links copied from the address bar.
function takeToken() {
  const m = location.hash.match(/^#token=([^&]+)/);
  if (!m) return false;
  token = decodeURIComponent(m[1]);
  sessionStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, "", location.pathname + location.search);
  return true;
}

function start() {
  takeToken();
  window.addEventListener("hashchange", () => {
    if (!takeToken()) return;
    showAccount();
    if (entryId) refreshText().catch(() => signOut());
  });
  for (const dialog of $$("dialog")) trapFocus(dialog);
  for (const button of $$("[data-open]")) {
    button.addEventListener("click", () => openDialog(button.dataset.open));
  }
  for (const button of $$("button.copy")) button.addEventListener("click", () => copy(button.dataset.copy));
  for (const button of $$("button.download")) button.addEventListener("click", () => exportFormat(button));
  $("#form-sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    const dialog = $("#dlg-sign-in");
    try {
      await signIn($("#token-input").value);
      $("#token-input").value = "";
      dialog.close();
    } catch (error) {
      showError(dialog, error);
    }
  });
  $("#sign-out").addEventListener("click", () => signOut().catch((e) => say(e.message)));
  if (entryId) {
    $("#actions").hidden = false;
    $("#annotate").addEventListener("click", () => {
      selection = readSelection() || selection;
      if (!selection) return;
      editing = null;
      $("#annotate-quote").textContent = selection.exact;
      $("#annotate-body").value = "";
      $("#annotate-tags").value = "";
      fillVisibility();
      $("#annotate-visibility").value = "private";
      openDialog("dlg-annotate");
    });
    $("#form-annotate").addEventListener("submit", saveAnnotation);
    $("#form-report").addEventListener("submit", sendReport);
    $("#form-print").addEventListener("submit", print);
    $("#form-save").addEventListener("submit", save);
    for (const id of ["#print-to", "#print-layer", "#print-pages"]) $(id).addEventListener("change", updateCount);
    $("#print-pages").addEventListener("input", updateCount);
    $("#print-terms").addEventListener("change", () => {
      $("#print-go").disabled = !($("#dlg-print").dataset.within === "yes" && $("#print-terms").checked);
    });
    $("#cite-style").addEventListener("change", cite);
    onOpen["dlg-print"] = () => updateCount();
    onOpen["dlg-cite"] = () => loadStyles().catch(() => {}).then(cite);
    onOpen["dlg-save"] = (dialog) => loadFolders().catch((e) => showError(dialog, e));
    onOpen["dlg-share"] = () => { $("#share-link").value = shareLink(); };
    onOpen["dlg-annotate"] = () => $("#annotate-body").focus();
    bindText();
  }
  showAccount();
  if (token && entryId) refreshText().catch(() => signOut());
}

start();
