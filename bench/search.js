#!/usr/bin/env node
// Search benchmark: scrollback's static search against Pagefind 1.6.0 on the same site.
//
//   npm ci --prefix bench && node bench/search.js --messages 100000,1000000
//
// For each size: generate a synthetic Slack export (examples/synth_export.rs, seed 42), build
// it with `scrollback build` (release), run Pagefind over the same channel-day pages, serve
// both from a loopback HTTP server that logs every response, and run each query in a fresh
// headless Chromium context (cold cache). Reports index bytes and files, initial-load bytes,
// bytes and requests per query, sequential request depth, time to first results, and recall
// on the identifier query. Results: a table on stdout and target/bench/search-<N>.json.
// Timings vary with machine load; bytes, files and requests are exact.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const http = require("node:http");
const { execFileSync } = require("node:child_process");
const { chromium } = require("playwright-core");

const repo = path.resolve(__dirname, "..");
const work = path.join(repo, "target/bench");
const QUERIES = ["502", "replica", "kafka latency", "metrics-web-prod-513", "the"];
const IDENTIFIER = "metrics-web-prod-513";
const RUNS = Number(process.env.BENCH_RUNS || 3);

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function run(cmd, args, opts) {
  return execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28, ...opts }).toString();
}

function measure(cmd, args) {
  const result = require("node:child_process").spawnSync("/usr/bin/time", ["-f", "BENCH %e %M", cmd, ...args], { maxBuffer: 1 << 28 });
  const stderr = result.stderr.toString();
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${stderr}`);
  const [, seconds, kb] = /BENCH ([\d.]+) (\d+)/.exec(stderr);
  return { seconds: Number(seconds), rssMB: Math.round(Number(kb) / 1024) };
}

function walk(dir) {
  let out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out = e.isDirectory() ? out.concat(walk(p)) : out.concat([p]);
  }
  return out;
}

function sizeOf(dir) {
  const files = walk(dir);
  return { files: files.length, bytes: files.reduce((n, f) => n + fs.statSync(f).size, 0) };
}

// Messages containing the identifier, as a reader would grep for it.
function identifierCount(exportDir) {
  const re = new RegExp(`(^|[^\\p{Alphabetic}\\p{N}])${IDENTIFIER}($|[^\\p{Alphabetic}\\p{N}])`, "u");
  let messages = 0;
  for (const file of walk(exportDir)) {
    if (!/\d{4}-\d\d-\d\d\.json$/.test(file)) continue;
    for (const m of JSON.parse(fs.readFileSync(file, "utf8"))) if (re.test(m.text || "")) messages++;
  }
  return messages;
}

function pagesContaining(site) {
  let pages = 0;
  for (const file of walk(path.join(site, "c"))) {
    if (file.endsWith("index.html") && /\/\d\d\/index\.html$/.test(file) && fs.readFileSync(file, "utf8").includes(IDENTIFIER)) pages++;
  }
  return pages;
}

// A static server that records what it sends (bytes are exact; it answers one request at a
// time, so its own timestamps cannot show concurrency: depth comes from the browser).
function serve(root) {
  const log = [];
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".json": "application/json", ".css": "text/css" };
  const server = http.createServer((req, res) => {
    const started = performance.now();
    let file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) { res.writeHead(404).end(); log.push({ url: req.url, bytes: 0, started, ended: performance.now() }); return; }
    const body = fs.readFileSync(file);
    res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream", "cache-control": "no-cache" });
    res.end(body, () => log.push({ url: req.url, bytes: body.length, started, ended: performance.now() }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, log })));
}

// Longest chain of requests where each starts after the previous one finished.
function depth(entries) {
  const sorted = entries.slice().sort((a, b) => a.started - b.started);
  const d = [];
  sorted.forEach((e, i) => {
    d[i] = 1 + Math.max(0, ...sorted.slice(0, i).map((p, j) => (p.ended <= e.started ? d[j] : 0)));
  });
  return Math.max(0, ...d);
}

function benchPages(site) {
  const assets = fs.readdirSync(path.join(site, "assets"));
  const searchJs = assets.find((a) => /^search\.[0-9a-f]+\.js$/.test(a));
  fs.mkdirSync(path.join(site, "__bench"), { recursive: true });
  fs.writeFileSync(path.join(site, "__bench/scrollback.html"), `<!doctype html><meta charset="utf-8">
<script src="../assets/${searchJs}"></script>
<script>
window.init = () => scrollback.engine.init();
window.query = async (q) => { const r = await scrollback.search(q, { limit: 5 }); return { total: r.total, estimate: !!r.total_is_estimate, hits: r.hits.length }; };
</script>`);
  fs.writeFileSync(path.join(site, "__bench/pagefind.html"), `<!doctype html><meta charset="utf-8">
<script>
window.init = async () => { window.pf = await import("/pagefind/pagefind.js"); await pf.init(); await pf.search(""); };
window.query = async (q) => { const r = await pf.search(q); await Promise.all(r.results.slice(0, 5).map((x) => x.data())); return { total: r.results.length, estimate: false, hits: Math.min(5, r.results.length) }; };
</script>`);
}

async function browse(browser, base, log, engine, q) {
  const context = await browser.newContext();
  // Request intervals as the browser sees them (workers included), for the depth.
  const spans = [];
  const open = new Map();
  context.on("request", (r) => open.set(r, performance.now()));
  const done = (r) => { if (open.has(r)) spans.push({ url: r.url(), started: open.get(r), ended: performance.now() }); };
  context.on("requestfinished", done);
  context.on("requestfailed", done);
  const page = await context.newPage();
  const at0 = log.length;
  const t0 = Date.now();
  await page.goto(`${base}/__bench/${engine}.html`);
  const tInit0 = await page.evaluate(() => performance.now());
  await page.evaluate(() => window.init());
  const tInit1 = await page.evaluate(() => performance.now());
  const at1 = log.length;
  const spans1 = spans.length;
  const result = await page.evaluate(async (q) => {
    const t = performance.now();
    const r = await window.query(q);
    return { ...r, ms: performance.now() - t };
  }, q);
  await new Promise((r) => setTimeout(r, 50)); // let the server log the last responses
  const initial = log.slice(at0, at1).filter((e) => !e.url.startsWith("/__bench/"));
  const queryLog = log.slice(at1);
  await context.close();
  return {
    initBytes: initial.reduce((n, e) => n + e.bytes, 0),
    initRequests: initial.length,
    queryBytes: queryLog.reduce((n, e) => n + e.bytes, 0),
    queryRequests: queryLog.length,
    queryDepth: depth(spans.slice(spans1)),
    initMs: tInit1 - tInit0,
    queryMs: result.ms,
    total: result.total,
    estimate: result.estimate,
    wallMs: Date.now() - t0,
  };
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchSize(messages, browser) {
  const label = messages >= 1e6 ? `${messages / 1e6}M` : `${messages / 1e3}k`;
  const exportDir = path.join(work, `export-${label}`);
  const site = path.join(work, `site-${label}`);
  console.error(`== ${label}: generating`);
  run(path.join(repo, "target/release/examples/synth_export"), ["--messages", String(messages), "--out", exportDir]);
  console.error(`== ${label}: scrollback build`);
  // A clean build: a previous run's site (with Pagefind's files in it) would be replaced,
  // and removing it would be timed too.
  fs.rmSync(site, { recursive: true, force: true });
  fs.rmSync(`${site}.index`, { recursive: true, force: true });
  const build = measure(path.join(repo, "target/release/scrollback"), ["-q", "build", exportDir, "--out", site]);
  const ours = sizeOf(path.join(site, "search"));
  console.error(`== ${label}: pagefind`);
  const pfOut = path.join(site, "pagefind");
  const pagefind = measure(path.join(__dirname, "node_modules/.bin/pagefind"), ["--site", site, "--glob", "c/*/*/*/*/index.html", "--output-path", pfOut]);
  const theirs = sizeOf(pfOut);
  benchPages(site);
  const { server, log } = await serve(site);
  const base = `http://127.0.0.1:${server.address().port}`;
  const rows = [];
  for (const q of QUERIES) {
    for (const engine of ["scrollback", "pagefind"]) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await browse(browser, base, log, engine, q));
      const r = runs[0];
      rows.push({ query: q, engine, ...r, initMs: median(runs.map((x) => x.initMs)), queryMs: median(runs.map((x) => x.queryMs)) });
    }
  }
  server.close();
  // Recall for the identifier: exact totals from the index of record and from the page.
  const containing = identifierCount(exportDir);
  const cli = JSON.parse(run(path.join(repo, "target/release/scrollback"), ["search", "--site", site, "--json", "-n", "1", IDENTIFIER]));
  const pfPages = rows.find((r) => r.engine === "pagefind" && r.query === IDENTIFIER).total;
  const pages = pagesContaining(site);
  const report = {
    messages,
    build: { scrollback: build, pagefind },
    index: { scrollback: ours, pagefind: theirs },
    recall: {
      identifier: IDENTIFIER,
      messages_containing: containing,
      scrollback_cli: cli.total,
      scrollback_page: rows.find((r) => r.engine === "scrollback" && r.query === IDENTIFIER).total,
      pages_containing: pages,
      pagefind_pages: pfPages,
    },
    queries: rows,
  };
  fs.writeFileSync(path.join(work, `search-${label}.json`), JSON.stringify(report, null, 2) + "\n");
  return report;
}

