// Loads a Chrome trace in Chrome DevTools' own trace engine (@paulirish/trace_engine) for
// tests/test_chrome_devtools.py and prints, as one JSON line, what the engine made of it:
// the flow start events in the file, and for each flow the engine bound, how many trace
// events it joined. A flow whose ends did not bind to slices is dropped by the engine.
//
//   node driver.mjs TRACE.json
import { analyzeTrace } from "@paulirish/trace_engine/analyze-trace.mjs";
import fs from "node:fs";

const [path] = process.argv.slice(2);
const document = JSON.parse(fs.readFileSync(path, "utf8"));
const starts = document.traceEvents.filter((event) => event.ph === "s").length;
const { parsedTrace } = await analyzeTrace(path);
const flows = parsedTrace.data.Flows.flows.map((flow) => flow.length);
const slices = parsedTrace.data.Flows.flows.map((flow) => flow.map((event) => event.args?.seq));
console.log(JSON.stringify({ starts, flows, slices }));
