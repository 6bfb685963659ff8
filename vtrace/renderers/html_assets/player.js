/* vtrace player, part 4 of 4: moving through the run by steps (buttons, clicker and keys,
   scrubber, play at a speed, the #step=N permalink), by meaning (the next kick, VM exit,
   interrupt, suppressed notification, frame or round; a function found by name), presentation
   mode, the language and theme switches, and the legend. */
(function (S, V, F) {
  "use strict";
  var D = S.D, n = S.n, frameOf = S.frameOf, frameStarts = S.frameStarts,
      pageStarts = S.pageStarts, pages = S.pages, bisect = S.bisect, marks = S.marks;
  var w = V.w, fill = V.fill, num = V.num, el = V.el;
  var SPEEDS = [0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8];
  var BASE_MS = 700;          /* one step at 1x */

  /* -- moving: `current` is a step (see part 1), shown at its last event ------------------ */
  var current = 0, steps = S.steps, stepStarts = S.stepStarts, stepOf = S.stepOf;
  /* With several queue pairs, a step shows its own pair's ring, or the pair `u` moved on to. */
  var queues = S.queues, onward = 0;
  function shownQueue(k) {
    if (!queues.length) return null;
    return queues[(queues.indexOf(S.stepQueue[k]) + onward) % queues.length];
  }
  function go(k) {
    if (!n) return;
    k = Math.max(0, Math.min(steps - 1, k | 0));
    if (k !== current) onward = 0;
    current = k;
    var first = stepStarts[k], last = S.stepEnd(k) - 1, s = S.stateAt(last), q = shownQueue(k);
    var ring = q === null ? s : S.pair(s, q);
    V.showRow(k); V.showOverview(S.stepCall(k), last); V.showStep(k); V.showRing(k, ring, q); V.showCounters(k, s);
    V.showObjects(first, last);
    F.show(k, ring, q !== null && q !== S.stepQueue[k]);
    var scrub = document.getElementById("scrub");
    scrub.value = k + 1;
    scrub.setAttribute("aria-valuetext", fill(w("step_of"), {n: num(k + 1), total: num(steps)}));
    V.cursorAt(k);
    var f = frameOf[first];
    document.getElementById("position").textContent = fill(w("step_of"), {n: num(k + 1), total: num(steps)}) +
      " · " + (f >= 0 ? fill(w("frame_of"), {frame: f}) : w("no_frame"));
    var link = document.getElementById("permalink");
    link.setAttribute("href", "#step=" + (k + 1));
    document.getElementById("jump-to").value = k + 1;
    try { history.replaceState(null, "", "#step=" + (k + 1) + (presenting() ? "&present" : "")); }
    catch (ignored) { /* some file:// setups refuse */ }
    document.body.setAttribute("data-step", String(k + 1));
    document.body.setAttribute("data-event", String(first + 1));
  }
  function goEvent(i) { go(stepOf(i)); }
  /* The next (or previous) entry of a sorted list of event indices outside the current step. */
  function seek(list, forward) {
    var first = stepStarts[current], end = S.stepEnd(current), k = bisect(list, forward ? end - 1 : first - 1);
    var at = forward ? k + 1 : k;
    if (at >= 0 && at < list.length) { goEvent(list[at]); return true; }
    return false;
  }
  function nextFrame() { seek(frameStarts, true); }
  function prevFrame() {
    var k = bisect(frameStarts, stepStarts[current]);
    if (k >= 0 && frameStarts[k] < stepStarts[current]) return goEvent(frameStarts[k]);
    if (k > 0) return goEvent(frameStarts[k - 1]);
    go(0);
  }
  function nextPage() { seek(pageStarts.slice(0, pages), true); }
  function prevPage() {
    var p = bisect(pageStarts, stepStarts[current]);
    goEvent(pageStarts[p] < stepStarts[current] ? pageStarts[p] : pageStarts[Math.max(0, p - 1)]);
  }
  /* Find a function or file, from the step after this one, wrapping round; false if none. */
  function find(text, forward) {
    var needle = text.trim().toLowerCase();
    if (!needle) return false;
    for (var step = 1; step <= steps; step++) {
      var k = ((forward ? current + step : current - step) % steps + steps) % steps;
      var pl = S.place(S.stepCall(k));
      if (pl.function.toLowerCase().indexOf(needle) >= 0 || pl.where.en.toLowerCase().indexOf(needle) >= 0) {
        go(k); return true;
      }
    }
    return false;
  }

  var timer = null;
  function speed() { return SPEEDS[Number(document.getElementById("speed").value)] || 1; }
  function tick() {
    if (current >= steps - 1) return pause();
    go(current + 1);
    timer = setTimeout(tick, BASE_MS / speed());
  }
  function play() {
    if (timer !== null) return;
    if (current >= steps - 1) go(0);
    var button = document.getElementById("play");
    button.setAttribute("aria-pressed", "true"); button.textContent = "❚❚";
    button.setAttribute("aria-label", w("pause")); button.title = w("pause");
    document.getElementById("step").setAttribute("aria-live", "off");
    timer = setTimeout(tick, BASE_MS / speed());
  }
  function pause() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    var button = document.getElementById("play");
    button.setAttribute("aria-pressed", "false"); button.textContent = "▶";
    button.setAttribute("aria-label", w("play")); button.title = w("play");
    document.getElementById("step").setAttribute("aria-live", "polite");
  }
  function toggle() { if (timer === null) play(); else pause(); }
  function showSpeed() {
    document.getElementById("speed-value").textContent = speed() + "×";
    document.getElementById("speed").setAttribute("aria-valuetext", speed() + "×");
  }

  /* -- words, legend, theme --------------------------------------------------------------- */
  var KEYS = [["→ PageDown Space", "key.next"], ["← PageUp", "key.prev"], ["Enter", "key.play"],
              ["Home", "key.home"], ["End", "key.end"], ["f", "key.frame"], ["r", "key.round"],
              ["k", "key.kick"], ["x", "key.exit"], ["i", "key.irq"], ["s", "key.suppressed"],
              ["/", "key.find"], ["g", "key.goto"], ["p", "key.present"], ["v", "key.figure"],
              ["z", "key.fold"]].concat(S.queues.length ? [["u", "key.queue"]] : [], [["?", "key.legend"]]);
  function translate() {
    document.documentElement.lang = V.lang();
    document.querySelectorAll("[data-w]").forEach(function (node) { node.textContent = w(node.getAttribute("data-w")); });
    document.querySelectorAll("[data-wa]").forEach(function (node) { node.setAttribute("aria-label", w(node.getAttribute("data-wa"))); });
    document.querySelectorAll("[data-wt]").forEach(function (node) { node.title = w(node.getAttribute("data-wt")); });
    var title = D.title[V.lang()] || D.title.en;
    document.getElementById("run-title").textContent = title;
    document.title = w("title") + " · " + title;
    var keys = document.getElementById("legend-keys");
    keys.textContent = "";
    KEYS.forEach(function (key) {
      var dt = el("dt"); dt.appendChild(el("kbd", null, key[0])); keys.appendChild(dt);
      keys.appendChild(el("dd", null, w(key[1])));
    });
    var looks = document.getElementById("legend-looks");
    looks.textContent = "";
    ["look.exit", "look.state", "look.dashed", "look.note"].forEach(function (key) { looks.appendChild(el("li", null, w(key))); });
    V.legendOfMarks();
    V.drawHeads();
    V.drawOverview();
    if (timer !== null) { var b = document.getElementById("play"); b.setAttribute("aria-label", w("pause")); b.title = w("pause"); }
  }
  function toggleLegend() {
    var dialog = document.getElementById("legend");
    if (dialog.open) dialog.close(); else dialog.showModal();
  }
  /* -- presentation mode: type for the back row, the whole path in view -------------------- */
  function presenting() { return document.body.classList.contains("present"); }
  function present(on) {
    document.body.classList.toggle("present", on);
    document.getElementById("present").setAttribute("aria-pressed", on ? "true" : "false");
    V.setScale(on ? 1.4 : 1);
    V.drawHeads(); V.drawMarks(); go(current);
  }
  function toggleTheme() {
    var root = document.documentElement, now = root.getAttribute("data-theme");
    if (!now) now = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    root.setAttribute("data-theme", now === "dark" ? "light" : "dark");
    V.drawMarks();
  }

  /* -- wiring ----------------------------------------------------------------------------- */
  function stepFromHash() {
    var match = /(?:^#|&)step=(\d+)/.exec(location.hash);
    return match ? Number(match[1]) - 1 : null;
  }
  function on(id, type, handler) { document.getElementById(id).addEventListener(type, handler); }
  on("next-step", "click", function () { go(current + 1); });
  on("prev-step", "click", function () { go(current - 1); });
  on("next-frame", "click", nextFrame);
  on("prev-frame", "click", prevFrame);
  on("play", "click", toggle);
  on("speed", "input", showSpeed);
  on("jump", "submit", function (event) { event.preventDefault(); go(Number(document.getElementById("jump-to").value) - 1); });
  on("scrub", "input", function () { go(Number(document.getElementById("scrub").value) - 1); });
  on("marks", "click", function (event) {
    var canvas = document.getElementById("marks"), box = canvas.getBoundingClientRect(), left = 14;
    var share = (event.clientX - box.left - left) / Math.max(1, box.width - left - 2);
    go(Math.round(Math.max(0, Math.min(1, share)) * (steps - 1)));
  });
  on("rows", "click", function (event) {
    var row = event.target.closest && event.target.closest(".row");
    if (row) goEvent(Number(row.getAttribute("data-event")) - 1);
  });
  on("lang", "click", function () {
    V.setLang(V.langs[(V.li() + 1) % V.langs.length]); translate(); go(current);
  });
  on("theme", "click", toggleTheme);
  on("legend-button", "click", toggleLegend);
  on("legend-close", "click", function () { document.getElementById("legend").close(); });
  on("permalink", "click", function (event) { event.preventDefault(); go(current); });
  window.addEventListener("hashchange", function () { var i = stepFromHash(); if (i !== null && i !== current) go(i); });
  window.addEventListener("resize", function () { V.drawMarks(); V.cursorAt(current); });
  on("present", "click", function () { present(!presenting()); });
  on("figure-button", "click", function () { F.toggle(); go(current); });
  /* Folding changes which rows the diagram draws, never a step's number. */
  function fold(on) {
    V.fold(on);
    document.getElementById("fold").setAttribute("aria-pressed", on ? "true" : "false");
    go(current);
  }
  on("fold", "click", function () { fold(!V.folded()); });
  on("find", "submit", function (event) {
    event.preventDefault();
    var box = document.getElementById("find-text"), found = find(box.value, true);
    document.getElementById("find-none").textContent = found || !box.value.trim() ? "" : w("not_found");
  });
  /* "Next X": a marker lane's events; Shift goes back. */
  var SEEK = {k: marks.kick, x: marks.exit, i: marks.irq, s: marks.suppressed};
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target, tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (document.getElementById("legend").open && event.key !== "?") return;
    var handled = true, lower = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    switch (event.key) {
      case "ArrowRight": case "PageDown": go(current + 1); break;
      case "ArrowLeft": case "PageUp": go(current - 1); break;
      case " ": if (tag === "BUTTON" || tag === "A") { handled = false; break; } go(current + 1); break;
      case "Enter": if (tag === "BUTTON" || tag === "A") { handled = false; break; } toggle(); break;
      case "Home": go(0); break;
      case "End": go(steps - 1); break;
      case "f": nextFrame(); break;
      case "F": prevFrame(); break;
      case "r": nextPage(); break;
      case "R": prevPage(); break;
      case "/": document.getElementById("find-text").focus(); break;
      case "g": document.getElementById("jump-to").focus(); document.getElementById("jump-to").select(); break;
      case "p": case "P": present(!presenting()); break;
      case "v": case "V": F.toggle(); go(current); break;
      case "u": case "U": if (queues.length) { onward++; go(current); } else handled = false; break;
      case "z": case "Z": fold(!V.folded()); break;
      case "?": toggleLegend(); break;
      default:
        if (SEEK[lower]) seek(SEEK[lower], event.key === lower); else handled = false;
    }
    if (handled) event.preventDefault();
  });

  var scrub = document.getElementById("scrub");
  scrub.max = String(Math.max(1, steps));
  document.getElementById("jump-to").max = String(Math.max(1, steps));
  var functions = document.getElementById("functions"), seen = {};
  for (var k = 0; k < steps; k++) {
    var name = S.place(S.stepCall(k)).function;
    if (!seen[name]) { seen[name] = true; functions.appendChild(V.el("option", {value: name})); }
  }
  translate();
  showSpeed();
  V.drawMarks();
  var start = stepFromHash();
  if (/(?:^[#?]|&)present\b/.test(location.hash) || /(?:^\?|&)present\b/.test(location.search)) present(true);
  go(start === null ? 0 : start);
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  document.body.setAttribute("data-ready", "1");
})(vtraceStream, vtraceViews, vtraceFigure);
