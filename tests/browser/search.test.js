// The search page in headless Chromium: type a query, see the expected hit, follow it, land
// on the highlighted message. Screenshots go to target/browser/ for a person to look at.
// Run: cargo build && npm ci --prefix tests/browser && node --test tests/browser/
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { build, serve, launch, shot } = require("./helpers");

test("search from the page, follow a hit, land on the highlighted message", async () => {
  const { server, base: root } = await serve(build());
  const base = root.replace(/\/$/, "");
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));

    // A linked search (?q=) runs on load.
    await page.goto(`${base}/search/?q=metrics-web-prod-513`);
    await page.waitForSelector(".search-hit");
    assert.equal(await page.textContent("#search-status"), "7 messages");
    await shot(page, "search-linked");

    // An incident page links to a search of its own messages: as many as its conversation.
    await page.goto(`${base}/incidents/2014-01-17-ops-1711/`);
    const conversation = await page.textContent(".conversation summary");
    await Promise.all([page.waitForNavigation(), page.click("text=Search within this incident")]);
    await page.waitForSelector(".search-hit");
    assert.equal(await page.textContent("#search-status"), conversation.match(/^\d+ messages/)[0]);

    // Typing: results as you type, the last word is a prefix.
    await page.fill("#search-q", "");
    await page.type("#search-q", "read repl", { delay: 20 });
    await page.waitForFunction(() => location.search === "?q=read+repl" && /^\d+ messages$/.test(document.getElementById("search-status").textContent));
    assert.equal(await page.textContent("#search-status"), "8 messages", "repl completes to replica, replicas, replication");
    assert.match(await page.locator(".search-hit a").first().textContent(), /read replicas/);
    await shot(page, "search-typing");

    await page.fill("#search-q", "\"read replica\"");
    await page.press("#search-q", "Enter");
    await page.waitForFunction(() => /Read replica load back/.test((document.querySelector(".search-hit a") || {}).textContent));

    // The engine is exposed with the --json shape.
    const api = await page.evaluate(() => window.scrollback.search('"read replica"', { limit: 10 }));
    assert.equal(api.total, 7);
    assert.equal(api.total_is_estimate, undefined, "every candidate was checked for the phrase");
    assert.deepEqual(Object.keys(api.hits[0]).sort(), ["author", "channel", "id", "score", "snippet", "time", "url"]);

    // Keyboard: arrow down from the box reaches the first hit; Enter follows it.
    await page.focus("#search-q");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.evaluate(() => document.activeElement.closest(".search-hit") !== null), true);
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const target = new URL(page.url()).hash;
    assert.equal(target, "#m-1389984902000001");
    const landed = await page.evaluate((id) => {
      const el = document.getElementById(id);
      const r = el.getBoundingClientRect();
      return { target: el.matches(":target"), background: getComputedStyle(el).backgroundColor, visible: r.top >= 0 && r.bottom <= innerHeight };
    }, target.slice(1));
    assert.ok(landed.target && landed.visible, JSON.stringify(landed));
    assert.notEqual(landed.background, "rgba(0, 0, 0, 0)", "the message is highlighted");
    await shot(page, "landed");

    // "/" focuses the header search box on any page; submitting it opens the search page.
    await page.keyboard.press("/");
    assert.equal(await page.evaluate(() => document.activeElement.name), "q");
    await page.keyboard.type("rr16");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    await page.waitForSelector(".search-hit");
    assert.match(await page.textContent("#search-status"), /^16 messages$/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
