#!/usr/bin/env node
// citeproc-js kept warm: build the engine once, then for each line read on stdin (a JSON list of
// ids) update the items and make the bibliography, answering one JSON line with the entry count.
// Used by bench/bench_service.py as the reference for GET /v1/citations.
// Usage: node warm_bibliography.js RECORDS.json STYLE.csl LOCALE.xml
"use strict";
const fs = require("fs");
const readline = require("readline");
const CSL = require("citeproc");
const [recordsPath, stylePath, localePath] = process.argv.slice(2);
const records = JSON.parse(fs.readFileSync(recordsPath, "utf8"));
const byId = new Map(records.map((r) => [r.id, r]));
const sys = {
  retrieveLocale: () => fs.readFileSync(localePath, "utf8"),
  retrieveItem: (id) => byId.get(id),
};
const engine = new CSL.Engine(sys, fs.readFileSync(stylePath, "utf8"), "en-US", true);
engine.setOutputFormat("text");
console.log(JSON.stringify({ ready: true }));
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const ids = JSON.parse(line);
  engine.updateItems(ids);
  const out = engine.makeBibliography()[1];
  console.log(JSON.stringify({ entries: out.length, chars: out.join("").length }));
});
