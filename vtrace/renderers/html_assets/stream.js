/* vtrace player, part 1 of 4: the stream embedded in the page, decoded (the layout is in
   vtrace/renderers/html_data.py), cut into steps, frames and diagram pages, and the ring,
   descriptors and counters at any event, folded from the start with a saved state every CHECK
   events. A step is what the terminal's step mode calls one: a call and the state writes,
   returns and notes after it, so step N is the same moment on every surface. */
var vtraceStream = (function () {
  "use strict";
  var D = JSON.parse(document.getElementById("vtrace-data").textContent);
  var PAGE = 400;             /* most rows the diagram draws at once */
  var CHECK = 512;            /* a saved ring state every CHECK steps */

  /* -- decoding the columns ------------------------------------------------------------- */
  var E = D.events, n = E.c.length;
  /* with several queue pairs, each event's detail.queue + 1 (0: none), and the pairs seen */
  var queued = E.q || null, queues = [];
  if (queued) {
    for (var e = 0; e < n; e++) if (queued[e] && queues.indexOf(queued[e] - 1) < 0) queues.push(queued[e] - 1);
    if (queues.indexOf(0) < 0) queues.push(0);
    queues.sort(function (a, b) { return a - b; });
  }
  function queueOf(i) { return queued ? queued[i] - 1 : -1; }
  var comboOf = new Int32Array(n), frameOf = new Int32Array(n), timeOf = new Float64Array(n);
  /* The numbers an event fills into its words and ring change (null for none): each row of
     D.nums adds to the numbers of the previous event with the same words. */
  var numbersOf = new Array(n);
  (function decode() {
    var newest = -1, t = 0, nextCombo = 0, last = {};
    var zero = D.nums.map(function (d) { return d.every(function (x) { return x === 0; }); });
    for (var i = 0; i < n; i++) {
      var c = E.f[i], f = c === 0 ? -1 : (c > 0 ? newest + 2 - c : -c - 1);
      frameOf[i] = f;
      if (f > newest) newest = f;
      t += E.t[i]; timeOf[i] = t;
      c = E.c[i]; c = comboOf[i] = c === 0 ? nextCombo++ : c - 1;
      var combo = D.combos[c], r = combo[3], v = null;
      if (r) {
        var says = combo[1], before = last[says], d = D.nums[r];
        if (before && zero[r]) v = before;  /* the same numbers: shared, not copied */
        else {
          v = new Array(d.length);
          for (var k = 0; k < d.length; k++) v[k] = (before ? before[k] : 0) + d[k];
        }
        last[says] = v;
      }
      numbersOf[i] = v;
    }
  })();
  D.events = null;
  var NL = D.langs.length;
  var MARK = /\u27e6(\d+)\u27e7/g;
  function shapeIndex(i) { return D.combos[comboOf[i]][0]; }
  function shape(i) { return D.shapes[D.combos[comboOf[i]][0]]; }
  function place(i) { return D.places[shape(i)[0]]; }
  function kind(i) { return D.kinds[shape(i)[1]]; }
  function sayRow(i) { return D.says[D.combos[comboOf[i]][1]]; }
  /* what: 0 the arrow's label, 1 the decision, 2 the diagram's note; templates get the
     event's numbers in place of their marks. */
  function sayText(i, what, L) {
    var text = D.strings[sayRow(i)[what * NL + L]], v = numbersOf[i];
    return v && text.indexOf("\u27e6") >= 0 ?
      text.replace(MARK, function (m, k) { return String(v[+k]); }) : text;
  }
  function counted(i) { return D.counts[D.combos[comboOf[i]][4]]; }
  function descriptor(i) {
    var row = sayRow(i), desc = row[3 * NL], slots = row[3 * NL + 1], v = numbersOf[i];
    if (!desc || !slots) return desc;
    return desc.map(function (field, j) { return slots[j] < 0 ? field : v[slots[j]]; });
  }
  function ringChange(i) { return D.rings[D.combos[comboOf[i]][2]]; }

  /* Step, frame and diagram page starts (pages are rounds of the batch, cut at PAGE rows, never
     inside a step), markers. */
  var stepStarts = [], stepCalls = [], frameStarts = [], pageStarts = [],
      marks = {kick: [], exit: [], irq: [], suppressed: []};
  (function index() {
    var newest = -1, lead = -1, inPage = 0, roundDue = false, sawCall = false;
    for (var i = 0; i < n; i++) {
      /* Events before the first call belong to its step, as the terminal feeds them. */
      var f = frameOf[i], isCall = kind(i) === "call", startsStep = i === 0 || (isCall && sawCall);
      if (startsStep) { stepStarts.push(i); stepCalls.push(i); }
      if (isCall && !sawCall) stepCalls[0] = i;
      if (isCall) sawCall = true;
      if (f > newest) {
        newest = f; frameStarts.push(i);
        if (lead < 0 || f - lead >= D.batch) { lead = f; roundDue = true; }
      }
      if (i === 0 || (startsStep && (roundDue || inPage >= PAGE))) {
        pageStarts.push(i); inPage = 0; roundDue = false;
      }
      inPage++;
      var count = counted(i);
      if (count.kicks) marks.kick.push(i);
      if (count.vm_exits) marks.exit.push(i);
      if (count.interrupts) marks.irq.push(i);
      if (count.kicks_suppressed || count.interrupts_suppressed || count.kicks_deferred ||
          kind(i) === "note") marks.suppressed.push(i);
    }
    pageStarts.push(n);
  })();
  var pages = pageStarts.length - 1;
  /* Pages with the same steps (the same shapes in the same order) fold into one group. */
  var groupFirst = new Int32Array(pages), groupLast = new Int32Array(pages);
  (function fold() {
    var previous = null, first = 0;
    function signature(p) {
      var h = pageStarts[p + 1] - pageStarts[p];
      for (var i = pageStarts[p]; i < pageStarts[p + 1]; i++) h = (Math.imul(h, 31) + shapeIndex(i) + 1) | 0;
      return h + ":" + (pageStarts[p + 1] - pageStarts[p]);
    }
    for (var p = 0; p < pages; p++) {
      var s = signature(p);
      if (s !== previous) first = p;
      groupFirst[p] = first; previous = s;
    }
    var last = pages - 1;
    for (p = pages - 1; p >= 0; p--) { groupLast[p] = last; if (groupFirst[p] === p) last = p - 1; }
  })();
  function bisect(list, i) { /* index of the last entry <= i, or -1 */
    var lo = 0, hi = list.length - 1, found = -1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (list[mid] <= i) { found = mid; lo = mid + 1; } else hi = mid - 1; }
    return found;
  }

  /* -- ring, descriptors and counters at any step --------------------------------------- */
  var Q = D.queueSize;
  /* A state is one ring with the counters; with several queue pairs it also holds each
     pair's (pairs[q]: its ring and its counters), and its own ring is unused. */
  function freshState() {
    var counters = {};
    D.counters.forEach(function (name) { counters[name] = 0; });
    var s = {at: -1, ring: Object.assign({}, D.initial), desc: {}, avail: new Int32Array(Q || 1).fill(-1),
             used: new Int32Array(Q || 1).fill(-1), counters: counters, slots: []};
    if (queued) {
      s.pairs = {};
      queues.forEach(function (q) { var one = copyState(s); delete one.pairs; s.pairs[q] = one; });
    }
    return s;
  }
  function copyState(s) {
    var desc = {};
    for (var h in s.desc) desc[h] = Object.assign({}, s.desc[h]);
    var copy = {at: s.at, ring: Object.assign({}, s.ring), desc: desc, avail: s.avail.slice(),
                used: s.used.slice(), counters: Object.assign({}, s.counters),
                slots: s.slots.map(function (slot) { return Object.assign({}, slot); })};
    if (s.pairs) {
      copy.pairs = {};
      for (var q in s.pairs) copy.pairs[q] = copyState(s.pairs[q]);
    }
    return copy;
  }
  /* The ring of queue pair q in state s (the one ring with one pair). */
  function pair(s, q) { return s.pairs ? s.pairs[q] : s; }
  /* A packed ring's descriptor slots, as vtrace/renderers/ring_contents.py keeps them: the
     newest KEEP written, oldest first; a call acting on a buffer moves the oldest slot that
     holds its id from one state to the next. */
  var PACKED = !!D.packed, KEEP = 8;
  function slotOf(s, head, states) {
    for (var k = 0; k < s.slots.length; k++) {
      if (s.slots[k].id === head && states.indexOf(s.slots[k].state) >= 0) return s.slots[k];
    }
    return null;
  }
  function writeSlot(s, desc, i, state) {
    var number = s.ring.slot || 0;
    s.slots = s.slots.filter(function (old) { return old.slot !== number; });
    s.slots.push({slot: number, addr: desc[1], len: desc[2], id: desc[0], flags: s.ring["slot.flags"] || 0,
                  state: state, frame: frameOf[i], written: null});
    if (s.slots.length > KEEP) s.slots.shift();
  }
  function packedApply(s, action, desc, i, flagsChanged) {
    var head = desc ? desc[0] : null, slot;
    if (action === "add") writeSlot(s, desc, i, "avail");
    else if (action === "take") {
      slot = slotOf(s, head, ["avail"]);
      if (slot) slot.state = "device";
      else writeSlot(s, desc, i, "device");  /* posted in bulk: its slot is the one the device read */
    } else if (action === "use") {
      slot = slotOf(s, head, ["avail", "device"]);
      if (slot) { slot.state = "used"; slot.written = desc[2] == null ? 0 : desc[2]; }
    } else if (action === "free") {
      slot = slotOf(s, head, ["avail", "device", "used"]);
      if (slot) slot.state = "freed";
    }
    if (flagsChanged) {
      for (var k = 0; k < s.slots.length; k++) {
        if (s.slots[k].slot === (s.ring.slot || 0)) s.slots[k].flags = s.ring["slot.flags"];
      }
    }
  }
  function mod(a, b) { return ((a % b) + b) % b; }
  function apply(whole, i) {
    var change = ringChange(i), count = counted(i), desc = descriptor(i), v = numbersOf[i];
    var flagsChanged = false, q = queueOf(i);
    /* an event of no pair moves the first pair's ring, as the terminal's views do */
    var s = whole.pairs ? whole.pairs[q < 0 ? 0 : q] : whole;
    for (var c in count) if (c in whole.counters) whole.counters[c] += count[c];
    if (whole.pairs && q >= 0) for (c in count) if (c in s.counters) s.counters[c] += count[c];
    for (var k = 0; k < change.length; k++) {
      var part = change[k];
      s.ring[part[0]] = part[1] === "#" ? v[part[2]] : part[2];
      if (part[0] === "slot.flags") flagsChanged = true;
    }
    var action = place(i).desc;
    if (PACKED) packedApply(s, Q && desc && kind(i) === "call" ? action : null, desc, i, flagsChanged);
    if (Q && action && desc && kind(i) === "call") {
      var head = desc[0], entry = s.desc[head];
      if (action === "add") {
        s.desc[head] = {addr: desc[1], len: desc[2], state: "avail", frame: frameOf[i]};
        var shadow = s.ring.avail_idx_shadow || s.ring["avail.idx"];
        if (!PACKED) s.avail[mod(shadow - 1, Q)] = head;
      } else if (action === "take") {
        /* a buffer posted in bulk is named only when the device takes it */
        if (entry) entry.state = "device";
        else s.desc[head] = {addr: desc[1], len: desc[2], state: "device", frame: frameOf[i]};
      }
      else if (action === "use") {
        if (entry) entry.state = "used";
        if (!PACKED) s.used[mod(s.ring["used.idx"] - 1, Q)] = head;
      } else if (action === "free") delete s.desc[head];
    }
    whole.at = i;
  }
  var checkpoints = [];
  (function save() {
    var s = freshState();
    for (var i = 0; i < n; i++) {
      if (i % CHECK === 0) checkpoints.push(copyState(s));
      apply(s, i);
    }
  })();
  var state = null;
  function stateAt(i) {
    if (state && state.at <= i && i - state.at < CHECK) {
      while (state.at < i) apply(state, state.at + 1);
      return state;
    }
    state = copyState(checkpoints[Math.floor(i / CHECK)]);
    while (state.at < i) apply(state, state.at + 1);
    return state;
  }

  /* The step an event belongs to, and the events of step k: [stepStarts[k], stepEnd(k)). */
  function stepOf(i) { return Math.max(0, bisect(stepStarts, i)); }
  function stepEnd(k) { return k + 1 < stepStarts.length ? stepStarts[k + 1] : n; }
  /* The call a step is named after (its first event in a stream that starts without one). */
  function stepCall(k) { return stepCalls[k]; }
  /* The queue pair a step is on: its call's, else the step before's (0 first). */
  var stepQueue = new Int32Array(stepStarts.length);
  if (queued) {
    for (var k = 0, on = 0; k < stepStarts.length; k++) {
      if (queueOf(stepCalls[k]) >= 0) on = queueOf(stepCalls[k]);
      stepQueue[k] = on;
    }
  }

  return {D: D, n: n, frameOf: frameOf, timeOf: timeOf, shape: shape, place: place, kind: kind,
          text: sayText, counted: counted, descriptor: descriptor, ringChange: ringChange,
          stepStarts: stepStarts, steps: stepStarts.length, stepOf: stepOf, stepEnd: stepEnd,
          stepCall: stepCall, combo: function (i) { return D.combos[comboOf[i]]; },
          frameStarts: frameStarts, pageStarts: pageStarts, pages: pages, groupFirst: groupFirst,
          groupLast: groupLast, marks: marks, bisect: bisect, stateAt: stateAt, Q: Q, mod: mod,
          packed: PACKED, queues: queues, queueOf: queueOf, stepQueue: stepQueue, pair: pair};
})();
