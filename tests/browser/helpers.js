// Shared by the browser tests: build a site with the binary under test, serve it the way a
// static host does (optionally under a subdirectory, as GitHub Pages project sites are), and
// launch Debian's chromium through playwright-core.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const { execFileSync } = require("node:child_process");
const { chromium } = require("playwright-core");

const repo = path.resolve(__dirname, "../..");
const shots = path.join(repo, "target/browser");
const bin = process.env.SCROLLBACK_BIN || path.join(repo, "target/debug/scrollback");

/** Builds `input` (the sample by default) into a new temporary directory; returns the site. */
function build(input = path.join(repo, "sample-logs"), extra = []) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "scrollback-browser-")), "public");
  execFileSync(bin, ["-q", "build", input, "--out", out, ...extra], { stdio: "inherit" });
  return out;
}

const types = {
  ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
  ".json": "application/json", ".png": "image/png", ".xml": "application/atom+xml",
};

/** Serves `root` on loopback under `prefix` ("/" or "/project/"); resolves to { server, base }. */
function serve(root, prefix = "/") {
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (!pathname.startsWith(prefix)) { res.writeHead(404).end(); return; }
    let file = path.join(root, pathname.slice(prefix.length));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      if (!pathname.endsWith("/")) { res.writeHead(301, { location: pathname + "/" }).end(); return; }
      file = path.join(file, "index.html");
    }
    if (!fs.existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream" });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () =>
    resolve({ server, base: `http://127.0.0.1:${server.address().port}${prefix}` })));
}

/** Headless chromium with the flags this machine's closed network needs. */
function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A screenshot under target/browser/ for a person to look at. */
async function shot(page, name) {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
}

/** Fails the test on any script error or failed request of the page. */
function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`script error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()}: ${r.url()}`); });
  return errors;
}

module.exports = { repo, bin, build, serve, launch, shot, watchErrors };
