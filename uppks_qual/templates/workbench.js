// The browser side of uppks_qual.workbench.Workbench (an anywidget module).
//
// It draws what the Python side reads from the project (traits: blocks, codings, codebook,
// counts, suggestions, ...) and sends every user action to Python as a message
// {action, ...}; Python writes the project and sends the new traits back. Nothing is kept
// here but view state (the open coding panel, the suggestion shown, the tree filter). Text
// is always set with textContent, never as HTML. Offsets sent to Python count Unicode code
// points, as Python's str does (JavaScript strings count UTF-16 units).

const ORIGIN_WORDS = { manual: "manual", reviewed: "reviewed", auto: "automatic" };

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const codePoints = (s) => Array.from(s).length;

// The document offset of a boundary point (node, offset) that lies in a piece.
function pieceOffset(piece, node, offset, atEnd) {
  const start = Number(piece.dataset.start);
  if (node.nodeType === Node.TEXT_NODE && piece.contains(node)) {
    return start + codePoints(node.data.slice(0, offset));
  }
  return atEnd ? Number(piece.dataset.end) : start;
}

// [start, end) of the current selection in document offsets, or null.
function selectedSpan(root) {
  const sel = root.ownerDocument.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  const pieces = [...root.querySelectorAll(".uqw-piece")].filter((p) => range.intersectsNode(p));
  if (pieces.length === 0) return null;
  const first = pieces[0], last = pieces[pieces.length - 1];
  const start = first.contains(range.startContainer)
    ? pieceOffset(first, range.startContainer, range.startOffset, false)
    : Number(first.dataset.start);
  const end = last.contains(range.endContainer)
    ? pieceOffset(last, range.endContainer, range.endOffset, true)
    : Number(last.dataset.end);
  return end > start ? { start, end } : null;
}

