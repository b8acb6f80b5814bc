// Shared files that would run script if a host served them by their extension: a Slack export
// bundles one file of every active type (HTML, XHTML, SVG, XML, XSL, XSLT, WSDL, RSS, Atom,
// MHTML, JavaScript...), each an alert(). The site is served the way a plain static host does
// it, each file typed by Debian's /etc/mime.types and with none of the site's headers, and
// every stored file is opened in Chromium: no dialog may open. A control proves that the same
// bytes under their own name do run.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");
const { build, launch } = require("./helpers");

const XHTML = '<html xmlns="http://www.w3.org/1999/xhtml"><body><script>alert("ran")</script></body></html>';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert("ran")</script></svg>';
const names = ["page.html", "page.htm", "page.xhtml", "page.xht", "page.xhtm", "page.shtml", "feed.xml", "style.xsl",
  "style.xslt", "service.wsdl", "feed.rss", "feed.atom", "graph.svg", "graph.SVG", "archive.mht", "app.js",
  "notes.txt", "photo.png", "evil.php.png", "page.html.txt", "report.pdf"];

/** Extension → type, as Debian's table (nginx's and Apache's are close) gives it. */
function mimeTypes() {
  const types = {};
  for (const line of fs.readFileSync("/etc/mime.types", "utf8").split("\n")) {
    if (line.startsWith("#")) continue;
    const [type, ...exts] = line.split(/\s+/).filter(Boolean);
    for (const ext of exts) types[ext.toLowerCase()] = type;
  }
  return types;
}

/** A plain static host: the type from the extension, no other header. */
function serveByExtension(root, types) {
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404).end(); return; }
    const ext = path.extname(file).slice(1).toLowerCase();
    res.writeHead(200, { "content-type": types[ext] || "application/octet-stream" });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, base: `http://127.0.0.1:${server.address().port}/` })));
}

function exportWithUploads() {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "scrollback-uploads-")), "slack");
  const write = (rel, body) => { fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true }); fs.writeFileSync(path.join(root, rel), body); };
  write("users.json", JSON.stringify([{ id: "U1", name: "ada" }]));
  write("channels.json", JSON.stringify([{ id: "C1", name: "general" }]));
  const files = names.map((name, i) => ({ id: `F${i}`, name, title: name, mimetype: "text/html" }));
  // Each file's bytes its own, so that each is stored (files are stored once per content).
  for (const [i, name] of names.entries()) write(`__uploads/F${i}/${name}`, `${name.toLowerCase().includes("svg") ? SVG : XHTML}<!-- ${name} -->`);
  write("general/2020-03-01.json", JSON.stringify([{ type: "message", user: "U1", text: "files", ts: "1583056800.000100", files }]));
  return root;
}

test("no shared file runs script, whatever a static host types it as", async (t) => {
  if (!fs.existsSync("/etc/mime.types")) { t.skip("no /etc/mime.types (Debian's media-types)"); return; }
  const types = mimeTypes();
  const site = build(exportWithUploads());
  const stored = fs.readdirSync(path.join(site, "assets/files"), { recursive: true })
    .filter((f) => fs.statSync(path.join(site, "assets/files", f)).isFile());
  assert.equal(stored.length, names.length, stored.join(" "));
  // The control: the same bytes under a name of their own do run.
  fs.mkdirSync(path.join(site, "control"));
  fs.writeFileSync(path.join(site, "control/page.html"), XHTML);
  fs.writeFileSync(path.join(site, "control/graph.svg"), SVG);
  const { server, base } = await serveByExtension(site, types);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const ran = [];
    page.on("dialog", async (d) => { ran.push(page.url()); await d.dismiss(); });
    const open = async (url) => {
      // A download (application/octet-stream) aborts the navigation: nothing was rendered.
      await page.goto(base + url).catch(() => {});
      await page.waitForTimeout(100);
    };
    for (const url of ["control/page.html", "control/graph.svg"]) await open(url);
    assert.equal(ran.length, 2, `the control ran: ${ran}`);
    ran.length = 0;
    for (const file of stored) await open(`assets/files/${file}`);
    assert.deepEqual(ran, []);
  } finally {
    await browser.close();
    server.close();
  }
});
