// berth's web UI in a real browser: Debian's Chromium driven by playwright-core.
//
//   node e2e.mjs   with BERTH_URL (http://127.0.0.1:PORT), BERTH_USER/BERTH_PASSWORD (may delete),
//                  BERTH_UI_ARTIFACTS (where the screenshots go) and BERTH_UI_EXPECT (JSON: the
//                  repositories and tags test_ui_browser.py pushed).
//
// Walks the pages as a user would: the repository list (anonymous, then logged in), search as
// you type, a repository's tags, copying the pull command, an image's details, logging in and
// out, deleting a tag, a refused delete, the keyboard, a phone-sized screen and dark mode.
// Throughout, the page must cause no Content-Security-Policy violation and no script error.
// Exits non-zero on the first failed check, naming it.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const base = process.env.BERTH_URL;
const user = process.env.BERTH_USER;
const password = process.env.BERTH_PASSWORD;
const artifacts = process.env.BERTH_UI_ARTIFACTS;
const expect = JSON.parse(process.env.BERTH_UI_EXPECT);
const host = new URL(base).host;
fs.mkdirSync(artifacts, { recursive: true });
for (const name of fs.readdirSync(artifacts)) {
  if (name.endsWith(".png")) fs.rmSync(path.join(artifacts, name));
}