function render({ model, el }) {
  const ui = { panel: [], current: 0, changing: false, filter: "", valence: "", memo: "" };
  const send = (msg) => model.send(msg);
  // data-lm-suppress-shortcuts: JupyterLab leaves the keys typed here to the widget
  // (a, c, j, k and r are notebook shortcuts too)
  const root = h("div", { class: "uqw", tabindex: "0", "data-lm-suppress-shortcuts": "true",
    "data-p-suppress-shortcuts": "true" });
  el.append(root);

  // ---------------------------------------------------------------- persistent parts
  const docPicker = h("select", { class: "uqw-docs", title: "document",
    onchange: (e) => { ui.panel = []; ui.current = 0; send({ action: "open", doc_id: e.target.value }); } });
  const coderPicker = h("select", { class: "uqw-coder", title: "who codes",
    onchange: (e) => send({ action: "coder", coder: e.target.value }) });
  const newCoder = h("input", { class: "uqw-new-coder", placeholder: "new coder", size: "10",
    onkeydown: (e) => { if (e.key === "Enter" && e.target.value.trim()) {
      send({ action: "coder", coder: e.target.value.trim() }); e.target.value = ""; } } });
  const langPicker = h("select", { class: "uqw-lang", title: "label language",
    onchange: (e) => send({ action: "lang", lang: e.target.value }) },
    h("option", { value: "en", text: "English" }), h("option", { value: "id", text: "Indonesia" }));
  const modeButton = h("button", { class: "uqw-mode", onclick: () => {
    ui.current = 0; ui.changing = false;
    send({ action: "mode", mode: model.get("mode") === "code" ? "suggestions" : "code" }); } });
  const refreshButton = h("button", { class: "uqw-refresh", text: "refresh", title: "read the project again",
    onclick: () => send({ action: "refresh" }) });
  const viewCoder = h("select", { class: "uqw-view-coder", onchange: sendView });
  const viewOrigin = h("select", { class: "uqw-view-origin", onchange: sendView });
  const viewCode = h("select", { class: "uqw-view-code", onchange: sendView });
  function sendView() {
    send({ action: "view", coder: viewCoder.value ? [viewCoder.value] : [],
           origin: viewOrigin.value ? [viewOrigin.value] : [], code: viewCode.value });
  }
  const bar = h("div", { class: "uqw-bar" }, docPicker, h("span", { class: "uqw-label", text: "coder" }),
    coderPicker, newCoder, langPicker, modeButton, refreshButton);
  const viewBar = h("div", { class: "uqw-bar uqw-viewbar" }, h("span", { class: "uqw-label", text: "show" }),
    viewCoder, viewOrigin, viewCode);
  const message = h("div", { class: "uqw-message", role: "status" });
  const meta = h("div", { class: "uqw-meta" });
  const text = h("div", { class: "uqw-text" });
  const doc = h("div", { class: "uqw-doc" }, meta, text);
  const selection = h("div", { class: "uqw-selection" });
  const valence = h("select", { class: "uqw-valence", title: "valence of the new coding",
    onchange: (e) => { ui.valence = e.target.value; } });
  const memo = h("input", { class: "uqw-memo", placeholder: "memo (optional)",
    oninput: (e) => { ui.memo = e.target.value; } });
  const treeFilter = h("input", { class: "uqw-tree-filter", placeholder: "filter codes", type: "search",
    oninput: (e) => { ui.filter = e.target.value; drawTree(); } });
  const tree = h("ul", { class: "uqw-tree" });
  const panel = h("div", { class: "uqw-panel" });
  const suggest = h("div", { class: "uqw-suggest" });
  const counts = h("div", { class: "uqw-counts" });
  const side = h("div", { class: "uqw-side" }, suggest, selection,
    h("div", { class: "uqw-new" }, valence, memo), treeFilter, tree, panel, counts);
  root.append(bar, viewBar, message, h("div", { class: "uqw-main" }, doc, side));

  // ---------------------------------------------------------------- drawing
  const codes = () => model.get("codebook");
  const codeOf = (id) => codes().find((c) => c.code_id === id);
  const suggestions = () => model.get("suggestions");
  const inSuggestions = () => model.get("mode") === "suggestions";

  function options(select, items, value) {
    select.replaceChildren(...items.map(([v, label, hint]) => h("option", { value: v, text: label, title: hint })));
    select.value = value;
    return select;
  }
  // the codebook as a list, sub-codes indented (non-breaking: a select collapses spaces)
  const codeItems = () => codes().map((c) => [c.code_id, "\u00a0\u00a0".repeat(c.depth) + c.label]);
  const valenceItems = () => [["", "no valence"], ...model.get("valences").map((v) => [v, v])];

  function drawBar() {
    options(docPicker, model.get("documents").map((d) =>
      [d.doc_id, `${d.title}${d.group ? " · " + d.group : ""}`,
       Object.entries(d.attributes).map(([k, v]) => `${k}: ${v}`).join("\n")]), model.get("doc_id"));
    const coders = model.get("coders"), coder = model.get("coder");
    const names = coders.includes(coder) || !coder ? coders : [...coders, coder];
    options(coderPicker, [["", "(choose)"], ...names.map((c) => [c, c])], coder);
    langPicker.value = model.get("lang");
    modeButton.textContent = inSuggestions() ? "back to coding" : "review suggestions";
    const view = model.get("view");
    options(viewCoder, [["", "all coders"], ...coders.map((c) => [c, c]), ["auto", "auto"]],
      (view.coder || [])[0] || "");
    options(viewOrigin, [["", "all origins"], ...model.get("origins").map((o) => [o, ORIGIN_WORDS[o] || o])],
      (view.origin || [])[0] || "");
    options(viewCode, [["", "all codes"], ...codeItems()], view.code || "");
    options(valence, valenceItems(), ui.valence);
  }

  function drawMeta() {
    const d = model.get("documents").find((x) => x.doc_id === model.get("doc_id"));
    meta.replaceChildren(h("span", { class: "uqw-title", text: model.get("title") }));
    if (!d) return;
    if (d.group) meta.append(h("span", { class: "uqw-tag", text: `group: ${d.group}` }));
    for (const [k, v] of Object.entries(d.attributes)) {
      meta.append(h("span", { class: "uqw-tag", text: `${k}: ${v}` }));
    }
  }

  function piece(p, current) {
    const marked = p.ids.length > 0;
    const cls = ["uqw-piece", marked && "uqw-mark", p.negative && "uqw-negative",
      current && p.start >= current.start && p.end <= current.end && "uqw-current"].filter(Boolean);
    const span = h("span", { class: cls.join(" "), title: p.note || null,
      dataset: { start: String(p.start), end: String(p.end), ids: p.ids.join(" ") } }, p.text);
    if (p.style) span.style.cssText = p.style;
    return span;
  }

  function drawText() {
    const current = inSuggestions() ? suggestions()[ui.current] : null;
    // room under each line of a block for the bars of overlapping codings (up to three
    // layers; deeper bars may touch the next line rather than spread the whole turn)
    const depth = (b) => Math.max(0, ...b.label.map((p) => p.depth), ...b.body.map((p) => p.depth));
    text.replaceChildren(...model.get("blocks").map((b) => h("div",
      { class: `uqw-block uqw-${b.kind}`, dataset: b.speaker ? { speaker: b.speaker } : {},
        style: `line-height: calc(1.6em + ${Math.min(3, depth(b))} * 5px)` },
      b.kind === "turn" ? h("span", { class: "uqw-speaker" }, b.label.map((p) => piece(p, current))) : null,
      h("span", { class: "uqw-body" }, b.body.map((p) => piece(p, current))))));
    const mark = text.querySelector(".uqw-current");
    if (mark && mark.scrollIntoView) mark.scrollIntoView({ block: "nearest" });
  }

  function drawSelection() {
    const s = model.get("selection");
    if (s && s.text !== undefined) {
      selection.replaceChildren(h("span", { class: "uqw-label", text: "selected" }),
        h("q", { class: "uqw-quote", text: s.text }),
        h("span", { class: "uqw-hint", text: ` [${s.start}, ${s.end}) · click a code to apply` }));
    } else {
      selection.replaceChildren(h("span", { class: "uqw-hint",
        text: inSuggestions() ? "a accept · r reject · c change code · j/k next/previous"
          : "select text (Alt: whole sentences), then click a code" }));
    }
  }

  function drawTree() {
    const f = ui.filter.trim().toLowerCase();
    const all = codes();
    const hit = (c) => !f || [c.code_id, c.labels.en, c.labels.id, c.definition].some((x) => (x || "").toLowerCase().includes(f));
    const keep = new Set(all.filter(hit).map((c) => c.code_id));
    if (f) for (const c of all) if (keep.has(c.code_id)) { let p = c.parent; while (p) { keep.add(p); p = codeOf(p)?.parent; } }
    const other = model.get("lang") === "en" ? "id" : "en";
    tree.replaceChildren(...all.filter((c) => keep.has(c.code_id)).map((c) => h("li",
      { class: "uqw-code", style: `padding-left: ${0.3 + c.depth * 1.1}em`,
        title: [c.definition, c.use_when && "Use when: " + c.use_when, c.not_when && "Not when: " + c.not_when].filter(Boolean).join("\n"),
        dataset: { code: c.code_id }, onclick: () => applyCode(c.code_id) },
      h("span", { class: "uqw-swatch", style: `background: ${c.colour}` }),
      h("span", { class: "uqw-code-label", text: c.label }),
      h("span", { class: "uqw-code-other", text: c.labels[other] !== c.label ? ` · ${c.labels[other]}` : "" }))));
  }

  function applyCode(codeId) {
    if (inSuggestions()) {
      const s = suggestions()[ui.current];
      if (s && ui.changing) { ui.changing = false; send({ action: "accept", suggestion_id: s.suggestion_id, code_id: codeId }); }
      else message.textContent = "press c (change code) first, then click the code";
      return;
    }
    const s = model.get("selection");
    if (!s || s.start === undefined) { showMessage({ kind: "error", text: "select some text first, then click a code" }); return; }
    send({ action: "code", start: s.start, end: s.end, code_id: codeId, valence: ui.valence || null, memo: ui.memo || null });
    ui.memo = ""; memo.value = "";
  }

  function drawPanel() {
    const byId = new Map(model.get("codings").map((c) => [c.coding_id, c]));
    ui.panel = ui.panel.filter((id) => byId.has(id));
    if (ui.panel.length === 0) { panel.replaceChildren(); return; }
    panel.replaceChildren(h("div", { class: "uqw-label", text: "codings here" }), ...ui.panel.map((id) => {
      const c = byId.get(id);
      const human = c.origin !== "auto";
      const v = options(h("select", { class: "uqw-panel-valence", disabled: !human }), valenceItems(),
        c.valence || "");
      const m = h("input", { class: "uqw-panel-memo", value: c.memo || "", placeholder: "memo", disabled: !human });
      const k = options(h("select", { class: "uqw-panel-code", disabled: !human, title: "the code of this coding" }),
        codeItems(), c.code_id);
      return h("div", { class: "uqw-coding", dataset: { coding: String(id) } },
        h("div", {}, h("span", { class: "uqw-swatch", style: `background: ${c.colour}` }),
          h("b", { text: c.label }), ` · ${c.coder} · ${ORIGIN_WORDS[c.origin] || c.origin} · #${id}`),
        h("q", { class: "uqw-quote", text: c.text.length > 160 ? c.text.slice(0, 157) + "…" : c.text }),
        human ? h("div", { class: "uqw-row" }, k, v, m,
          h("button", { class: "uqw-save", text: "save", onclick: () => send({ action: "recode", coding_id: id,
            valence: v.value || null, memo: m.value || null, ...(k.value !== c.code_id ? { code_id: k.value } : {}) }) }),
          h("button", { class: "uqw-remove", text: "remove", onclick: () => send({ action: "remove", coding_id: id }) }))
          : h("div", { class: "uqw-hint", text: "automatic: review it in the suggestions mode" }));
    }));
  }

  function drawSuggest() {
    if (!inSuggestions()) { suggest.replaceChildren(); return; }
    const all = suggestions();
    if (ui.current >= all.length) ui.current = Math.max(0, all.length - 1);
    const s = all[ui.current];
    if (!s) { suggest.replaceChildren(h("div", { class: "uqw-hint", text: "no suggestions left to review in this document" })); return; }
    suggest.replaceChildren(
      h("div", { class: "uqw-label", text: `suggestion ${ui.current + 1} of ${all.length}` }),
      h("div", {}, h("span", { class: "uqw-swatch", style: `background: ${s.colour}` }), h("b", { text: s.label }),
        s.valence ? ` · ${s.valence}` : "", s.confidence !== null ? ` · confidence ${s.confidence.toFixed(2)}` : ""),
      h("q", { class: "uqw-quote", text: s.text }),
      h("div", { class: "uqw-row" },
        h("button", { class: "uqw-accept", text: "accept (a)", onclick: () => review("accept") }),
        h("button", { class: "uqw-reject", text: "reject (r)", onclick: () => review("reject") }),
        h("button", { class: "uqw-change", text: ui.changing ? "click a code…" : "change code (c)",
          onclick: () => { ui.changing = true; drawSuggest(); treeFilter.focus(); } }),
        h("button", { text: "◀ (k)", onclick: () => step(-1) }), h("button", { text: "▶ (j)", onclick: () => step(1) })));
  }

  function review(kind) {
    const s = suggestions()[ui.current];
    if (s) send({ action: kind, suggestion_id: s.suggestion_id });
  }

  function step(d) {
    const n = suggestions().length;
    if (n) { ui.current = (ui.current + d + n) % n; ui.changing = false; drawSuggest(); drawText(); }
  }

  function drawCounts() {
    const all = model.get("counts");
    const top = Math.max(1, ...all.map((c) => c.n));
    counts.replaceChildren(h("div", { class: "uqw-label", text: "codings shown, per factor" }), ...all.map((c) =>
      h("div", { class: "uqw-count", dataset: { factor: c.factor } },
        h("span", { class: "uqw-count-label", text: c.label }),
        h("span", { class: "uqw-count-bar", style: `width: ${(60 * c.n) / top}px; background: ${c.colour}` }),
        h("span", { class: "uqw-count-n", text: String(c.n) }))));
  }

  function showMessage(m) {
    message.className = "uqw-message" + (m && m.kind ? " uqw-" + m.kind : "");
    message.textContent = m && m.text ? m.text : "";
  }

  function drawAll() {
    drawBar(); drawMeta(); drawText(); drawSelection(); drawTree(); drawPanel(); drawSuggest(); drawCounts();
    showMessage(model.get("message"));
    root.dataset.revision = String(model.get("revision"));
  }

  // ---------------------------------------------------------------- events
  text.addEventListener("mouseup", (e) => {
    const span = selectedSpan(text);
    if (span) { send({ action: "select", start: span.start, end: span.end, sentence: e.altKey }); return; }
    const mark = e.target.closest && e.target.closest(".uqw-mark");
    if (mark) { ui.panel = mark.dataset.ids.split(" ").map(Number); drawPanel(); }
  });
  root.addEventListener("keydown", (e) => {
    if (["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName) || e.ctrlKey || e.metaKey || e.altKey) return;
    const act = inSuggestions() ? { a: () => review("accept"), r: () => review("reject"),
      c: () => { ui.changing = true; drawSuggest(); }, j: () => step(1), ArrowDown: () => step(1),
      k: () => step(-1), ArrowUp: () => step(-1) }[e.key] : { Escape: () => send({ action: "refresh" }) }[e.key];
    if (act) { e.preventDefault(); e.stopPropagation(); act(); }
  });
  model.on("change:revision", drawAll);
  model.on("change:selection", drawSelection);
  model.on("change:message", () => showMessage(model.get("message")));
  drawAll();
  return () => model.off(null, null, null);
}

export default { render };
