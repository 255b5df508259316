#!/usr/bin/env node
// et-al-subsequent goldens: citeproc-js's citations of records with one to six authors, cited
// again across citations, in styles that set et-al-subsequent-min / -use-first.
// Usage: node make_etal_goldens.js INPUTS.json OUT.json (INPUTS from etal_inputs.py).
// OUT holds the records, the citations and, per style and locale, the text of every citation
// as notes (noteIndex 1, 2, ...) and as in-text citations (noteIndex 0).
"use strict";

const fs = require("fs");
const CSL = require("citeproc");

function run(styleXml, locales, lang, records, clusters, note) {
  const byId = new Map(records.map((r) => [r.id, r]));
  const sys = {
    retrieveLocale: (l) => (locales[l] ? fs.readFileSync(locales[l], "utf8") : false),
    retrieveItem: (id) => JSON.parse(JSON.stringify(byId.get(id))),
  };
  const engine = new CSL.Engine(sys, styleXml, lang, true);
  engine.setOutputFormat("text");
  const cites = clusters.map((items, n) => ({
    citationID: "c" + (n + 1),
    citationItems: items.map((c) => Object.assign({}, c)),
    properties: { noteIndex: note ? n + 1 : 0 },
  }));
  return engine.rebuildProcessorState(cites, "text").map((row) => row[2]);
}

function main() {
  const [inputsPath, outPath] = process.argv.slice(2);
  const inputs = JSON.parse(fs.readFileSync(inputsPath, "utf8"));
  const out = { processor: "citeproc-js " + require("citeproc/package.json").version,
    records: inputs.records, clusters: inputs.clusters, outputs: {} };
  for (const [style, stylePath] of Object.entries(inputs.styles)) {
    const xml = fs.readFileSync(stylePath, "utf8");
    for (const lang of Object.keys(inputs.locales)) {
      out.outputs[`${style}--${lang}`] = {
        note: run(xml, inputs.locales, lang, inputs.records, inputs.clusters, true),
        "in-text": run(xml, inputs.locales, lang, inputs.records, inputs.clusters, false),
      };
    }
  }
  fs.writeFileSync(outPath, JSON.stringify(out, null, 1) + "\n");
  console.log(`wrote ${outPath}`);
}

main();
