// Parses and renders Mermaid files with the real Mermaid (the version pinned in package-lock.json) inside
// Debian's chromium, the way GitHub and mermaid.live do; fails on any parse or render error.
//   node render.mjs [--expect-lines LIST.txt] FILE.mmd...
// --expect-lines: the next file's rendered text must contain each line of LIST.txt (checks that escaped
// labels read back right).
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
let expected = [];
for (let i = 2; i < process.argv.length; ++i) {
  if (process.argv[i] === '--expect-lines') {
    expected = readFileSync(process.argv[++i], 'utf8').split('\n').filter((line) => line !== '');
  } else {
    files.push({ path: process.argv[i], expected });
    expected = [];
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
  for (const [i, { path: file, expected }] of files.entries()) {
    const text = readFileSync(file, 'utf8');
    const result = await page.evaluate(async ({ text, id }) => {
      try {
        await window.mermaid.parse(text);
        const { svg } = await window.mermaid.render(id, text);
        const doc = document.createElement('div');
        doc.innerHTML = svg;
        return {
          ok: true,
          nodes: doc.querySelectorAll('g.node').length,
          edges: doc.querySelectorAll('path.flowchart-link').length,
          clusters: doc.querySelectorAll('g.cluster').length,
          // Zero-width spaces are how an export keeps Mermaid from reading "\\n" as a line break: not text.
          text: doc.textContent.replaceAll('\u200b', ''),
        };
      } catch (e) {
        return { ok: false, error: String(e && e.message ? e.message : e) };
      }
    }, { text, id: `kvscope${i}` });
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
    console.log(`ok ${file}: ${result.nodes} nodes, ${result.edges} edges, ${result.clusters} subgraphs`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
