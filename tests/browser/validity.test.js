// Every page of the sample site, and of sites built from the hand-made cases (hostile markup
// included), passes the Nu Html Checker (vnu-jar from npm; needs Java) with no errors.
// Run: cargo build && npm ci --prefix tests/browser && node --test tests/browser/validity.test.js
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { execFileSync, spawnSync } = require("node:child_process");
const { repo, build } = require("./helpers");

const CASES = ["slack/everything", "slack/incidents", "slack/hostile", "discord/guild", "mattermost/acme", "matrix/element", "irc/styles", "campfire/export", "jsonl/chat"];

function javaMissing() {
  const found = spawnSync("java", ["-version"]).status === 0;
  assert.ok(found || process.env.CI !== "true", "java is required under CI=true");
  return !found && "java not found";
}

test("every page type passes the Nu Html Checker", { skip: javaMissing() }, () => {
  const sites = [build(), ...CASES.map((c) => build(path.join(repo, "tests/cases", c), ["--keep-going"]))];
  // A page known to be invalid shows the checker is really checking.
  const control = fs.mkdtempSync(path.join(os.tmpdir(), "scrollback-vnu-"));
  fs.writeFileSync(path.join(control, "bad.html"), "<!doctype html><html lang=en><title>x</title><p></span>");
  const vnu = require("vnu-jar");
  const run = spawnSync("java", ["-jar", vnu, "--errors-only", "--skip-non-html", "--format", "json", control, ...sites], { encoding: "utf8", maxBuffer: 64 << 20 });
  const all = JSON.parse(run.stderr).messages;
  assert.ok(all.some((m) => m.url.endsWith("/bad.html")), "the invalid control page is reported");
  const messages = all.filter((m) => !m.url.endsWith("/bad.html"));
  const pages = sites.map((s) => execFileSync("find", [s, "-name", "*.html"], { encoding: "utf8" }).trim().split("\n").length);
  assert.ok(pages.reduce((a, b) => a + b) > 100, `${pages} pages checked`);
  assert.deepEqual(messages.map((m) => `${m.url}:${m.lastLine}: ${m.message}`), []);
});
