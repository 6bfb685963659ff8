/* vtrace player, part 3 of 3: moving through the run (buttons, keys, scrubber, play at a
   speed, the #step=N permalink), the language and theme switches, and the legend. */
(function (S, V) {
  "use strict";
  var D = S.D, n = S.n, frameOf = S.frameOf, frameStarts = S.frameStarts,
      pageStarts = S.pageStarts, pages = S.pages, bisect = S.bisect;
  var w = V.w, fill = V.fill, num = V.num, el = V.el;
  var SPEEDS = [0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8];
  var BASE_MS = 700;          /* one step at 1x */

  /* -- moving ---------------------------------------------------------------------------- */
  var current = 0;
  function go(i) {
    if (!n) return;
    i = Math.max(0, Math.min(n - 1, i | 0));
    current = i;
    var s = S.stateAt(i);
    V.showRow(i); V.showOverview(i); V.showStep(i); V.showRing(i, s); V.showCounters(i, s);
    var scrub = document.getElementById("scrub");
    scrub.value = i + 1;
    scrub.setAttribute("aria-valuetext", fill(w("step_of"), {n: num(i + 1), total: num(n)}));
    V.cursorAt(i);
    var f = frameOf[i];
    document.getElementById("position").textContent = fill(w("step_of"), {n: num(i + 1), total: num(n)}) +
      " · " + (f >= 0 ? fill(w("frame_of"), {frame: f}) : w("no_frame"));
    var link = document.getElementById("permalink");
    link.setAttribute("href", "#step=" + (i + 1));
    document.getElementById("jump-to").value = i + 1;
    try { history.replaceState(null, "", "#step=" + (i + 1)); } catch (ignored) { /* some file:// setups refuse */ }
    document.body.setAttribute("data-step", String(i + 1));
  }
  function frameIndex(i) { return bisect(frameStarts, i); }
  function nextFrame() { var k = frameIndex(current); if (k + 1 < frameStarts.length) go(frameStarts[k + 1]); }
  function prevFrame() {
    var k = frameIndex(current);
    if (k < 0) return go(0);
    go(frameStarts[k] < current ? frameStarts[k] : (k > 0 ? frameStarts[k - 1] : 0));
  }
  function nextPage() { var p = bisect(pageStarts, current); if (p + 1 < pages) go(pageStarts[p + 1]); }
  function prevPage() {
    var p = bisect(pageStarts, current);
    go(pageStarts[p] < current ? pageStarts[p] : pageStarts[Math.max(0, p - 1)]);
  }

  var timer = null;
  function speed() { return SPEEDS[Number(document.getElementById("speed").value)] || 1; }
  function tick() {
    if (current >= n - 1) return pause();
    go(current + 1);
    timer = setTimeout(tick, BASE_MS / speed());
  }
  function play() {
    if (timer !== null) return;
    if (current >= n - 1) go(0);
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
  var KEYS = [["→", "key.next"], ["←", "key.prev"], ["Space", "key.play"], ["Home", "key.home"],
              ["End", "key.end"], ["PageUp", "key.pageup"], ["PageDown", "key.pagedown"],
              ["F", "key.frame"], ["?", "key.legend"]];
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
    go(Math.round(Math.max(0, Math.min(1, share)) * (n - 1)));
  });
  on("rows", "click", function (event) {
    var row = event.target.closest && event.target.closest(".row");
    if (row) go(Number(row.getAttribute("data-step")) - 1);
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
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target, tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    if (document.getElementById("legend").open && event.key !== "?") return;
    var handled = true;
    switch (event.key) {
      case "ArrowRight": go(current + 1); break;
      case "ArrowLeft": go(current - 1); break;
      case " ": if (tag === "BUTTON" || tag === "A") { handled = false; break; } toggle(); break;
      case "Home": go(0); break;
      case "End": go(n - 1); break;
      case "PageDown": nextPage(); break;
      case "PageUp": prevPage(); break;
      case "f": nextFrame(); break;
      case "F": prevFrame(); break;
      case "?": toggleLegend(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  var scrub = document.getElementById("scrub");
  scrub.max = String(Math.max(1, n));
  document.getElementById("jump-to").max = String(Math.max(1, n));
  translate();
  showSpeed();
  V.drawMarks();
  var start = stepFromHash();
  go(start === null ? 0 : start);
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  document.body.setAttribute("data-ready", "1");
})(vtraceStream, vtraceViews);
