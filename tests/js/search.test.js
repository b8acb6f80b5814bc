// Parity of the search page's engine (themes/default/search.js) with `scrollback search`:
// the same tokens, and the same top hits with the same scores, on the sample site.
// Run: cargo build && node --test tests/js/   (SCROLLBACK_BIN picks another binary)
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const zlib = require("node:zlib");
const { execFileSync } = require("node:child_process");

const repo = path.resolve(__dirname, "../..");
const engineApi = require(path.join(repo, "themes/default/search.js"));
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, "vectors.json"), "utf8"));

// The sample site; with `config`, built with that scrollback.toml.
function buildSample(config) {
  const bin = process.env.SCROLLBACK_BIN || path.join(repo, "target/debug/scrollback");
  assert.ok(fs.existsSync(bin), `${bin} not found: run cargo build first (or set SCROLLBACK_BIN)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scrollback-js-"));
  const out = path.join(dir, "public");
  const args = ["-q", "build", path.join(repo, "sample-logs"), "--out", out];
  if (config) {
    fs.writeFileSync(path.join(dir, "scrollback.toml"), config);
    args.push("--config", path.join(dir, "scrollback.toml"));
  }
  execFileSync(bin, args, { stdio: "inherit" });
  return out;
}

function diskEngine(site, options) {
  const reads = [];
  const engine = new engineApi.Engine(async (p) => {
    reads.push(p);
    let bytes = fs.readFileSync(path.join(site, "search", p));
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
    return new Uint8Array(bytes);
  }, options);
  return { engine, reads };
}

const site = buildSample();
// The same archive with its terms cut into three segments: the same hits and scores.
const segmented = buildSample("[search]\nsegments = [128, 32]\n");

test("tokens match the Rust tokenizer", () => {
  for (const { text, tokens } of vectors.tokenize) {
    const js = engineApi.tokenize(text).map((t) => [t.text, t.position, t.kind]);
    assert.deepEqual(js, tokens, text);
  }
});

// Scores are f32 sums; tantivy adds clauses in its own order, so allow one ulp-ish.
const close = (a, b) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

for (const [layout, at] of [["", site], [" in segments", segmented]]) for (const { query, prefix, total, hits } of vectors.queries) {
  test(`query ${JSON.stringify(query)}${prefix ? " (typing)" : ""}${layout}`, async () => {
    const { engine } = diskEngine(at);
    const results = await engine.search(query, { limit: 10, prefix });
    const got = results.hits.map((h) => [h.id, h.score]);
    assert.equal(got.length, hits.length, `hit count for ${query}`);
    got.forEach(([id, score], i) => {
      const [wantId, wantScore] = hits[i];
      assert.ok(close(score, wantScore), `${query} #${i}: score ${score} vs ${wantScore}`);
      if (id !== wantId) {
        // Only an exact tie may order differently.
        const tie = hits.some(([otherId, s]) => otherId === id && close(s, wantScore));
        assert.ok(tie, `${query} #${i}: ${id} vs ${wantId}`);
      }
    });
    if (results.total_is_estimate) {
      assert.ok(results.total >= total, `${query}: estimate ${results.total} below ${total}`);
    } else {
      assert.equal(results.total, total, `total for ${query}`);
    }
  });
}

test("hits have the --json shape and their permalinks exist", async () => {
  const { engine } = diskEngine(site);
  const results = await engine.search("rr16", { limit: 3 });
  for (const hit of results.hits) {
    assert.deepEqual(Object.keys(hit).sort(), ["author", "channel", "id", "score", "snippet", "time", "url"]);
    const [page, anchor] = hit.url.split("#");
    const html = fs.readFileSync(path.join(site, page, "index.html"), "utf8");
    assert.ok(html.includes(`id="${anchor}"`), hit.url);
    assert.match(hit.snippet, /<mark>rr16<\/mark>/);
    assert.match(hit.time, /^2014-01-\d\dT\d\d:\d\d:\d\dZ$/);
  }
});

test("snippets escape message text", () => {
  const html = engineApi.snippetHtml('<img src=x onerror="alert(1)"> rr16', new Set(["rr16"]));
  assert.equal(html, "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>rr16</mark>");
});

test("the XSS corpus stays text in snippets, highlighted or not", () => {
  const corpus = fs.readFileSync(path.join(repo, "tests/cases/xss/payloads.txt"), "utf8");
  const payloads = corpus.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.replaceAll("\\n", "\n"));
  assert.ok(payloads.length > 30);
  for (const payload of payloads) {
    for (const terms of [[], ["alert"], ["script", "img", "onerror", "javascript", "svg"]]) {
      const html = engineApi.snippetHtml(payload, new Set(terms));
      const tags = html.replace(/<\/?mark>/g, "");
      assert.ok(!/[<>"]/.test(tags), `${JSON.stringify(payload)} → ${html}`);
    }
  }
});

test("a common word reads only its best postings, with the same results", async () => {
  // With lists this short treated as long, `the` is streamed best block first.
  const streamed = diskEngine(site, { fullPostings: 8 });
  const whole = diskEngine(site);
  for (const limit of [1, 5, 10, 40]) {
    const a = await streamed.engine.search("the", { limit });
    const b = await whole.engine.search("the", { limit });
    assert.deepEqual(a.hits.map((h) => h.id), b.hits.map((h) => h.id), `limit ${limit}`);
  }
  const fresh = diskEngine(site, { fullPostings: 8 });
  await fresh.engine.search("the", { limit: 5 });
  const postingDirs = fresh.engine.manifest.segments.map((s) => s.postings.dir);
  assert.ok(!fresh.reads.some((p) => postingDirs.some((d) => p.startsWith(d))), `read ${fresh.reads.join(", ")}`);
});

test("streamed and whole lists agree on every parity query", async () => {
  for (const at of [site, segmented]) {
    const streamed = diskEngine(at, { fullPostings: 4 }).engine;
    for (const { query, prefix, hits } of vectors.queries) {
      const results = await streamed.search(query, { limit: 10, prefix });
      assert.deepEqual(results.hits.map((h) => h.id).sort(), hits.map((h) => h[0]).sort(), query);
    }
    assert.equal(streamed.manifest.segments.length, at === site ? 1 : 3);
  }
});
