/* vtrace player, part 2 of 4: what the page draws at a step: the sequence diagram, the
   layered overview, the step, ring and counter panels, the scrubber's markers. Text goes in
   with textContent only. */
var vtraceViews = (function (S) {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var D = S.D, n = S.n, frameOf = S.frameOf, timeOf = S.timeOf, shape = S.shape, place = S.place,
      kind = S.kind, counted = S.counted, descriptor = S.descriptor, ringChange = S.ringChange,
      pageStarts = S.pageStarts, pages = S.pages, groupFirst = S.groupFirst,
      groupLast = S.groupLast, marks = S.marks, bisect = S.bisect, Q = S.Q, mod = S.mod;
  var LANGS = D.langs;
  var lang = LANGS.indexOf(document.documentElement.lang) >= 0 ? document.documentElement.lang : "en";
  var ROW = 22, NUM_W = 50, LABEL_W = 250, LABEL_CHARS = 34, COL_W = 84, NOTE_W = 440, HEAD_H = 58;

  function w(key) { var t = D.words[lang]; return (t && t[key] !== undefined) ? t[key] : (D.words.en[key] || key); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, name) { return values[name] !== undefined ? values[name] : m; });
  }
  function li() { return LANGS.indexOf(lang); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function sv(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    if (attrs) for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function short(text, most) { return text.length > most ? text.slice(0, most - 1) + "…" : text; }
  function num(value) { return Number(value).toLocaleString("en-US"); }
  function sayText(i, what) { return S.text(i, what, li()); }

  /* -- the lifelines: every actor of the stream, or in presentation mode only those the
        current round uses, fitted to the width ---------------------------------------- */
  var actors = D.actors;
  function layerOf(actor) { return D.actorLayer[actor] || "other"; }
  var scale = 1, cols = actors.map(function (actor, a) { return a; }), colOf = cols.slice();
  function LEFT() { return NUM_W + LABEL_W; }  /* the step numbers and labels, kept in view */
  function xOf(a) { return colOf[a] * COL_W + COL_W / 2; }
  function lanes() { return cols.length * COL_W + NOTE_W; }
  function setScale(factor) {
    scale = factor;
    /* Presentation mode trades the note column and long labels for type that carries and
       lanes that fit: the current step's note is in the step panel, in full. */
    ROW = Math.round(22 * factor); NUM_W = Math.round(46 * factor);
    LABEL_W = factor > 1 ? Math.round(150 * factor) : 250; LABEL_CHARS = factor > 1 ? 17 : 34;
    HEAD_H = Math.round(58 * factor); NOTE_W = factor > 1 ? 0 : 440; COL_W = 84;
    shownPage = -1;
  }
  function useColumns(p) {
    var used = {};
    if (scale > 1) {
      for (var i = pageStarts[p]; i < pageStarts[p + 1]; i++) { var sh = shape(i); used[sh[2]] = used[sh[3]] = true; }
    }
    cols = actors.map(function (actor, a) { return a; }).filter(function (a) { return scale === 1 || used[a]; });
    colOf = [];
    cols.forEach(function (a, c) { colOf[a] = c; });
    if (scale > 1) {
      /* room for the vertical scrollbar the rows may bring (Firefox draws it inside) */
      var seen = document.getElementById("seq").clientWidth - LEFT() - 18;
      COL_W = Math.max(40, Math.floor(seen / Math.max(1, cols.length)));
    }
  }
  function boundaryAt() {
    for (var c = 1; c < cols.length; c++) {
      var before = layerOf(actors[cols[c - 1]]), after = layerOf(actors[cols[c]]);
      if ((before === "guest-user" || before === "guest-kernel" || before === "vring") &&
          (after === "kvm" || after === "qemu" || after === "host-kernel")) return c;
    }
    return -1;
  }
  function layerRuns(each) {
    var start = 0;
    for (var c = 1; c <= cols.length; c++) {
      if (c < cols.length && layerOf(actors[cols[c]]) === layerOf(actors[cols[start]])) continue;
      each(layerOf(actors[cols[start]]), start, c);
      start = c;
    }
  }
  function lanesBackground(svg, top, height) {
    layerRuns(function (layer, start, end) {
      svg.appendChild(sv("rect", {x: start * COL_W + 1, y: top, width: (end - start) * COL_W - 2,
                                   height: height, "class": "L-" + layer}));
    });
    var at = boundaryAt();
    if (at > 0) {
      var bx = at * COL_W;
      svg.appendChild(sv("line", {x1: bx, x2: bx, y1: top, y2: top + height, "class": "boundary"}));
    }
  }
  function split(height, extra) {
    /* a row of two drawings: the labels (sticky at the left) and the lifelines */
    var box = el("div", {"class": "split"});
    var left = sv("svg", Object.assign({width: LEFT(), height: height, "class": "left"}, extra || {}));
    var right = sv("svg", Object.assign({width: lanes(), height: height}, extra || {}));
    left.appendChild(sv("rect", {x: 0, y: 0, width: LEFT(), height: height, "class": "left-bg"}));
    box.appendChild(left); box.appendChild(right);
    return [box, left, right];
  }
  function drawHeads() {
    var box = document.getElementById("heads");
    box.textContent = "";
    var parts = split(HEAD_H, {"aria-hidden": "true"}), svg = parts[2], most = Math.floor(COL_W / (7 * scale));
    lanesBackground(svg, 0, HEAD_H);
    layerRuns(function (layer, start, end) {
      svg.appendChild(sv("text", {x: (start + end) * COL_W / 2, y: 11 * scale, "text-anchor": "middle", "class": "muted"},
                         short(w("layer." + layer), Math.max(4, (end - start) * most))));
    });
    /* In presentation mode a head is the actor's name alone, in as many characters as fit. */
    var fit = scale > 1 ? Math.max(5, Math.floor((COL_W - 6) / 8)) : 10;
    cols.forEach(function (a) {
      var actor = actors[a], top = 16 * scale;
      svg.appendChild(sv("rect", {x: xOf(a) - COL_W / 2 + 2, y: top, width: COL_W - 4, height: HEAD_H - top - 4, rx: 5, "class": "head-box"}));
      var name = sv("text", {x: xOf(a), y: scale > 1 ? top + (HEAD_H - top) / 2 + 2 : 32, "text-anchor": "middle",
                             "class": scale > 1 ? "mono head-name" : "mono"}, short(actor, fit));
      name.appendChild(sv("title", null, actor));
      svg.appendChild(name);
      if (scale === 1) {
        svg.appendChild(sv("text", {x: xOf(a), y: 47, "text-anchor": "middle", "class": "muted"},
                           short(D.words[lang]["role." + actor] || "", 15)));
      }
    });
    parts[1].appendChild(sv("text", {x: 6, y: 32 * scale, "class": "muted"}, "#"));
    box.appendChild(parts[0]);
    box.setAttribute("aria-label", cols.map(function (a) { return actors[a]; }).join(", "));
  }

  /* -- the sequence diagram, one page at a time ----------------------------------------- */
  var shownPage = -1, shownLang = "", rowNodes = [];
  function headClass(look, k) {
    if (k === "state") return "head-blue";
    if (look === "exit" || look === "entry") return "head-red";
    if (look === "interrupt") return "head-orange";
    return "head-ink";
  }
  function arrowHead(svg, x, y, towardRight, cls) {
    var dx = towardRight ? -8 : 8;
    svg.appendChild(sv("path", {d: "M" + x + "," + y + " l" + dx + ",-4 l0,8 z", "class": cls}));
  }
  function drawRow(left, right, i, y) {
    var sh = shape(i), k = D.kinds[sh[1]], step = S.stepOf(i);
    var label = k === "note" ? "◆ " + place(i).function : sayText(i, 0);
    if (frameOf[i] >= 0 && k !== "note") label += "  #" + frameOf[i];
    var note = sayText(i, 2);
    var tip = place(i).function + " — " + place(i).where[lang] + (note ? "\n" + note : "");
    var text = ROW * 0.68;
    var g = sv("g", {"class": "row", "data-step": step + 1, "data-event": i + 1, role: "listitem"});
    g.appendChild(sv("rect", {x: 0, y: y, width: LEFT(), height: ROW, "class": "bg"}));
    if (S.stepCall(step) === i) {
      g.appendChild(sv("text", {x: NUM_W - 6, y: y + text, "text-anchor": "end", "class": "num mono"}, String(step + 1)));
    }
    g.appendChild(sv("text", {x: NUM_W, y: y + text, "class": "label mono"}, short(label, LABEL_CHARS)));
    g.appendChild(sv("title", null, label + "\n" + tip));
    left.appendChild(g);
    var lane = sv("g", {"class": "row", "data-step": step + 1, "data-event": i + 1, "aria-hidden": "true"});
    lane.appendChild(sv("rect", {x: 0, y: y, width: lanes(), height: ROW, "class": "bg"}));
    var src = sh[2], dst = sh[3], x1 = xOf(src), x2 = xOf(dst), mid = y + ROW / 2;
    var cls = "arrow" + (k === "state" ? " state" : "") + (sh[7] && k !== "state" ? " dashed" : "") +
              (sh[6] ? " " + sh[6] : "");
    var hc = headClass(sh[6], k);
    if (k === "note") {
      lane.appendChild(sv("path", {d: "M" + x2 + "," + (mid - 6) + " l6,6 l-6,6 l-6,-6 z", "class": "notemark"}));
    } else if (src === dst) {
      lane.appendChild(sv("path", {d: "M" + x1 + "," + (mid - 6) + " h16 v10 h-12", "class": cls}));
      arrowHead(lane, x1, mid + 4, false, hc);
    } else {
      var end = x2 + (x2 > x1 ? -1 : 1);
      lane.appendChild(sv("line", {x1: x1, y1: mid, x2: end, y2: mid, "class": cls}));
      arrowHead(lane, end, mid, x2 > x1, hc);
    }
    if (note && NOTE_W) lane.appendChild(sv("text", {x: cols.length * COL_W + 8, y: y + text, "class": "note"}, "◆ " + note));
    lane.appendChild(sv("title", null, tip));
    right.appendChild(lane);
    return [g, lane];
  }
  /* -- folding: a block of rows repeated at once (the refill posting 256 buffers) is drawn
     once, then one row says how often it ran again; the steps keep their numbers, and a step
     inside the fold lights the fold's row. `z` or the Fold button unfolds. */
  var LONGEST = 8, folding = true;
  /* The same step, arrow and words (decisions included) but for numbers. */
  function sameRows(a, b, length) {
    for (var j = 0; j < length; j++) {
      var x = S.combo(a + j), y = S.combo(b + j);
      if (x[0] !== y[0] || x[1] !== y[1]) return false;
    }
    return true;
  }
  /* The page's rows: [event, -1] for an event drawn, [from, to, block] for the events from
     `from` to `to` folded behind the `block` rows before them. */
  function layout(first, last) {
    var rows = [], i = first;
    while (i < last) {
      var best = 0, bestTimes = 0;
      for (var block = 1; folding && block <= LONGEST && i + 2 * block <= last; block++) {
        var times = 0;
        while (i + (times + 2) * block <= last && sameRows(i, i + (times + 1) * block, block)) times++;
        if (times >= (block === 1 ? 3 : 2) && times * block > bestTimes * best) { best = block; bestTimes = times; }
      }
      if (!best) { rows.push([i, -1]); i++; continue; }
      for (var j = 0; j < best; j++) rows.push([i + j, -1]);
      rows.push([i + best, i + best * (bestTimes + 1), best]);
      i += best * (bestTimes + 1);
    }
    return rows;
  }
  function drawFold(left, right, row, y) {
    var from = row[0], to = row[1], block = row[2], text = ROW * 0.68;
    var words = fill(w("fold_row"), {rows: num(block), times: num((to - from) / block),
                                     first: num(S.stepOf(from) + 1), last: num(S.stepOf(to - 1) + 1)});
    var g = sv("g", {"class": "row fold", "data-step": S.stepOf(from) + 1, "data-event": from + 1, role: "listitem"});
    g.appendChild(sv("rect", {x: 0, y: y, width: LEFT(), height: ROW, "class": "bg"}));
    g.appendChild(sv("text", {x: NUM_W, y: y + text, "class": "label"}, short("↻ " + words, LABEL_CHARS + 8)));
    g.appendChild(sv("title", null, "↻ " + words));
    left.appendChild(g);
    var lane = sv("g", {"class": "row fold", "aria-hidden": "true"});
    lane.appendChild(sv("rect", {x: 0, y: y, width: lanes(), height: ROW, "class": "bg"}));
    lane.appendChild(sv("text", {x: 8, y: y + text, "class": "note"}, "↻ " + words));
    right.appendChild(lane);
    return [g, lane];
  }
  /* A run of rounds with the same steps is drawn as its first round, then one row that says
     how many followed; a step of a later round lights that row. */
  function drawnPage(p) { return folding ? groupFirst[p] : p; }
  function drawRounds(left, right, p, y) {
    var from = pageStarts[p + 1], to = pageStarts[groupLast[p] + 1], text = ROW * 0.68;
    var words = "↻ " + fill(w("fold_rounds"), {first: num(p + 2), last: num(groupLast[p] + 1),
                                               from: num(S.stepOf(from) + 1), to: num(S.stepOf(to - 1) + 1)});
    var g = sv("g", {"class": "row fold rounds", "data-step": S.stepOf(from) + 1, "data-event": from + 1, role: "listitem"});
    g.appendChild(sv("rect", {x: 0, y: y, width: LEFT(), height: ROW, "class": "bg"}));
    g.appendChild(sv("text", {x: NUM_W, y: y + text, "class": "label"}, short(words, LABEL_CHARS + 8)));
    g.appendChild(sv("title", null, words));
    left.appendChild(g);
    var lane = sv("g", {"class": "row fold rounds", "aria-hidden": "true"});
    lane.appendChild(sv("rect", {x: 0, y: y, width: lanes(), height: ROW, "class": "bg"}));
    lane.appendChild(sv("text", {x: 8, y: y + text, "class": "note"}, words));
    right.appendChild(lane);
    return [g, lane];
  }
  var rowOf = [];  /* the page's row of each of its events */
  function rowAt(i, p) {
    return i < pageStarts[p + 1] ? rowOf[i - pageStarts[p]] : rowNodes.length - 1;
  }
  function drawPage(p) {
    var first = pageStarts[p], last = pageStarts[p + 1], shown = layout(first, last);
    var rounds = folding && groupLast[p] > p, rows = shown.length + (rounds ? 1 : 0), height = rows * ROW + 8;
    useColumns(p);
    drawHeads();
    var box = document.getElementById("rows");
    box.textContent = "";
    var parts = split(height), right = parts[2];
    parts[1].setAttribute("role", "list");
    parts[1].setAttribute("aria-label", w("diagram"));
    lanesBackground(right, 0, height);
    cols.forEach(function (a) {
      right.appendChild(sv("line", {x1: xOf(a), x2: xOf(a), y1: 0, y2: height, "class": "lifeline"}));
    });
    rowNodes = []; rowOf = [];
    shown.forEach(function (row, r) {
      var y = r * ROW + 4;
      if (row[1] < 0) { rowOf[row[0] - first] = r; rowNodes.push(drawRow(parts[1], right, row[0], y)); return; }
      for (var i = row[0]; i < row[1]; i++) rowOf[i - first] = r;
      rowNodes.push(drawFold(parts[1], right, row, y));
    });
    if (rounds) rowNodes.push(drawRounds(parts[1], right, p, shown.length * ROW + 4));
    box.appendChild(parts[0]);
    shownPage = p; shownLang = lang;
  }
  function namePage(p) {
    var info = document.getElementById("pageinfo");
    var words = fill(w("round"), {n: num(p + 1), total: num(pages)});
    if (groupLast[p] > groupFirst[p]) words += " · " + fill(w("same"), {first: num(groupFirst[p] + 1), last: num(groupLast[p] + 1)});
    if (cols.length < actors.length) words += " · " + fill(w("folded"), {n: num(actors.length - cols.length)});
    info.textContent = words;
  }
  var litRows = [];
  function showRow(step) {
    var first = S.stepStarts[step], end = S.stepEnd(step), round = bisect(pageStarts, first), p = drawnPage(round);
    if (p !== shownPage || shownLang !== lang) { drawPage(p); litRows = []; }
    namePage(round);
    var stop = pageStarts[(p === round ? p : groupLast[p]) + 1];
    litRows.forEach(function (g) { g.classList.remove("current"); g.removeAttribute("aria-current"); });
    litRows = [];
    var lit = {};
    for (var i = first; i < end && i < stop; i++) {
      var r = rowAt(i, p);
      if (lit[r]) continue;
      lit[r] = true;
      rowNodes[r].forEach(function (g) { g.classList.add("current"); litRows.push(g); });
    }
    litRows[0].setAttribute("aria-current", "step");
    var seq = document.getElementById("seq"), top = rowAt(first, p) * ROW + HEAD_H;
    var bottom = (rowAt(Math.min(end, stop) - 1, p) + 1) * ROW + HEAD_H;
    if (top - HEAD_H < seq.scrollTop || bottom + 4 > seq.scrollTop + seq.clientHeight) {
      seq.scrollTop = Math.max(0, top - HEAD_H - seq.clientHeight / 3);
    }
    var sh = shape(S.stepCall(step)), low = Math.min(xOf(sh[2]), xOf(sh[3])), high = Math.max(xOf(sh[2]), xOf(sh[3]));
    var seen = seq.clientWidth - LEFT();
    if (low < seq.scrollLeft || high + 24 > seq.scrollLeft + seen) {
      seq.scrollLeft = Math.max(0, Math.min(low - COL_W / 2, (low + high) / 2 - seen / 2));
    }
  }

  /* -- the layered overview ------------------------------------------------------------- */
  var OV_W = 900, BAND = 26, OV_TOP = 6, OV_LABEL = 190, PART = 128;
  var ovParts = {}, ovBands = {};
  function drawOverview() {
    var svg = document.getElementById("overview");
    svg.textContent = "";
    svg.setAttribute("viewBox", "0 0 " + OV_W + " " + (OV_TOP * 2 + D.layers.length * BAND + 4));
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    ovParts = {}; ovBands = {};
    D.layers.forEach(function (layer, row) {
      var y = OV_TOP + row * BAND;
      var band = sv("rect", {x: 2, y: y + 1, width: OV_W - 4, height: BAND - 2, rx: 4, "class": "ov-band L-" + layer});
      var label = sv("text", {x: 10, y: y + 17, "class": "ov-layer"}, w("layer." + layer));
      svg.appendChild(band); svg.appendChild(label);
      ovBands[layer] = [band, label];
      var column = 0;
      actors.forEach(function (actor) {
        if (layerOf(actor) !== layer) return;
        var x = OV_LABEL + column * (PART + 8);
        var box = sv("rect", {x: x, y: y + 3, width: PART, height: BAND - 6, rx: 4, "class": "ov-part"});
        var name = sv("text", {x: x + PART / 2, y: y + 17, "text-anchor": "middle", "class": "ov-name mono"}, actor);
        svg.appendChild(box); svg.appendChild(name);
        ovParts[actor] = {box: box, name: name, x: x + PART / 2, y: y + BAND / 2};
        column++;
      });
      if (layer === "vring") {
        /* the entry the frame sits in while it is in the ring, as the terminal's lane has it */
        ovParts.__ring = sv("text", {x: OV_LABEL + column * (PART + 8) + 4, y: y + 17, id: "ov-ring", "class": "ov-name mono"});
        svg.appendChild(ovParts.__ring);
        var by = y + BAND + 0.5;
        svg.appendChild(sv("line", {x1: 2, x2: OV_W - 2, y1: by, y2: by, "class": "boundary"}));
        svg.appendChild(sv("text", {x: OV_W - 8, y: by - 3, "text-anchor": "end", "class": "boundary-label"}, w("boundary")));
      }
    });
    var hop = sv("path", {"class": "ov-hop", d: ""});
    svg.appendChild(hop);
    ovParts.__hop = hop;
  }
  var ovLit = [], inRingAt = (D.inRing || []).map(function (row) { return row[0]; });
  function showOverview(i, last) {
    var r = S.bisect(inRingAt, last), lane = r < 0 ? [] : D.inRing[r];
    if (ovParts.__ring) {
      /* with several queue pairs the row names the pair, in the scenario's words */
      var entry = lane.length > 3 ? fill(w("ring.pair"), {pair: lane[3], entry: lane[1]}) : lane[1];
      ovParts.__ring.textContent = lane.length > 1 ? entry + " #" + lane[2] : "";
      ovParts.__ring.classList.toggle("other", lane.length > 1 && lane[2] !== frameOf[i]);
    }
    ovLit.forEach(function (node) { node.classList.remove("lit", "src", "dst"); });
    ovLit = [];
    var sh = shape(i), layer = place(i).layer, src = ovParts[actors[sh[2]]], dst = ovParts[actors[sh[3]]];
    var band = ovBands[layer];
    if (band) {
      band.forEach(function (node) { node.classList.add("lit"); ovLit.push(node); });
      band[1].textContent = "▶ " + w("layer." + layer);
    }
    D.layers.forEach(function (other) { if (other !== layer) ovBands[other][1].textContent = w("layer." + other); });
    var hop = ovParts.__hop, d = "";
    if (src && dst && src !== dst) {
      src.box.classList.add("src"); ovLit.push(src.box);
      var dx = dst.x - src.x, dy = dst.y - src.y, len = Math.max(1, Math.sqrt(dx * dx + dy * dy));
      var ex = dst.x - dx / len * 18, ey = dst.y - dy / len * 10;
      d = "M" + src.x + "," + src.y + " L" + ex + "," + ey;
      var ux = dx / len, uy = dy / len;
      d += " M" + ex + "," + ey + " l" + (-ux * 9 + uy * 5) + "," + (-uy * 9 - ux * 5) +
           " M" + ex + "," + ey + " l" + (-ux * 9 - uy * 5) + "," + (-uy * 9 + ux * 5);
    }
    hop.setAttribute("d", d);
    if (dst) {
      dst.box.classList.add("dst"); dst.name.classList.add("dst");
      ovLit.push(dst.box, dst.name);
    }
    var svg = document.getElementById("overview");
    svg.setAttribute("aria-label", w("overview") + ": " + w("layer." + layer) + ", " + actors[sh[3]]);
  }

  /* -- the step panel ------------------------------------------------------------------- */
  function micro(ns) { return (ns / 1000).toLocaleString("en-US", {maximumFractionDigits: 2}) + " µs"; }
  function showStep(step) {
    var i = S.stepCall(step), end = S.stepEnd(step);
    var box = document.getElementById("step"), pl = place(i), sh = shape(i);
    box.textContent = "";
    box.appendChild(el("h3", {"class": "mono"}, pl.function));
    var dl = el("dl");
    function row(term, value) {
      dl.appendChild(el("dt", null, term));
      var dd = el("dd");
      if (typeof value === "string") dd.textContent = value; else dd.appendChild(value);
      dl.appendChild(dd);
      return dd;
    }
    var where = el("span", {"class": "mono"});
    if (pl.link) {
      var a = el("a", {href: pl.link, target: "_blank", rel: "noopener noreferrer", title: w("open_source")}, pl.where[lang]);
      where.appendChild(a);
      if (pl.near) { where.appendChild(document.createTextNode(" ≈")); a.title = w("near"); where.title = w("near"); }
    } else where.textContent = pl.where[lang];
    row(w("where"), where);
    row(w("version"), pl.project + (pl.version ? " " + pl.version : "") + " · " + w("layer." + pl.layer));
    var captured = D.sources[sh[5]] !== "replay";
    var hop = i > 0 ? timeOf[i] - timeOf[i - 1] : timeOf[i];
    row(w("time"), micro(timeOf[i]) + " (+" + micro(hop) + " " + w("hop") + ", " +
        w(captured ? "measured" : "modelled") + ")");
    row(w("source"), D.sources[sh[5]] + " · " + D.threads[sh[4]] + " · " + D.kinds[sh[1]] +
        " " + actors[sh[2]] + " → " + actors[sh[3]]);
    row(w("frame"),
        frameOf[i] >= 0 ? fill(w("frame_of"), {frame: frameOf[i]}) : w("no_frame"));
    box.appendChild(dl);
    for (var j = S.stepStarts[step]; j < end; j++) {
      var decision = sayText(j, 1) || (kind(j) === "note" ? sayText(j, 2) : "");
      if (decision) box.appendChild(el("p", {"class": "decision"}, (j !== i ? "◆ " : "") + decision));
    }
    if (pl.why[lang]) box.appendChild(el("p", {"class": "why"}, pl.why[lang]));
    if (pl.note[lang]) box.appendChild(el("p", {"class": "vnote"}, w("vnote") + ": " + pl.note[lang]));
    if (pl.lesson[lang]) box.appendChild(el("p", {"class": "lesson"}, w("lesson") + ": " + pl.lesson[lang]));
  }

  /* -- the ring panel ------------------------------------------------------------------- */
  /* The ring fields a step wrote, and the descriptor head its call touched. */
  function changedIn(step) {
    var changed = {};
    for (var i = S.stepStarts[step]; i < S.stepEnd(step); i++) {
      ringChange(i).forEach(function (part) { changed[part[0]] = true; });
    }
    return changed;
  }
  function showRing(step, s, queue) {
    var box = document.getElementById("ring");
    box.textContent = "";
    if (!Q) { box.appendChild(el("p", null, w("no_ring"))); return; }
    /* the queue's roles, on hover: the panel has no room for a line more at 1280x720 */
    document.getElementById("ring-title").setAttribute("title", w("ring.roles"));
    /* another pair's ring than the step's: the step changed none of it */
    var own = queue == null || queue === S.stepQueue[step];
    var changed = own ? changedIn(step) : {}, desc = own ? descriptor(S.stepCall(step)) : null;
    if (queue != null) {
      box.appendChild(el("p", {id: "ring-queue"}, fill(w("ring.queue"), {queue: queue, count: S.queues.length})));
    }
    var groups = el("div", {"class": "groups"});
    D.ringGroups.forEach(function (group) {
      groups.appendChild(el("h3", null, w(group[0])));
      var fields = el("div", {"class": "fields", role: "list"});
      group[1].forEach(function (name) {
        var isNew = name in changed, cell = el("div", {"class": isNew ? "field changed" : "field", "data-field": name, role: "listitem"});
        cell.appendChild(el("span", {"class": "mark", "aria-label": isNew ? w("changed") : ""}, isNew ? "●" : ""));
        cell.appendChild(el("span", {"class": "name mono"}, name));
        cell.appendChild(el("span", {"class": "value"}, String(s.ring[name])));
        fields.appendChild(cell);
      });
      groups.appendChild(fields);
    });
    box.appendChild(groups);
    box.appendChild(el("p", {id: "ring-legend"}, "● " + w("changed") + " · " + w("ring.in_use") + ": " +
                       (Q - s.ring.num_free) + "/" + Q));
    var heads = Object.keys(s.desc).map(Number).sort(function (x, y) { return x - y; });
    box.appendChild(el("h3", null, w("descriptors")));
    var unlisted = (Q - s.ring.num_free) - heads.length;
    if (!heads.length && !(unlisted > 0)) box.appendChild(el("p", null, w("none")));
    else if (heads.length) {
      var dt = el("table", {id: "descriptors"}), hr = el("tr");
      ["head", "addr", "len", "state"].forEach(function (key) { hr.appendChild(el("th", {scope: "col"}, w(key))); });
      dt.appendChild(hr);
      var mine = desc ? desc[0] : -1;
      heads.slice(0, 32).forEach(function (h) {
        var entry = s.desc[h], tr = el("tr", h === mine ? {"class": "changed"} : null);
        tr.appendChild(el("td", {"class": "value"}, (h === mine ? "● " : "") + h));
        tr.appendChild(el("td", {"class": "value"}, entry.addr == null ? w("unknown") : "0x" + Number(entry.addr).toString(16)));
        tr.appendChild(el("td", {"class": "value"}, entry.len == null ? w("unknown") : String(entry.len)));
        tr.appendChild(el("td", null, w("desc." + entry.state)));
        dt.appendChild(tr);
      });
      box.appendChild(dt);
    }
    if (unlisted > 0) box.appendChild(el("p", {id: "unlisted"}, w("unlisted").replace("{count}", num(unlisted))));
    if (S.packed) { box.appendChild(vtraceFigure.slotList(s)); return; }  /* no avail or used ring */
    var cols = el("div", {"class": "cols"});
    cols.appendChild(slots(w("avail_ring"), s.avail, s.ring.last_avail_idx, s.ring["avail.idx"]));
    cols.appendChild(slots(w("used_ring"), s.used, s.ring.last_used_idx, s.ring["used.idx"]));
    box.appendChild(cols);
  }
  function slots(title, ring, from, to) {
    var part = el("div");
    part.appendChild(el("h3", null, title));
    var list = [];
    for (var idx = from; idx < to && list.length < 16; idx++) list.push("[" + mod(idx, Q) + "]=" + (ring[mod(idx, Q)] < 0 ? w("unknown") : ring[mod(idx, Q)]));
    part.appendChild(el("p", {"class": "mono"}, list.length ? list.join(" ") : w("none")));
    return part;
  }

  /* -- counters ------------------------------------------------------------------------- */
  function showCounters(step, s) {
    var box = document.getElementById("counters");
    box.textContent = "";
    var dl = el("dl"), changed = {}, pairs = s.pairs ? S.queues : [];
    for (var i = S.stepStarts[step]; i < S.stepEnd(step); i++) Object.assign(changed, counted(i));
    if (pairs.length) box.appendChild(el("p", {id: "per-queue"}, fill(w("counters.per_queue"), {queues: pairs.join(" | ")})));
    D.counters.forEach(function (name) {
      var mark = changed[name] ? "● " : "";
      var each = pairs.map(function (q) { return num(s.pairs[q].counters[name]); }).join(" | ");
      dl.appendChild(el("dt", null, w("counter." + name)));
      dl.appendChild(el("dd", {"data-counter": name}, mark + num(s.counters[name]) +
                        (name === "frames" && D.frames ? " / " + num(D.frames) : "") +
                        (pairs.length ? " (" + each + ")" : "")));
    });
    box.appendChild(dl);
  }

  /* -- the scrubber and its markers ----------------------------------------------------- */
  var MARKS = [["kick", "K"], ["exit", "X"], ["irq", "I"], ["suppressed", "S"]];
  function drawMarks() {
    var canvas = document.getElementById("marks"), ratio = window.devicePixelRatio || 1;
    var width = canvas.clientWidth, height = 36;
    canvas.width = Math.max(1, Math.round(width * ratio)); canvas.height = Math.round(height * ratio);
    var g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    var style = getComputedStyle(document.documentElement);
    var colours = {kick: style.getPropertyValue("--blue"), exit: style.getPropertyValue("--red"),
                   irq: style.getPropertyValue("--orange"), suppressed: style.getPropertyValue("--note")};
    var left = 14, span = Math.max(1, width - left - 2);
    g.font = "9px monospace";
    MARKS.forEach(function (mark, lane) {
      var y = lane * 9;
      g.fillStyle = style.getPropertyValue("--muted");
      g.fillText(mark[1], 2, y + 8);
      g.fillStyle = colours[mark[0]];
      var last = -1;
      var steps = S.steps;
      marks[mark[0]].forEach(function (i) {
        var x = Math.round(left + (steps > 1 ? S.stepOf(i) / (steps - 1) : 0) * span);
        if (x === last) return;
        last = x;
        g.fillRect(x, y + 1, 1.5, 7);
      });
    });
  }
  function cursorAt(step) {
    var canvas = document.getElementById("marks"), width = canvas.clientWidth, left = 14;
    var x = left + (S.steps > 1 ? step / (S.steps - 1) : 0) * Math.max(1, width - left - 2);
    document.getElementById("cursor").style.left = (x - 1) + "px";
  }
  function legendOfMarks() {
    var list = document.getElementById("marks-legend");
    list.textContent = "";
    MARKS.forEach(function (mark) {
      var item = el("li");
      item.appendChild(el("b", null, mark[1]));
      item.appendChild(document.createTextNode(" " + w("marker." + mark[0]) + " (" + num(marks[mark[0]].length) + ")"));
      list.appendChild(item);
    });
  }

  /* -- the set-up's objects: what exists after the step, on each side of the boundary -- */
  var madeAt = (D.objects || []).map(function (row) { return row[0]; });
  function showObjects(first, last) {
    var panel = document.getElementById("objects-panel"), box = document.getElementById("objects");
    if (!madeAt.length) return;
    panel.hidden = false;
    box.textContent = "";
    var r = S.bisect(madeAt, last), sides = r < 0 ? null : D.objects[r][1][lang];
    (sides || D.objects[0][1][lang].map(function (side) { return [side[0], []]; })).forEach(function (side) {
      var line = el("p", {"class": "side"});
      line.appendChild(el("b", null, side[0]));
      line.appendChild(document.createTextNode(" " + (side[1].length ? side[1].join(" · ") : "—")));
      box.appendChild(line);
    });
    if (r >= 0 && D.objects[r][0] >= first) {
      D.objects[r][2][lang].forEach(function (said) { box.appendChild(el("p", {"class": "made"}, said)); });
    }
  }

  return {w: w, fill: fill, num: num, el: el, li: li, langs: LANGS, showObjects: showObjects,
          lang: function () { return lang; }, setLang: function (chosen) { lang = chosen; },
          drawHeads: drawHeads, drawOverview: drawOverview, drawMarks: drawMarks,
          cursorAt: cursorAt, legendOfMarks: legendOfMarks, showRow: showRow,
          showOverview: showOverview, showStep: showStep, showRing: showRing,
          showCounters: showCounters, setScale: setScale,
          folded: function () { return folding; },
          fold: function (on) { folding = on; shownPage = -1; }};
})(vtraceStream);