const step = (name) => console.error(`[ui-e2e] ${name}`);
const problems = [];

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "berth-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout: 120_000,
    viewport: { width: 1280, height: 800 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context.setDefaultTimeout(30_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  // Runs before any page script (and is exempt from the page's CSP): records violations.
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { context, profile };
}

function watch(page) {
  page.on("console", (message) => {
    const text = message.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.on("pageerror", (error) => problems.push(`script error: ${error.message}`));
  page.on("dialog", (dialog) => dialog.accept());
}

async function violations(page) {
  return page.evaluate(() => window.__violations);
}

async function repoNames(page) {
  await page.locator(".cards, .error").first().waitFor();
  return page.locator(".cards .name").allTextContents();
}

async function waitForNames(page, wanted) {
  const sorted = [...wanted].sort();
  await page.waitForFunction((names) => {
    const shown = [...document.querySelectorAll(".cards .name")].map((a) => a.textContent).sort();
    return JSON.stringify(shown) === JSON.stringify(names);
  }, sorted);
  return sorted;
}

async function tagsOnServer(repo) {
  const auth = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
  const response = await fetch(`${base}/v2/${repo}/tags/list`, { headers: { Authorization: auth } });
  return (await response.json()).tags || [];
}

async function listAndSearch(page) {
  step("repository list, anonymous");
  const response = await page.goto(base + "/");
  assert.equal(new URL(page.url()).pathname, "/ui/", "/ should lead to /ui/");
  assert.equal(response.headers()["content-security-policy"].includes("frame-ancestors 'none'"),
    true);
  await waitForNames(page, expect.public);
  assert.equal(await page.locator("#account a", { hasText: "Log in" }).count(), 1);
  await shot(page, "1-repositories");

  step("search as you type");
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement.id), "search",
    "'/' should focus the search field");
  await page.keyboard.type(expect.search.query, { delay: 40 });
  await waitForNames(page, expect.search.results);
  assert.match(page.url(), /#\/\?q=/);
  await shot(page, "2-search");
  // Keyboard only: Tab from the field reaches the first result, Enter opens it.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent),
    expect.search.results[0]);
  await page.keyboard.press("Enter");
  await page.waitForURL(/#\/repo\//);
}

async function tagsAndCopy(page) {
  step("a repository's tags");
  const { repo, tags } = expect.browse;
  await page.goto(`${base}/ui/#/repo/${encodeURIComponent(repo)}`);
  await page.locator("table.tags tbody tr").first().waitFor();
  const shown = await page.locator("table.tags tbody th").allTextContents();
  assert.deepEqual([...shown].sort(), [...tags].sort());
  const row = page.locator("table.tags tbody tr", { has: page.locator(`th a:text-is("${tags[0]}")`) });
  for (const label of ["Platforms", "Size", "Pushed", "Last pulled", "Digest"]) {
    const text = await row.locator(`td[data-label="${label}"]`).textContent();
    assert.ok(text.trim() && text !== "–", `${label} is empty: ${text}`);
  }
  assert.match(await row.locator('td[data-label="Platforms"]').textContent(), /linux\/amd64/);
  assert.equal(await row.locator("button.danger").count(), 0, "anonymous users cannot delete");
  await shot(page, "3-tags");

  step("copy the pull command");
  const wanted = `podman pull ${host}/${repo}:${tags[0]}`;
  assert.equal(await row.locator("input.pull").inputValue(), wanted);
  await row.locator("button.copy").click();
  await row.locator("button.copy", { hasText: "Copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), wanted);
  // The announcement is set a moment after the copy (so screen readers notice the change).
  await page.waitForFunction(() => document.getElementById("status").textContent !== "");
  assert.equal(await page.locator("#status").textContent(), "Pull command copied");
}

async function imageDetails(page) {
  step("an image's details");
  const { repo, tag, label, annotation, layers, referrer, entrypoint } = expect.image;
  await page.goto(`${base}/ui/#/repo/${encodeURIComponent(repo)}`);
  await page.locator(`table.tags a:text-is("${tag}")`).click();
  await page.waitForURL(/#\/image\//);
  await page.locator("table.layers").waitFor();
  assert.equal(await page.locator("h1").textContent(), `${repo}:${tag}`);
  assert.equal(await page.locator("table.layers tbody tr").count(), layers);
  assert.match(await page.locator("dl.facts-list").nth(1).textContent(), new RegExp(entrypoint));
  // A label chosen by whoever pushed stays text: no element is made from it.
  const labels = page.locator("table.kv").nth(0);
  assert.equal(await labels.locator("td").getByText(label.value, { exact: true }).count(), 1);
  assert.equal(await page.locator("img#injected").count(), 0);
  const annotations = page.locator("table.kv").nth(1);
  assert.equal(await annotations.getByText(annotation.key, { exact: true }).count(), 1);
  assert.match(await page.locator("table.referrers").textContent(), new RegExp(referrer));
  await shot(page, "4-image");
}

async function logIn(page) {
  step("log in");
  await page.goto(base + "/ui/");
  await page.locator("#account a", { hasText: "Log in" }).click();
  await page.locator("form.login").waitFor();
  await shot(page, "5-login");
  await page.fill("#user", user);
  await page.fill("#password", "wrong password");
  await page.keyboard.press("Enter");
  await page.locator("form.login .error", { hasText: "Wrong" }).waitFor();
  await page.fill("#password", password);
  await page.keyboard.press("Enter");
  await page.locator("#account strong", { hasText: user }).waitFor();
  assert.equal(await page.locator("#password").count(), 0);
  await waitForNames(page, [...expect.public, ...expect.private]);
  // The password is nowhere the page's scripts can reach; the cookie is HttpOnly.
  assert.equal(await page.evaluate(() => document.cookie), "");
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.ok(!storage.includes(password), "password kept in web storage");
  const cookies = await page.context().cookies(base);
  const session = cookies.find((c) => c.name === "berth_session");
  assert.ok(session && session.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
  await shot(page, "6-logged-in");
}

async function deleteTags(page) {
  step("delete a tag");
  const { repo, tag, keep } = expect.remove;
  await page.goto(`${base}/ui/#/repo/${encodeURIComponent(repo)}`);
  const button = page.getByRole("button", { name: `Delete tag ${tag}` });
  await button.click();
  await page.locator(`table.tags a:text-is("${tag}")`).waitFor({ state: "detached" });
  assert.deepEqual(await tagsOnServer(repo), [keep]);
  await shot(page, "7-deleted");

  step("a refused delete shows why");
  // The session ends behind the page's back (another tab logged out): the delete is refused.
  await page.evaluate(() => fetch("/zot/auth/logout", {
    method: "POST", headers: { "X-ZOT-API-CLIENT": "zot-ui" } }));
  await page.getByRole("button", { name: `Delete tag ${keep}` }).click();
  await page.locator("#flash .error", { hasText: "failed" }).waitFor();
  assert.deepEqual(await tagsOnServer(repo), [keep]);
  // The 401 makes the page ask whether the session still holds: the header says it ended.
  await page.locator("#flash .error", { hasText: "session has ended" }).waitFor();
  await page.locator("#account a", { hasText: "Log in" }).waitFor();
  await shot(page, "8-delete-refused");
}

async function logOut(page) {
  step("log out");
  await logInAgain(page);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.locator("#account a", { hasText: "Log in" }).waitFor();
  await page.goto(base + "/ui/#/");
  await waitForNames(page, expect.public);
  const cookies = await page.context().cookies(base);
  assert.equal(cookies.filter((c) => c.name === "berth_session" && c.value).length, 0);
}

async function logInAgain(page) {
  await page.goto(base + "/ui/#/login");
  await page.fill("#user", user);
  await page.fill("#password", password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("#account strong", { hasText: user }).waitFor();
}

async function phoneAndDark(context) {
  step("a phone-sized screen, dark");
  const page = await context.newPage();
  watch(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${base}/ui/#/repo/${encodeURIComponent(expect.browse.repo)}`);
  await page.locator("table.tags tbody tr").first().waitFor();
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(background, "rgb(255, 255, 255)", "dark mode keeps a white page");
  // No sideways scrolling on a phone.
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await shot(page, "9-phone-dark");
  assert.deepEqual(await violations(page), []);
  await page.close();
}

async function cspIsEnforced(page) {
  step("the CSP check itself can fail");
  // An inline style attribute is refused and reported: the watch above is not blind.
  await page.evaluate(() => {
    const probe = document.createElement("div");
    probe.setAttribute("style", "color: red");
    document.body.appendChild(probe);
  });
  await page.waitForFunction(() => window.__violations.length > 0);
}

const { context, profile } = await launch();
let failed = false;
try {
  const page = await context.newPage();
  watch(page);
  await listAndSearch(page);
  await tagsAndCopy(page);
  await imageDetails(page);
  await logIn(page);
  await deleteTags(page);
  await logOut(page);
  assert.deepEqual(await violations(page), [], "CSP violations");
  await phoneAndDark(context);
  assert.deepEqual(problems, [], "console");
  await cspIsEnforced(page);
  step("all checks passed");
} catch (error) {
  failed = true;
  console.error(`[ui-e2e] FAILED: ${error.stack || error}`);
  for (const page of context.pages()) {
    await shot(page, "failure").catch(() => {});
  }
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
if (failed && problems.length) console.error(`[ui-e2e] console problems: ${problems.join("; ")}`);
process.exit(failed ? 1 : 0);
