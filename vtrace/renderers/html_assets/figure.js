/* vtrace player, part 3 of 4: the split ring drawn as the virtio specification draws it: the
   descriptor table, the available ring and the used ring, arrows from ring entries to the
   descriptors they name, the indices and the event fields. It shows a window of each ring
   around its index (a queue has up to 1,024 entries); what the step changed is marked.
   A packed ring is one ring of descriptor slots (addr, len, id, flags with the AVAIL and
   USED bits), the indices pointing into it, and each side's indices, wrap counters and
   event area, as vtrace/renderers/ring_figure.py's packed_figure describes it. */
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
  /* -- the packed ring ------------------------------------------------------------------ */
  var POINTERS = ["next_avail_idx", "last_avail_idx", "used_idx", "last_used_idx"];
  var SIDES = [["fig.driver", ["next_avail_idx", "avail_wrap_counter", "last_used_idx", "used_wrap_counter",
                               "num_free"], "driver_event"],
               ["fig.device", ["last_avail_idx", "last_avail_wrap_counter", "used_idx", "vq.used_wrap_counter",
                               "inuse"], "device_event"]];
  var EVENT_FLAGS = ["ENABLE", "DISABLE", "DESC"];
  var SLOT_COLUMNS = [["slot", 34], ["addr", 62], ["len", 36], ["id", 30], ["flags", 56], ["A", 22], ["U", 22],
                      ["", 104]];
  /* What a slot holds by its flags: equal bits, the device wrote it back (with the length it
     returns); unequal, the driver's buffer, taken by the device or not. */
  function slotShown(slot) {
    var a = slot.flags >> 7 & 1, u = slot.flags >> 15 & 1;
    if (a === u) return {a: a, u: u, state: slot.state === "freed" ? "freed" : "used",
                         len: slot.written == null ? slot.len : slot.written};
    return {a: a, u: u, state: slot.state === "avail" ? "avail" : "device", len: slot.len};
  }
  function hex(value) { return "0x" + ("000" + Number(value).toString(16)).slice(-4); }
  function packed(svg, step, s, changed) {
    var r = s.ring, bySlot = {}, call = S.stepCall(step), acted = S.place(call).desc && S.descriptor(call);
    s.slots.forEach(function (slot) { bySlot[slot.slot] = slot; });
    /* the slot the step changed: the one the flush wrote back, else the one a call acting on a
       buffer names */
    var touched = changed["slot.flags"] && changed.used_idx ? mod((r.used_idx || 0) - 1, Q) :
      (acted && S.kind(call) === "call" ? (r.slot || 0) : -1);
    if (!(touched in bySlot)) touched = -1;
    var end = r.next_avail_idx || 0, count = Math.min(WINDOW, Q);
    var behind = touched < 0 ? 0 : mod(end - touched, Q), first = end - Math.max(count - 1, behind);
    if (first < 0 && !(mod(first, Q) in bySlot)) first = 0;
    var pointed = {};
    POINTERS.forEach(function (name) {
      var at = mod((r[name] || 0) & 0x7fff, Q);
      pointed[at] = (pointed[at] || []).concat([name]);
    });
    /* slots made available and not yet taken: a whole lap when the driver is a lap ahead */
    var taken = r.last_avail_idx || 0, pending = mod(end - taken, Q) ||
      (r.avail_wrap_counter !== r.last_avail_wrap_counter ? Q : 0);
    var top = 16, x = 0;
    svg.appendChild(sv("text", {x: 0, y: top - 4, "class": "fig-title"}, w("fig.ring")));
    SLOT_COLUMNS.forEach(function (column) { cell(svg, x, top, column[1], column[0], "head"); x += column[1]; });
    var tableRight = x, row = top + ROW, pointerWidth = 0;
    for (var p = first; p < first + count; p++) {
      var number = mod(p, Q), slot = bySlot[number], cls, texts;
      if (!slot && mod(number - taken, Q) < pending) {
        /* posted in bulk (a receive ring's refill): the stream names it when it is taken */
        cls = "in-avail";
        texts = [String(number), "?", "?", "?", "?", "?", "?", w("fig.s.avail")];
      } else if (slot) {
        var seen = slotShown(slot);
        cls = {avail: "in-avail", device: "in-device", used: "in-used", freed: "old"}[seen.state];
        texts = [String(number), slot.addr == null ? "?" : "0x" + Number(slot.addr).toString(16),
                 seen.len == null ? "?" : String(seen.len), String(slot.id), hex(slot.flags), String(seen.a),
                 String(seen.u), w("fig.s." + seen.state)];
      } else {
        cls = number === end ? "next" : "free";
        texts = [String(number), "", "", "", "", "", "", ""];
      }
      if (number === touched) cls += " changed";
      x = 0;
      for (var c = 0; c < SLOT_COLUMNS.length; c++) {
        cell(svg, x, row, SLOT_COLUMNS[c][1], texts[c] + (number === touched && c === 0 ? "*" : ""), cls);
        x += SLOT_COLUMNS[c][1];
      }
      if (pointed[number]) {
        pointerWidth = Math.max(pointerWidth, 8 + 6.4 * ("← " + pointed[number].join(", ")).length);
        svg.appendChild(sv("text", {x: tableRight + 4, y: row + ROW - 5, "class": "fig-pointer"},
                           "← " + pointed[number].join(", ")));
      }
      row += ROW;
    }
    /* each side: its indices and wrap counters, then its event-suppression area */
    var bottom = row, sideX = 0, top2 = row + 22;
    SIDES.forEach(function (side) {
      var y = top2, width = 214;
      svg.appendChild(sv("text", {x: sideX, y: y - 4, "class": "fig-title"}, w(side[0])));
      side[1].forEach(function (name) {
        cell(svg, sideX, y, width, name + " " + (r[name] || 0) + (changed[name] ? "*" : ""), changed[name] ? "changed" : "");
        y += ROW;
      });
      svg.appendChild(sv("text", {x: sideX, y: y + 14, "class": "fig-title"}, side[2]));
      y += 18;
      [["off_wrap", hex(r[side[2] + ".off_wrap"] || 0)],
       ["flags", EVENT_FLAGS[r[side[2] + ".flags"] || 0] || String(r[side[2] + ".flags"])]].forEach(function (field) {
        var name = side[2] + "." + field[0];
        cell(svg, sideX, y, width, field[0] + " " + field[1] + (changed[name] ? "*" : ""), changed[name] ? "changed" : "head");
        y += ROW;
      });
      bottom = Math.max(bottom, y);
      sideX += width + 24;
    });
    return {width: Math.ceil(Math.max(tableRight + pointerWidth, sideX)), height: bottom + 8};
  }

  /* other: s is another queue pair's ring than the step's, which the step did not change */
  function show(step, s, other) {
    var box = document.getElementById("figure");
    box.textContent = "";
    box.hidden = !shown || !Q;
    document.getElementById("figure-button").hidden = !Q;
    if (!shown || !Q) return;
    var changed = {};
    for (var i = other ? S.n : S.stepStarts[step]; i < S.stepEnd(step); i++) {
      S.ringChange(i).forEach(function (part) { changed[part[0]] = true; });
    }
    if (S.packed) {
      var drawing = sv("svg", {"class": "figure", role: "img", "aria-labelledby": "figure-title"});
      drawing.appendChild(sv("title", {id: "figure-title"}, w("figure")));
      var size = packed(drawing, step, s, changed);
      drawing.setAttribute("viewBox", "0 0 " + size.width + " " + size.height);
      drawing.setAttribute("width", String(size.width));
      drawing.setAttribute("height", String(size.height));
      box.appendChild(drawing);
      var note = document.createElement("p");
      note.className = "fig-note";
      note.textContent = w("fig.bits");
      box.appendChild(note);
      return;
    }
    var r = s.ring, heads = Object.keys(s.desc).map(Number).sort(function (a, b) { return a - b; });
    var mine = other ? null : S.descriptor(S.stepCall(step));
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
  /* The ring panel's list of a packed ring's slots, newest last: what each holds by its bits. */
  function slotList(s) {
    var part = document.createElement("div"), title = document.createElement("h3"), list = document.createElement("p");
    title.textContent = w("fig.ring");
    list.className = "mono";
    list.textContent = s.slots.length ? s.slots.map(function (slot) {
      var seen = slotShown(slot);
      return "[" + slot.slot + "] id=" + slot.id + " A=" + seen.a + " U=" + seen.u + " " + w("fig.s." + seen.state);
    }).join(" · ") : w("none");
    part.appendChild(title);
    part.appendChild(list);
    return part;
  }
  return {show: show, toggle: toggle, slotList: slotList};
})(vtraceStream, vtraceViews);
