// The XSS corpus (tests/cases/xss/payloads.txt) in a real browser: a Slack export with every
// payload as a user name, channel name, topic, message, card, file name and reaction is built,
// then every page is opened and the search page shows snippets of the payloads. No dialog may
// open, no script may run, and the Content-Security-Policy must report nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { repo, build, serve, launch } = require("./helpers");

const payloads = fs.readFileSync(path.join(repo, "tests/cases/xss/payloads.txt"), "utf8")
  .split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.replaceAll("\\n", "\n"));

function write(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
}

/** A Slack export with a payload in every field that reaches a page. */
function hostileExport() {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "scrollback-xss-")), "slack");
  write(path.join(root, "users.json"), payloads.map((p, i) => ({ id: `U${i}`, name: `u${i}`, real_name: p, profile: { display_name: p, real_name: p } })));
  const channels = [{ id: "C0", name: "general", topic: { value: payloads[1] }, purpose: { value: payloads[0] } }];
  payloads.slice(0, 3).forEach((p, i) => channels.push({ id: `C${i + 1}`, name: p, topic: { value: p } }));
  write(path.join(root, "channels.json"), channels);
  const messages = payloads.map((p, i) => ({
    type: "message", user: `U${i}`, text: `xsscheck ${p}`, ts: `${1583056800 + i}.000100`,
    reactions: [{ name: p.replace(/[^a-z0-9_+-]/gi, "").slice(0, 20) || "x", users: ["U0"], count: 1 }],
    files: [{ id: `F${i}`, name: p, title: p, mimetype: "text/html" }],
    attachments: [{ title: p, title_link: "javascript:alert(1)", text: p, pretext: p, fallback: p, author_name: p, author_link: "javascript:alert(1)", footer: p, fields: [{ title: p, value: p, short: true }] }],
  }));
  for (const channel of channels) write(path.join(root, channel.name, "2020-03-01.json"), messages);
  return root;
}

test("every payload renders inertly on every page and in search results", async () => {
  const site = build(hostileExport());
  const pages = fs.readdirSync(site, { recursive: true }).filter((f) => f.endsWith("index.html")).map((f) => f.slice(0, -"index.html".length));
  assert.ok(pages.length >= 8, `${pages.length} pages`);
  const { server, base } = await serve(site);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const fired = [];
    page.on("dialog", async (d) => { fired.push(`dialog: ${d.message()}`); await d.dismiss(); });
    page.on("pageerror", (e) => fired.push(`script error: ${e.message}`));
    page.on("console", (m) => { if (/Content.Security.Policy|Refused/i.test(m.text())) fired.push(`csp: ${m.text()}`); });
    for (const url of [...pages, "search/?q=xsscheck"]) {
      await page.goto(base + url);
      if (url.includes("?q=")) await page.waitForSelector(".search-hit");
      const live = await page.evaluate(() => ({
        scripts: [...document.scripts].filter((s) => !s.src).length,
        handlers: [...document.querySelectorAll("*")].flatMap((e) => [...e.attributes]).filter((a) => a.name.startsWith("on")).length,
        jsLinks: [...document.querySelectorAll("[href]:not(link[rel=icon]), [src], [action]")].filter((e) => /^\s*(javascript|data):/i.test(e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("action") || "")).length,
        foreign: document.querySelectorAll("iframe, object, embed, svg script, math, form:not(.header-search):not(.search-form), base, meta[http-equiv=refresh]").length,
      }));
      assert.deepEqual(live, { scripts: 0, handlers: 0, jsLinks: 0, foreign: 0 }, url);
    }
    assert.equal(await page.locator(".search-hit").count() > 10, true, "the search page shows payload snippets");
    assert.deepEqual(fired, []);
  } finally {
    await browser.close();
    server.close();
  }
});
