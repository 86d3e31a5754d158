// Parses and renders Mermaid files with the real Mermaid (the version pinned in package-lock.json) inside
// Debian's chromium, the way GitHub and mermaid.live do; fails on any parse or render error.
//   node render.mjs [--expect-lines LIST.txt] [--max-width PX] [--top-down] FILE.mmd...
// --expect-lines: the next file's rendered text must contain each line of LIST.txt (checks that escaped
// labels read back right).
// --max-width: the next file's diagram must be at most PX wide (Mermaid's classic look, its default).
// --top-down: every edge of the next file must point down the page: its target's centre below its source's.
// Every file: no label may wrap inside a word (only at a space or a `<br/>`). Each file's size is printed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const mermaidJs = join(here, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');
if (!existsSync(mermaidJs)) {
  console.error(`render.mjs: ${mermaidJs} is missing: run \`npm ci\` in ${here}`);
  process.exit(2);
}
const { chromium } = await import('playwright-core');
const chromiumPath = process.env.KVSCOPE_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.error(`render.mjs: ${chromiumPath} is missing: apt-get install chromium`);
  process.exit(2);
}

const files = [];
let next = { expected: [], maxWidth: 0, topDown: false };
for (let i = 2; i < process.argv.length; ++i) {
  if (process.argv[i] === '--expect-lines') {
    next.expected = readFileSync(process.argv[++i], 'utf8').split('\n').filter((line) => line !== '');
  } else if (process.argv[i] === '--max-width') {
    next.maxWidth = Number(process.argv[++i]);
  } else if (process.argv[i] === '--top-down') {
    next.topDown = true;
  } else {
    files.push({ path: process.argv[i], ...next });
    next = { expected: [], maxWidth: 0, topDown: false };
  }
}
if (files.length === 0) {
  console.error('usage: node render.mjs [--expect-lines LIST.txt] FILE.mmd...');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'kvscope-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run'],
});
let failed = 0;
try {
  const page = await context.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ path: mermaidJs });
  // Mermaid's defaults (maxTextSize 50000, maxEdges 500) are kept: they are what GitHub renders with.
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false }));
  for (const [i, { path: file, expected, maxWidth, topDown }] of files.entries()) {
    const text = readFileSync(file, 'utf8');
    // The edges as written, `a --> b` or `a -->|"label"| b`; `~~~` links are invisible and not checked.
    const edges = [...text.matchAll(/^\s*(\w+) -->(?:\|"[^"]*"\|)? (\w+)\s*$/gm)].map((m) => [m[1], m[2]]);
    const result = await page.evaluate(async ({ text, id, edges }) => {
      try {
        await window.mermaid.parse(text);
        const { svg } = await window.mermaid.render(id, text);
        const doc = document.createElement('div');
        doc.innerHTML = svg;
        // Laid out in the page, so positions and line breaks can be measured.
        document.body.appendChild(doc);
        const root = doc.querySelector('svg');
        const [, , width, height] = (root.getAttribute('viewBox') || '0 0 0 0').split(/\s+/).map(Number);
        const centre = new Map();
        for (const g of doc.querySelectorAll('g.node')) {
          const m = g.id.match(new RegExp(`^${id}-flowchart-(.+)-\\d+$`));
          const r = g.getBoundingClientRect();
          if (m) centre.set(m[1], r.top + r.height / 2);
        }
        const upward = edges.filter(([a, b]) => centre.has(a) && centre.has(b) && centre.get(b) <= centre.get(a))
                            .map(([a, b]) => `${a} --> ${b}`);
        // A line of a label that starts inside a word: the character before it and the first one of the line
        // are both visible, non-space characters with no <br> between them.
        const midWord = [];
        const invisible = /[\u200b\u2060]/;
        for (const label of doc.querySelectorAll('span.nodeLabel, span.edgeLabel, .cluster-label span')) {
          let prev = null, brSince = false;
          const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            if (n.nodeType === Node.ELEMENT_NODE) {
              if (n.tagName === 'BR') brSince = true;
              continue;
            }
            for (let k = 0; k < n.data.length; ++k) {
              const ch = n.data[k];
              if (invisible.test(ch)) continue;
              const range = document.createRange();
              range.setStart(n, k);
              range.setEnd(n, k + 1);
              const rect = range.getBoundingClientRect();
              if (prev && !brSince && rect.top > prev.top + prev.height / 2 && !/\s/.test(prev.ch) && !/\s/.test(ch))
                midWord.push(label.textContent.replace(/[\u200b\u2060]/g, ''));
              prev = { ch, top: rect.top, height: rect.height };
              brSince = false;
            }
          }
        }
        doc.remove();
        return {
          ok: true,
          nodes: doc.querySelectorAll('g.node').length,
          edges: doc.querySelectorAll('path.flowchart-link').length,
          clusters: doc.querySelectorAll('g.cluster').length,
          // Zero-width spaces keep Mermaid from reading "\\n" as a line break, word joiners keep CJK words whole:
          // not text.
          text: doc.textContent.replace(/[\u200b\u2060]/g, ''),
          width, height, upward, midWord: [...new Set(midWord)],
        };
      } catch (e) {
        return { ok: false, error: String(e && e.message ? e.message : e) };
      }
    }, { text, id: `kvscope${i}`, edges });
    if (!result.ok) {
      console.error(`FAIL ${file}: ${result.error.split('\n').slice(0, 6).join('\n  ')}`);
      ++failed;
      continue;
    }
    const missing = expected.filter((t) => !result.text.includes(t));
    if (missing.length > 0) {
      console.error(`FAIL ${file}: the rendered text lacks ${missing.map((t) => JSON.stringify(t)).join(', ')}`);
      ++failed;
      continue;
    }
    if (result.nodes === 0) {
      console.error(`FAIL ${file}: rendered no nodes`);
      ++failed;
      continue;
    }
    const size = `${Math.round(result.width)} x ${Math.round(result.height)} px`;
    if (result.midWord.length > 0) {
      console.error(`FAIL ${file}: labels wrap inside a word: ${result.midWord.slice(0, 3).map((t) => JSON.stringify(t)).join(', ')}`);
      ++failed;
      continue;
    }
    if (maxWidth > 0 && result.width > maxWidth) {
      console.error(`FAIL ${file}: ${size}, wider than ${maxWidth} px`);
      ++failed;
      continue;
    }
    if (topDown && result.upward.length > 0) {
      console.error(`FAIL ${file}: ${result.upward.length} edges point up the page, e.g. ${result.upward.slice(0, 3).join(', ')}`);
      ++failed;
      continue;
    }
    console.log(`ok ${file}: ${result.nodes} nodes, ${result.edges} edges, ${result.clusters} subgraphs, ${size}`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
