// The site as people use it, in headless Chromium: a reader's tour of every page type, dark
// mode, phone width, keyboard use, axe-core, no JavaScript, and a subdirectory base URL.
// Screenshots of every page type go to target/browser/ for a person to look at.
// Run: cargo build && npm ci --prefix tests/browser && node --test tests/browser/
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { build, serve, launch, shot, watchErrors } = require("./helpers");

// One page of each type in the sample site.
const PAGES = {
  home: "",
  channel: "c/ops/",
  day: "c/ops/2014/01/17/",
  incidents: "incidents/",
  incident: "incidents/2014-01-17-ops-1711/",
  search: "search/?q=replica",
};

let site, browser;
test.before(async () => {
  site = build();
  browser = await launch();
});
test.after(async () => {
  await browser.close();
});

/** Opens a page on a fresh server for `site` under `prefix`; closes both after `body`. */
async function withServer(prefix, body) {
  const { server, base } = await serve(site, prefix);
  try {
    await body(base);
  } finally {
    server.close();
  }
}

/** Relative luminance of a CSS rgb() colour, 0 (black) to 1 (white). */
function luminance(rgb) {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Where the element with this id is, and whether it is the highlighted :target. */
function landing(page, id) {
  return page.evaluate((id) => {
    const el = document.getElementById(id);
    const r = el.getBoundingClientRect();
    return { target: el.matches(":target"), background: getComputedStyle(el).backgroundColor, visible: r.top >= 0 && r.top < innerHeight };
  }, id);
}

test("a reader's tour: home, channel, day, thread, incident timeline, permalinks", async () => {
  await withServer("/", async (base) => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(base);
    await shot(page, "home");
    await Promise.all([page.waitForNavigation(), page.click('a.channel-name[href="c/ops/"]')]);
    assert.equal(await page.textContent("h1"), "#ops");
    await shot(page, "channel");
    await Promise.all([page.waitForNavigation(), page.click('a[href$="/2014/01/17/"]')]);
    assert.match(await page.textContent("h1"), /^#ops/);
    assert.equal(await page.locator("article.msg").count() > 20, true);
    await shot(page, "day");

    // Threads are open and can be folded away and back.
    const thread = page.locator("details.thread").first();
    const reply = thread.locator(".replies article.msg").first();
    assert.equal(await reply.isVisible(), true);
    await thread.locator("summary").click();
    assert.equal(await reply.isVisible(), false);
    await thread.locator("summary").click();
    assert.equal(await reply.isVisible(), true);

    // An incident's timeline links land on the message, scrolled into view and highlighted.
    await page.goto(base + PAGES.incident);
    await shot(page, "incident");
    for (const kind of ["acknowledged", "resolved"]) {
      await page.goto(base + PAGES.incident);
      await Promise.all([page.waitForNavigation(), page.click(`li.tl-${kind} a`)]);
      const id = new URL(page.url()).hash.slice(1);
      assert.match(id, /^m-\d+$/);
      const landed = await landing(page, id);
      assert.ok(landed.target && landed.visible, `${kind}: ${JSON.stringify(landed)}`);
      assert.notEqual(landed.background, "rgba(0, 0, 0, 0)", "the message is highlighted");
    }
    await shot(page, "permalink");

    // A message's own permalink is its time; following it lands the same way.
    const permalink = page.locator("article.msg a.permalink").nth(5);
    const href = await permalink.getAttribute("href");
    await permalink.click();
    await page.waitForFunction((h) => location.hash === h.slice(h.indexOf("#")), href);
    const landed = await landing(page, href.split("#")[1]);
    assert.ok(landed.target && landed.visible, JSON.stringify(landed));

    await page.goto(base + PAGES.incidents);
    await shot(page, "incidents");
    await page.goto(base + PAGES.search);
    await page.waitForSelector(".search-hit");
    await shot(page, "search");
    assert.deepEqual(errors, []);
    await page.close();
  });
});

test("dark mode and phone width: every page type is dark, and nothing scrolls sideways", async () => {
  await withServer("/", async (base) => {
    for (const [scheme, viewport] of [["dark", { width: 1100, height: 900 }], ["light", { width: 390, height: 844 }]]) {
      const context = await browser.newContext({ colorScheme: scheme, viewport, isMobile: viewport.width < 500 });
      const page = await context.newPage();
      const errors = watchErrors(page);
      for (const [name, url] of Object.entries(PAGES)) {
        await page.goto(base + url);
        const look = await page.evaluate(() => ({
          background: getComputedStyle(document.body).backgroundColor,
          text: getComputedStyle(document.body).color,
          overflow: document.documentElement.scrollWidth - innerWidth,
        }));
        if (scheme === "dark") {
          assert.ok(luminance(look.background) < 0.05 && luminance(look.text) > 0.5, `${name}: ${JSON.stringify(look)}`);
          await shot(page, `${name}-dark`);
        } else {
          assert.ok(look.overflow <= 0, `${name} is ${look.overflow}px wider than a phone`);
          await shot(page, `${name}-phone`);
        }
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  });
});

test("axe-core finds no serious or critical violations on any page type, light or dark", async () => {
  const axe = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  await withServer("/", async (base) => {
    for (const scheme of ["light", "dark"]) {
      // The pages forbid inline scripts; axe is injected around that.
      const context = await browser.newContext({ colorScheme: scheme, bypassCSP: true });
      const page = await context.newPage();
      for (const [name, url] of Object.entries(PAGES)) {
        await page.goto(base + url);
        if (name === "search") await page.waitForSelector(".search-hit");
        await page.addScriptTag({ content: axe });
        const violations = await page.evaluate(async () => {
          const result = await window.axe.run(document, { resultTypes: ["violations"] });
          return result.violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
        });
        assert.deepEqual(violations, [], `${name} (${scheme})`);
      }
      await context.close();
    }
  });
});

test("keyboard: the skip link comes first, focus is always visible", async () => {
  await withServer("/", async (base) => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(base + PAGES.day);
    await page.keyboard.press("Tab");
    const skip = await page.evaluate(() => {
      const el = document.activeElement;
      const r = el.getBoundingClientRect();
      return { text: el.textContent, visible: r.top >= 0 && r.bottom <= innerHeight && r.width > 0 };
    });
    assert.deepEqual(skip, { text: "Skip to content", visible: true });
    await page.keyboard.press("Enter");
    assert.equal(new URL(page.url()).hash, "#main");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.closest("main") !== null), true, "the next stop is in the content");
    // Every focus stop on the page shows where it is.
    for (let i = 0; i < 25; i++) {
      const focus = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement);
        return { tag: document.activeElement.outerHTML.slice(0, 60), outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0, shadow: s.boxShadow !== "none" };
      });
      assert.ok(focus.outline || focus.shadow, `no focus style on ${focus.tag}`);
      await page.keyboard.press("Tab");
    }
    await page.close();
  });
});

