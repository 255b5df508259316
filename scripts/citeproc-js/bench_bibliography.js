#!/usr/bin/env node
// Time citeproc-js on a bibliography: engine build + updateItems + makeBibliography, in one
// process (what `exporter cite --mode bibliography` does).  Used by bench/bench_cite.py.
// Usage: node bench_bibliography.js RECORDS.json STYLE.csl LOCALE.xml
"use strict";
const t0 = process.hrtime.bigint();
const fs = require("fs");
const CSL = require("citeproc");
const [recordsPath, stylePath, localePath] = process.argv.slice(2);
const records = JSON.parse(fs.readFileSync(recordsPath, "utf8"));
const byId = new Map(records.map((r) => [r.id, r]));
const sys = {
  retrieveLocale: () => fs.readFileSync(localePath, "utf8"),
  retrieveItem: (id) => byId.get(id),
};
const t1 = process.hrtime.bigint();
const engine = new CSL.Engine(sys, fs.readFileSync(stylePath, "utf8"), "en-US", true);
engine.setOutputFormat("text");
engine.updateItems(records.map((r) => r.id));
const out = engine.makeBibliography()[1];
const t2 = process.hrtime.bigint();
const again = engine.makeBibliography()[1];
const t3 = process.hrtime.bigint();
console.log(JSON.stringify({
  entries: out.length,
  load_ms: Number(t1 - t0) / 1e6,
  build_and_format_ms: Number(t2 - t1) / 1e6,
  warm_ms: Number(t3 - t2) / 1e6,
  identical_again: JSON.stringify(out) === JSON.stringify(again),
}));
