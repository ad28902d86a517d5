// The console in real headless Chromium (docs/console.md): log in with the token, open a
// window from the form, see its countdown fall, extend it, close it, see the audit records
// arrive over the live feed, approve and reject intents a submitter sent (the approved one
// opens its window); then a viewer's console shows the same with every action disabled or
// hidden. A screenshot of each view goes to MADRE_SCREENSHOT_DIR.
// Run by run.sh (which starts madre); every wait is bounded, nothing asserts on timing.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const url = process.env.MADRE_URL;
const token = process.env.MADRE_TOKEN;
const shots = process.env.MADRE_SCREENSHOT_DIR;
const viewerToken = process.env.MADRE_VIEWER_TOKEN;
const submitterToken = process.env.MADRE_SUBMITTER_TOKEN;
assert.ok(url && token && shots && viewerToken && submitterToken,
  'MADRE_URL, MADRE_TOKEN, MADRE_VIEWER_TOKEN, MADRE_SUBMITTER_TOKEN and MADRE_SCREENSHOT_DIR are needed');
fs.mkdirSync(shots, { recursive: true });

const WAIT = 60_000;
const step = (what) => console.log(`--- ${what}`);
const secondsOf = (text) => {
  const parts = text.trim().split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
};

// An intent sent as a component would (node's fetch, not the page's): its id.
const submitIntent = async (reason) => {
  const answer = await fetch(`${url}/madre/intent`, {
    method: 'POST',
    headers: { 'X-VX11-Token': submitterToken, 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'window', payload: { services: ['web'], ttl_sec: 300, reason } }),
  });
  const body = await answer.json();
  assert.equal(answer.status, 200, JSON.stringify(body));
  assert.equal(body.status, 'pending', 'without policy rules every intent waits for approval');
  return body.intent_id;
};