function kb(n) {
  return (n / 1024).toFixed(1) + " KB";
}

function print(report) {
  const label = report.messages.toLocaleString("en-US");
  const s = report.index.scrollback, p = report.index.pagefind;
  const initOf = (engine) => report.queries.find((r) => r.engine === engine);
  console.log(`\n### ${label} messages\n`);
  console.log(`| | scrollback | Pagefind 1.6.0 |\n| --- | --- | --- |`);
  console.log(`| build (wall, peak RSS) | ${report.build.scrollback.seconds} s, ${report.build.scrollback.rssMB} MB (whole site + index) | ${report.build.pagefind.seconds} s, ${report.build.pagefind.rssMB} MB (index only) |`);
  console.log(`| index files / bytes | ${s.files} / ${(s.bytes / 1048576).toFixed(1)} MB | ${p.files} / ${(p.bytes / 1048576).toFixed(1)} MB |`);
  const si = initOf("scrollback"), pi = initOf("pagefind");
  console.log(`| initial load | ${kb(si.initBytes)}, ${si.initRequests} requests | ${kb(pi.initBytes)}, ${pi.initRequests} requests |`);
  const r = report.recall;
  console.log(`| recall \`${r.identifier}\` | ${r.scrollback_cli} of ${r.messages_containing} messages (page: ${r.scrollback_page}) | ${r.pagefind_pages} of ${r.pages_containing} pages |`);
  console.log(`\n| query | scrollback: bytes, requests, depth, ms | Pagefind: bytes, requests, depth, ms |\n| --- | --- | --- |`);
  for (const q of QUERIES) {
    const a = report.queries.find((x) => x.query === q && x.engine === "scrollback");
    const b = report.queries.find((x) => x.query === q && x.engine === "pagefind");
    const cell = (x) => `${kb(x.queryBytes)}, ${x.queryRequests}, ${x.queryDepth}, ${Math.round(x.initMs + x.queryMs)} ms (${x.estimate ? "~" : ""}${x.total} hits)`;
    console.log(`| \`${q}\` | ${cell(a)} | ${cell(b)} |`);
  }
}

(async () => {
  const sizes = arg("--messages", "100000").split(",").map((s) => Number(s.replace(/_/g, "")));
  fs.mkdirSync(work, { recursive: true });
  console.error("== cargo build --release");
  execFileSync("cargo", ["build", "--release", "--quiet", "--bin", "scrollback", "--example", "synth_export"], { cwd: repo, stdio: "inherit" });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const n of sizes) print(await benchSize(n, browser));
  } finally {
    await browser.close();
  }
  console.log("\nDepth: the longest chain of requests that waited for one another (after the page and its script). Times: init + query, median of " + RUNS + " cold runs.");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