test("without JavaScript, history and incident pages are fully readable", async () => {
  await withServer("/", async (base) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(base + PAGES.day);
    const html = fs.readFileSync(`${site}/${PAGES.day}index.html`, "utf8");
    const articles = (html.match(/<article /g) || []).length;
    assert.equal(await page.locator("article.msg").count(), articles);
    assert.equal(await page.locator("details.thread .replies article.msg").first().isVisible(), true);
    assert.match(await page.locator("article.msg time").first().textContent(), /^\d\d:\d\d$/, "times are written in the page");
    await page.goto(base + PAGES.incident);
    assert.equal(await page.locator("ol.timeline li").count(), 12);
    assert.equal(await page.locator(".conversation-lines li").first().isVisible(), true);
    await page.goto(base + PAGES.search);
    assert.match(await page.textContent("main"), /Searching needs JavaScript/);
    await shot(page, "search-no-js");
    await context.close();
  });
});

test("from a subdirectory base URL, every link, asset and search works", async () => {
  await withServer("/project/", async (base) => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(base);
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector(".skip-link")).position), "absolute", "the stylesheet loads");
    await Promise.all([page.waitForNavigation(), page.click('a.channel-name[href="c/ops/"]')]);
    await Promise.all([page.waitForNavigation(), page.click('a[href$="/2014/01/17/"]')]);
    await Promise.all([page.waitForNavigation(), page.locator("a.incident-badge").first().click()]);
    assert.match(page.url(), /\/project\/incidents\/2014-01-17-ops-1711\/$/);
    await page.keyboard.press("/");
    await page.keyboard.type("rr16");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    await page.waitForSelector(".search-hit");
    assert.match(page.url(), /\/project\/search\/\?q=rr16$/);
    assert.equal(await page.textContent("#search-status"), "16 messages");
    await Promise.all([page.waitForNavigation(), page.locator(".search-hit a").first().click()]);
    assert.match(page.url(), /\/project\/c\/[a-z-]+\/\d{4}\/\d\d\/\d\d\/#m-\d+$/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
