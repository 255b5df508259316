#!/usr/bin/env node
// Locale goldens: citeproc-js outputs of the archive's records in 16 styles x 3 locales.
//
// Input: the JSON written by dump_locale_inputs.py. Both processors get the SAME style XML and the
// SAME locale files (citeproc-py's locales-XX.xml; en-US as citeproc-js's fallback), and the
// locale is forced (the style's default-locale is not used), so only the processors differ.
// Usage: node make_locale_goldens.js INPUTS.json OUTDIR [CORPUS--STYLE--LOCALE ...]
// Each file OUTDIR/<corpus>--<style>--<locale>.json holds, as text (the HTML path is covered by
// the main goldens; citeproc-js takes minutes per combination on these records):
//   bibliography      the corpus's bibliography, sorted by the style under the locale
//   note-first        the first 20 records once, in order, one note each
//   note-subsequent   the same records again (a non-adjacent repeat)
//   in-text           every record once, as in-text citations (noteIndex 0)
//   multi-note        the corpus's clusters (2 or 3 records each), one note each, after nothing
//   multi-in-text     the same clusters as in-text citations
"use strict";

const fs = require("fs");
const path = require("path");
const CSL = require("citeproc");

const NOTE_RECORDS = 20;

function makeEngine(styleXml, locales, lang, records, format) {
  const byId = new Map(records.map((r) => [r.id, r]));
  const sys = {
    retrieveLocale: (l) => (locales[l] ? fs.readFileSync(locales[l], "utf8") : false),
    retrieveItem: (id) => JSON.parse(JSON.stringify(byId.get(id))),
  };
  const engine = new CSL.Engine(sys, styleXml, lang, true);
  engine.setOutputFormat(format);
  return engine;
}

function stripEntry(s, format) {
  s = s.replace(/\n$/, "");
  if (format === "html") s = s.trim().replace(/^<div class="csl-entry">/, "").replace(/<\/div>$/, "");
  return s;
}

function bibliography(engine, records, format) {
  engine.updateItems(records.map((r) => r.id));
  const result = engine.makeBibliography();
  if (!result) return null;
  return result[1].map((s) => stripEntry(s, format));
}

function run(engine, clusters, noteMode, format) {
  const cites = clusters.map((ids, n) => ({
    citationID: "c" + (n + 1),
    citationItems: ids.map((id) => ({ id })),
    properties: { noteIndex: noteMode ? n + 1 : 0 },
  }));
  return engine.rebuildProcessorState(cites, format).map((row) => row[2]);
}

function main() {
  const [inputsPath, outDir, ...only] = process.argv.slice(2);
  const inputs = JSON.parse(fs.readFileSync(inputsPath, "utf8"));
  const version = require("citeproc/package.json").version;
  fs.mkdirSync(outDir, { recursive: true });
  for (const [corpus, records] of Object.entries(inputs.corpora)) {
    const ids = records.map((r) => r.id);
    // citeproc-js re-checks every earlier note for each new one: notes on 50 records keep the
    // run to minutes
    const noteIds = ids.slice(0, NOTE_RECORDS);
    const multi = inputs.clusters[corpus];
    for (const [style, stylePath] of Object.entries(inputs.styles)) {
      const styleXml = fs.readFileSync(stylePath, "utf8");
      for (const lang of Object.keys(inputs.locales)) {
        const name = `${corpus}--${style}--${lang}`;
        if (only.length && !only.includes(name)) continue;
        const golden = { corpus, style, locale: lang, processor: "citeproc-js " + version, ids, noteIds,
          clusters: multi };
        for (const format of ["text"]) {
          const mk = () => makeEngine(styleXml, inputs.locales, lang, records, format);
          const notes = run(mk(), noteIds.map((id) => [id]).concat(noteIds.map((id) => [id])), true, format);
          golden[format] = {
            bibliography: bibliography(mk(), records, format),
            "note-first": notes.slice(0, noteIds.length),
            "note-subsequent": notes.slice(noteIds.length),
            "in-text": run(mk(), ids.map((id) => [id]), false, format),
            "multi-note": run(mk(), multi, true, format),
            "multi-in-text": run(mk(), multi, false, format),
          };
        }
        const file = path.join(outDir, `${name}.json`);
        fs.writeFileSync(file, JSON.stringify(golden, null, 1) + "\n");
        console.log(`wrote ${file}`);
      }
    }
  }
}

main();
