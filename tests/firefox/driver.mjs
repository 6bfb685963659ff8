// Drives Debian's Firefox ESR for tests/test_html_firefox.py, over WebDriver BiDi with
// puppeteer-core. One JSON command a line on stdin, one JSON answer a line on stdout:
// {"ok": value} or {"error": message}. The first line out says the browser is up; the end of
// the input closes it.
//
//   node driver.mjs FIREFOX PROFILE_DIR
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

const [firefox, profile] = process.argv.slice(2);
const TIMEOUT_MS = 20000;

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: firefox,
  userDataDir: profile,
  headless: true,
  protocolTimeout: TIMEOUT_MS,
  defaultViewport: { width: 1280, height: 720 },
});

let page = null;
let seen = { requests: [], errors: [] };

// What the player shows: read in one go, so each answer is one consistent moment.
function shown() {
  const text = (selector) => { const node = document.querySelector(selector); return node ? node.innerText : null; };
  const attr = (selector, name) => { const node = document.querySelector(selector); return node ? node.getAttribute(name) : null; };
  const ring = {};
  document.querySelectorAll("#ring .field").forEach((cell) => {
    ring[cell.getAttribute("data-field")] = cell.querySelector(".value").innerText;
  });
  const counters = {};
  document.querySelectorAll("#counters dd").forEach((cell) => { counters[cell.getAttribute("data-counter")] = cell.innerText; });
  const boxes = {};
  for (const selector of ["#seq", "#overview", "#step", "#ring-panel", "#counter-panel", "#scrub", "#marks",
                          ".row.current", ".controls"]) {
    const node = document.querySelector(selector);
    if (node) { const box = node.getBoundingClientRect(); boxes[selector] = [box.x, box.y, box.width, box.height]; }
  }
  return {
    step: Number(document.body.getAttribute("data-step")),
    row: Number(attr(".row.current", "data-step")),
    function: text("#step h3"),
    text: text("#step"),
    ring,
    changed: [...document.querySelectorAll("#ring .field.changed")].map((cell) => cell.getAttribute("data-field")),
    descriptorChanged: document.querySelector("#descriptors tr.changed") !== null,
    counters,
    playing: attr("#play", "aria-pressed"),
    lang: document.documentElement.lang,
    theme: document.documentElement.getAttribute("data-theme"),
    legend: document.getElementById("legend").open,
    diagramTitle: text("#diagram-title"),
    runTitle: text("#run-title"),
    title: document.title,
    hash: location.hash,
    permalink: attr("#permalink", "href"),
    injected: document.querySelector("#step img, #rows img, #step script") !== null,
    pwned: window.pwned === undefined ? null : window.pwned,
    boxes,
    viewport: [window.innerWidth, window.innerHeight],
    present: document.body.classList.contains("present"),
    heads: attr("#heads", "aria-label"),
    seqFits: (() => { const seq = document.getElementById("seq"); return seq.scrollWidth <= seq.clientWidth; })(),
    decision: (() => {
      const node = document.querySelector("#step .decision");
      if (!node) return null;
      const box = node.getBoundingClientRect();
      return [box.y, box.height, node.scrollWidth <= node.clientWidth];
    })(),
    counterLines: [...document.querySelectorAll("#counters dd")].map((cell) => cell.getClientRects().length),
    figureTexts: [...document.querySelectorAll("#figure text")].map((node) => node.textContent),
    ovRing: (() => { const node = document.querySelector("#ov-ring"); return node ? node.textContent : null; })(),
  };
}

async function press(combo) {
  const keys = combo.split("+");
  for (const key of keys.slice(0, -1)) await page.keyboard.down(key);
  await page.keyboard.press(keys[keys.length - 1]);
  for (const key of keys.slice(0, -1).reverse()) await page.keyboard.up(key);
}

async function open(url) {
  if (page) await page.close();
  seen = { requests: [], errors: [] };
  page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on("pageerror", (error) => seen.errors.push(String(error)));
  // Firefox reports no file:// loads over BiDi; anything else is recorded and refused, but
  // data: URLs, which never leave the page (Firefox draws list bullets with a font of its own).
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (request.url().startsWith("data:")) return request.continue();
    seen.requests.push(request.url());
    return request.abort();
  });
  await page.goto(url);
  await page.waitForSelector("body[data-ready='1']");
}

const commands = {
  open: ({ url }) => open(url),
  press: ({ key }) => press(key),
  click: ({ selector }) => page.click(selector),
  fill: ({ selector, value }) => page.locator(selector).fill(value),
  focus: ({ selector }) => page.focus(selector),
  shown: () => page.evaluate(shown),
  seen: () => seen,
  // Scroll the element's column to it; where it is then.
  reveal: ({ selector }) => page.$eval(selector, (node) => {
    node.scrollIntoView({ block: "nearest" });
    const box = node.getBoundingClientRect();
    return [box.x, box.y, box.width, box.height];
  }),
  screenshot: ({ path }) => page.screenshot({ path }),
  wait: ({ ms }) => new Promise((resolve) => setTimeout(resolve, ms)),
};

process.stdout.write(JSON.stringify({ ok: { pid: browser.process().pid, version: await browser.version() } }) + "\n");
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  let answer;
  try {
    const value = await commands[command.do](command);
    answer = { ok: value === undefined ? null : value };
  } catch (error) {
    answer = { error: `${command.do}: ${error.message}` };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await browser.close();
