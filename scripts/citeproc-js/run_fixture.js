#!/usr/bin/env node
// Run CSL test-suite fixtures through citeproc-js, as its own test runner does, and print what it
// prints: the reference for a fixture judged against citeproc-js's output (tests/csl_suite.py,
// JUDGED) rather than an expected result older than the current locales.
//
// Usage: node run_fixture.js LOCALES_DIR FIXTURE.txt ...
//   LOCALES_DIR holds locales-XX.xml (the pinned locales: citeproc-py's, as for the goldens).
// Prints one JSON object: {"<fixture name>": {"processor": "citeproc-js X", "result": "..."}}.
// Handles the fixtures' MODE citation (CITATIONS, CITATION-ITEMS or every record in one
// citation) and bibliography, in HTML, with the style's default locale (else en-US).
"use strict";

const fs = require("fs");
const path = require("path");
const CSL = require("citeproc");

const SECTION = />>=+ ([A-Z-]+) =+>>\n([\s\S]*?)\n<<=+ \1 =+<</g;

function sections(text) {
  const out = {};
  for (const m of text.matchAll(SECTION)) out[m[1]] = m[2];
  return out;
}

function run(file, localesDir) {
  const s = sections(fs.readFileSync(file, "utf8"));
  const records = JSON.parse(s.INPUT);
  const byId = new Map(records.map((r) => [String(r.id), r]));
  const sys = {
    retrieveLocale: (lang) => {
      const p = path.join(localesDir, `locales-${lang}.xml`);
      return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : false;
    },
    retrieveItem: (id) => JSON.parse(JSON.stringify(byId.get(String(id)))),
  };
  const engine = new CSL.Engine(sys, s.CSL);
  engine.setOutputFormat("html");
  const ids = [...new Set(records.map((r) => String(r.id)))];
  engine.updateItems(ids);
  const mode = s.MODE.trim();
  if (mode === "citation") {
    const out = [];
    if (s.CITATIONS) {
      // the last state of each citation, in document order (markers left out)
      const byCitation = new Map();
      for (const [citation, pre, post] of JSON.parse(s.CITATIONS)) {
        const [, updates] = engine.processCitationCluster(citation, pre, post);
        for (const [index, text] of updates) byCitation.set(index, text);
      }
      for (const index of [...byCitation.keys()].sort((a, b) => a - b)) out.push(byCitation.get(index));
    } else {
      const clusters = s["CITATION-ITEMS"] ? JSON.parse(s["CITATION-ITEMS"]) : [ids.map((id) => ({ id }))];
      for (const items of clusters) out.push(engine.makeCitationCluster(items));
    }
    return out.join("\n");
  }
  const [meta, entries] = engine.makeBibliography();
  return meta.bibstart + entries.join("") + meta.bibend;
}

function main() {
  const [localesDir, ...files] = process.argv.slice(2);
  if (!localesDir || files.length === 0) {
    process.stderr.write("usage: node run_fixture.js LOCALES_DIR FIXTURE.txt ...\n");
    process.exit(2);
  }
  const version = require("citeproc/package.json").version;
  const results = {};
  for (const file of files) {
    results[path.basename(file, ".txt")] = { processor: `citeproc-js ${version}`, result: run(file, localesDir) };
  }
  process.stdout.write(JSON.stringify(results, null, 2) + "\n");
}

main();