const browser = await chromium.launch({
  executablePath: process.env.MADRE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems = [];
  // Script errors; an answer's status (the wrong token's 403, no build history's 404) is the
  // page's to show, not an error of the page.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });

  step('the console loads with its security headers');
  const answer = await page.goto(`${url}/ui/`);
  assert.equal(answer.status(), 200);
  const headers = answer.headers();
  assert.match(headers['content-security-policy'], /default-src 'self'/);
  assert.equal(headers['x-frame-options'], 'DENY');

  step('a wrong token is refused');
  await page.fill('#token', 'not-the-token');
  await page.click('#login-button');
  await page.waitForSelector('#login-error:has-text("not accepted")', { timeout: WAIT });

  step('log in');
  await page.fill('#token', token);
  await page.click('#login-button');
  await page.waitForSelector('#who:has-text("default (admin)")', { timeout: WAIT });
  assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('madre.token')), token);
  await page.waitForSelector('body[data-stream="live"]', { timeout: WAIT });

  step('open a window from the form');
  await page.waitForSelector('#open-services input[value="web"]', { timeout: WAIT });
  await page.check('#open-services input[value="web"]');
  await page.fill('#open-ttl', '120');
  await page.fill('#open-reason', 'browser test');
  await page.click('#open-button');
  const row = page.locator('#windows-table tr.window-row').first();
  await row.waitFor({ timeout: WAIT });
  await page.waitForSelector('#windows-table tr.window-row[data-state="open"]', { timeout: 120_000 });
  await page.screenshot({ path: path.join(shots, 'windows.png'), fullPage: true });

  step('the countdown falls');
  const countdown = row.locator('.countdown');
  const first = secondsOf(await countdown.textContent());
  assert.ok(first > 0 && first <= 120, `countdown ${first}`);
  await page.waitForFunction(
    (start) => {
      const cell = document.querySelector('#windows-table tr.window-row .countdown');
      const [m, s] = cell.textContent.trim().split(':').map(Number);
      return m * 60 + s < start;
    }, first, { timeout: WAIT });

  step('extend it (+5 min)');
  const before = secondsOf(await countdown.textContent());
  await row.locator('button.extend').click();
  await page.waitForFunction(
    (was) => {
      const cell = document.querySelector('#windows-table tr.window-row .countdown');
      const [m, s] = cell.textContent.trim().split(':').map(Number);
      return m * 60 + s > was + 200;
    }, before, { timeout: WAIT });

  step('the services view: states and the dependency graph');
  await page.click('.tab[data-view="services"]');
  await page.waitForSelector('#services-table tr[data-service="web"]', { timeout: WAIT });
  await page.waitForSelector('#graph svg g.node[data-service="db"]', { timeout: WAIT });
  assert.equal(await page.locator('#graph svg path.edge').count(), 1, 'web -> db');
  await page.screenshot({ path: path.join(shots, 'services.png'), fullPage: true });

  step('close it');
  await page.click('.tab[data-view="windows"]');
  await row.locator('button.close').click();
  await page.waitForSelector('#history-table td:has-text("manual_close")', { timeout: 120_000 });

  step('the audit records arrive over the live feed');
  await page.click('.tab[data-view="audit"]');
  for (const action of ['window.open', 'window.extend', 'window.close']) {
    await page.waitForSelector(`#audit-table tr.audit-row[data-action^="${action}"]`, { timeout: WAIT });
  }
  await page.fill('#filter-action', 'window.extend');
  const shown = await page.locator('#audit-table tr.audit-row').evaluateAll(
    (rows) => rows.map((r) => r.dataset.action));
  assert.ok(shown.length > 0 && shown.every((a) => a.includes('window.extend')), shown.join(','));
  await page.fill('#filter-action', '');
  await page.screenshot({ path: path.join(shots, 'audit.png'), fullPage: true });

  step('intents and builds');
  await page.click('.tab[data-view="intents"]');
  await page.waitForSelector('#intents-table tbody tr', { timeout: WAIT });
  await page.screenshot({ path: path.join(shots, 'intents.png'), fullPage: true });
  await page.click('.tab[data-view="builds"]');
  await page.waitForSelector('#builds-table tbody tr', { timeout: WAIT });
  await page.screenshot({ path: path.join(shots, 'builds.png'), fullPage: true });

  step('approve one intent and reject another in the queue');
  const approveMe = await submitIntent('approve me');
  const rejectMe = await submitIntent('reject me');
  await page.click('.tab[data-view="windows"]');
  await page.click('.tab[data-view="intents"]');
  const approveRow = page.locator(`#intents-table tr[data-intent="${approveMe}"]`);
  const rejectRow = page.locator(`#intents-table tr[data-intent="${rejectMe}"]`);
  await approveRow.locator('button:has-text("Approve")').click({ timeout: WAIT });
  await page.waitForSelector(`#intents-table tr[data-intent="${approveMe}"] td.state-succeeded`,
    { timeout: 120_000 });
  await rejectRow.locator('button:has-text("Reject")').click({ timeout: WAIT });
  await page.waitForSelector(`#intents-table tr[data-intent="${rejectMe}"] td.state-rejected`,
    { timeout: WAIT });
  assert.equal(await rejectRow.locator('button').count(), 0, 'a decided intent has no buttons');
  await page.screenshot({ path: path.join(shots, 'intents-decided.png'), fullPage: true });
  step('the approved intent opened its window');
  await page.click('.tab[data-view="windows"]');
  await page.waitForSelector('#windows-table tr.window-row[data-state="open"]', { timeout: WAIT });

  step('a viewer sees everything and can do nothing');
  const pendingForViewer = await submitIntent('left pending');
  const viewer = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  viewer.on('pageerror', (e) => problems.push(String(e)));
  viewer.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  await viewer.goto(`${url}/ui/`);
  await viewer.fill('#token', viewerToken);
  await viewer.click('#login-button');
  await viewer.waitForSelector('#who:has-text("watcher (viewer)")', { timeout: WAIT });
  await viewer.waitForSelector('#windows-table tr.window-row[data-state="open"]', { timeout: WAIT });
  const viewerRow = viewer.locator('#windows-table tr.window-row[data-state="open"]').first();
  for (const button of ['button.extend', 'button.hold', 'button.close']) {
    assert.equal(await viewerRow.locator(button).isDisabled(), true, `${button} is disabled`);
  }
  assert.equal(await viewer.locator('#open-form').isVisible(), false, 'no open form');
  await viewer.click('.tab[data-view="intents"]');
  await viewer.waitForSelector(`#intents-table tr[data-intent="${pendingForViewer}"] td.state-pending`,
    { timeout: WAIT });
  assert.equal(await viewer.locator('#intents-table button').count(), 0, 'no approve or reject');
  await viewer.screenshot({ path: path.join(shots, 'viewer.png'), fullPage: true });

  assert.deepEqual(external, [], 'the page fetched nothing but madre');
  assert.deepEqual(problems, [], 'no script error');
  console.log(`console browser test: ok (screenshots in ${shots})`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
