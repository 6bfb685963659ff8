/* vtrace player, part 3 of 4: the split ring drawn as the virtio specification draws it: the
   descriptor table, the available ring and the used ring, arrows from ring entries to the
   descriptors they name, the indices and the event fields. It shows a window of each ring
   around its index (a queue has up to 1,024 entries); what the step changed is marked. */
var vtraceFigure = (function (S, V) {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var Q = S.Q, mod = S.mod, w = V.w, num = V.num;
  var ROW = 17, WINDOW = 5, DESC_ROWS = 8, DESC_W = 214, GAP = 40, RING_W = 140;
  var shown = true;

  function sv(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function cell(svg, x, y, width, text, cls) {
    svg.appendChild(sv("rect", {x: x, y: y, width: width, height: ROW, "class": "fig-cell " + (cls || "")}));
    svg.appendChild(sv("text", {x: x + 4, y: y + ROW - 5, "class": "fig-text " + (cls || "")}, text));
  }
  /* The positions of a ring worth drawing: WINDOW of them up to and including `idx` (from 0
     while the ring is young). */
  function windowOf(idx) {
    var size = Math.min(WINDOW, Q), first = Math.max(0, idx - size + 1), positions = [];
    for (var p = first; p < first + size; p++) positions.push(p);
    return positions;
  }
  /* One ring: its flags and idx, a window of entries, its event field. Entries in [from, to)
     are published and not yet consumed by the other side: those get arrows. Returns where each
     such head sits, and the ring's bottom edge. */
  function ring(svg, x, y, title, shared, entries, from, to, event, r, changed) {
    var at = {}, pending = mod(to - from, 65536);
    svg.appendChild(sv("text", {x: x, y: y - 4, "class": "fig-title"}, title));
    cell(svg, x, y, RING_W / 2, "flags " + (r[shared + ".flags"] || 0), changed[shared + ".flags"] ? "changed" : "");
    cell(svg, x + RING_W / 2, y, RING_W / 2, "idx " + to, changed[shared + ".idx"] ? "changed" : "");
    var row = y + ROW;
    windowOf(to).forEach(function (position) {
      var slot = mod(position, Q), head = entries[slot], next = position === to;
      var ahead = mod(to - position, 65536), live = ahead >= 1 && ahead <= pending;
      var text = "[" + slot + "] " + (next ? "" : (head >= 0 ? head : "–"));
      cell(svg, x, row, RING_W, text, next ? "next" : (live ? "live" : "old"));
      if (next) svg.appendChild(sv("text", {x: x + RING_W + 4, y: row + ROW - 5, "class": "fig-pointer"}, "← idx"));
      if (live && head >= 0) at[head] = (at[head] || []).concat([row + ROW / 2]);
      row += ROW;
    });
    cell(svg, x, row, RING_W, event + " " + (r[event] || 0), changed[event] ? "changed" : "");
    return {at: at, bottom: row + ROW};
  }
  function show(step, s) {
    var box = document.getElementById("figure");
    box.textContent = "";
    box.hidden = !shown || !Q;
    document.getElementById("figure-button").hidden = !Q;
    if (!shown || !Q) return;
    var changed = {};
    for (var i = S.stepStarts[step]; i < S.stepEnd(step); i++) {
      S.ringChange(i).forEach(function (part) { changed[part[0]] = true; });
    }
    var r = s.ring, heads = Object.keys(s.desc).map(Number).sort(function (a, b) { return a - b; });
    var mine = S.descriptor(S.stepCall(step));
    var width = DESC_W + GAP + RING_W + 64;
    var svg = sv("svg", {"class": "figure", role: "img", "aria-labelledby": "figure-title"});
    svg.appendChild(sv("title", {id: "figure-title"}, w("figure")));
    /* the descriptor table: the entries in use, else the first few */
    var top = 16, rows = heads.length ? heads.slice(0, DESC_ROWS) : [0, 1, 2, 3].filter(function (d) { return d < Q; });
    svg.appendChild(sv("text", {x: 0, y: top - 4, "class": "fig-title"}, w("fig.desc")));
    cell(svg, 0, top, 22, "#", "head");
    cell(svg, 22, top, 74, "addr", "head");
    cell(svg, 96, top, 38, "len", "head");
    cell(svg, 134, top, DESC_W - 134, "", "head");
    var rowOf = {};
    rows.forEach(function (d, k) {
      var y = top + ROW * (k + 1), entry = s.desc[d], cls = entry ? "in-" + entry.state : "free";
      if (mine && mine[0] === d) cls += " changed";
      cell(svg, 0, y, 22, String(d), cls);
      cell(svg, 22, y, 74, entry ? "0x" + Number(entry.addr).toString(16) : "", cls);
      cell(svg, 96, y, 38, entry ? String(entry.len) : "", cls);
      cell(svg, 134, y, DESC_W - 134, entry ? w("fig.s." + entry.state) : w("fig.s.free"), cls);
      rowOf[d] = y + ROW / 2;
    });
    if (heads.length > DESC_ROWS) {
      svg.appendChild(sv("text", {x: 0, y: top + ROW * (DESC_ROWS + 2) - 4, "class": "fig-pointer"},
                         "+" + num(heads.length - DESC_ROWS)));
    }
    var rx = DESC_W + GAP;
    var avail = ring(svg, rx, top, w("fig.avail"), "avail", s.avail, r.last_avail_idx || 0, r["avail.idx"] || 0,
                     "used_event", r, changed);
    var used = ring(svg, rx, avail.bottom + 22, w("fig.used"), "used", s.used, r.last_used_idx || 0, r["used.idx"] || 0,
                    "avail_event", r, changed);
    /* arrows from live ring entries to the descriptors they name */
    [[avail.at, "fig-arrow"], [used.at, "fig-arrow used"]].forEach(function (pair) {
      for (var head in pair[0]) {
        if (!(head in rowOf)) continue;
        pair[0][head].forEach(function (y) {
          var x2 = DESC_W + 2, y2 = rowOf[head];
          svg.appendChild(sv("path", {d: "M" + rx + "," + y + " C" + (rx - GAP / 2) + "," + y + " " + (x2 + GAP / 2) + "," + y2 + " " + (x2 + 6) + "," + y2,
                                      "class": pair[1]}));
          svg.appendChild(sv("path", {d: "M" + x2 + "," + y2 + " l7,-4 l0,8 z", "class": pair[1] + " tip"}));
        });
      }
    });
    var shadows = sv("text", {x: 0, y: used.bottom + 14, "class": "fig-pointer"},
                     "avail_idx_shadow " + (r.avail_idx_shadow || 0) + " · last_used_idx " + (r.last_used_idx || 0) +
                     " · last_avail_idx " + (r.last_avail_idx || 0));
    svg.appendChild(shadows);
    var height = used.bottom + 22;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    box.appendChild(svg);
  }
  function toggle() {
    shown = !shown;
    document.getElementById("figure-button").setAttribute("aria-pressed", shown ? "true" : "false");
  }
  return {show: show, toggle: toggle};
})(vtraceStream, vtraceViews);
