// Drives the official @mparticle/web-sdk (and, for SCENARIO=kit, the official Braze web
// kit) in Debian's chromium against a real braid. The page is served by this script on
// http://localhost:PAGE_PORT (or http://127.0.0.1:PAGE_PORT, an origin braid does not
// allow, for SCENARIO=refused). braid serves HTTPS with a certificate the Rust test
// generated; the browser context accepts it (ignoreHTTPSErrors), since the SDK sends its
// config and alias requests over https only.
//
// Environment: BRAID_PORT, WEB_KEY, PAGE_PORT, SCENARIO (shop | refused | kit).
// Prints one JSON object on its last line: what the page and the network saw.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, '..', 'node_modules');
const files = {
  '/page.html': [path.join(here, 'page.html'), 'text/html'],
  '/helpers.js': [path.join(here, 'helpers.js'), 'text/javascript'],
  '/vendor/mparticle.js': [path.join(modules, '@mparticle/web-sdk/dist/mparticle.js'), 'text/javascript'],
  '/vendor/braze-kit.js': [path.join(modules, '@mparticle/web-braze-kit/dist/BrazeKit.common.js'), 'text/javascript'],
};

const braidPort = process.env.BRAID_PORT;
const key = process.env.WEB_KEY;
const pagePort = Number(process.env.PAGE_PORT);
const scenario = process.env.SCENARIO || 'shop';
const braidHost = `127.0.0.1:${braidPort}`;
const pageHost = scenario === 'refused' ? `127.0.0.1:${pagePort}` : `localhost:${pagePort}`;
const pageOrigin = `http://${pageHost}`;

const server = http.createServer((req, res) => {
  const file = files[new URL(req.url, 'http://x').pathname];
  if (!file) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': file[1] });
  res.end(fs.readFileSync(file[0]));
});
await new Promise((resolve) => server.listen(pagePort, resolve));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, ms = 15000) {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const browser = await launchBrowser();
const out = { scenario, pageOrigin };
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const braidCalls = [];
  context.on('requestfinished', async (request) => {
    if (!request.url().includes(braidHost)) return;
    const response = await request.response();
    braidCalls.push({ method: request.method(), path: new URL(request.url()).pathname, status: response ? response.status() : null });
  });
  context.on('requestfailed', (request) => {
    if (!request.url().includes(braidHost)) return;
    braidCalls.push({ method: request.method(), path: new URL(request.url()).pathname, failed: request.failure()?.errorText || 'failed' });
  });
  // braid's answer to one events upload is replaced by a 503 after braid has committed
  // it: the SDK must keep the batch and send it again, and braid must take it once.
  let failNextUpload = false;
  const injected = [];
  await context.route(`https://${braidHost}/v3/JS/**`, async (route) => {
    if (!failNextUpload || route.request().method() !== 'POST') return route.continue();
    failNextUpload = false;
    const real = await route.fetch();
    injected.push({ braidStatus: real.status(), body: route.request().postData() });
    await route.fulfill({ status: 503, headers: { 'access-control-allow-origin': pageOrigin }, body: '' });
  });
  // The Braze endpoint of the kit scenario: record what the Braze web SDK sends.
  const brazeRequests = [];
  await context.route('https://braze-sdk.test/**', async (route) => {
    brazeRequests.push({ url: route.request().url(), body: route.request().postData() || '' });
    await route.fulfill({ status: 200, headers: { 'content-type': 'application/json', 'access-control-allow-origin': pageOrigin }, body: '{}' });
  });

  const page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${pageOrigin}/page.html${scenario === 'kit' ? '?kit=1' : ''}`);
  const uploads = () => braidCalls.filter((c) => c.method === 'POST' && c.path.endsWith('/events'));

  if (scenario === 'refused') {
    out.identify = await Promise.race([
      page.evaluate(([k, h]) => window.braidTest.init(k, h, { identifyRequest: { userIdentities: { customerid: 'refused-1' } } }), [key, braidHost]),
      sleep(5000).then(() => ({ timedOut: true })),
    ]);
    // The page itself cannot read braid's answer either.
    out.pageFetch = await page.evaluate(async (h) => {
      try {
        const r = await fetch(`https://${h}/v1/identify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mp-key': 'k' }, body: '{}' });
        return { status: r.status };
      } catch (e) {
        return { error: String(e) };
      }
    }, braidHost);
    out.braidCalls = braidCalls;
  } else if (scenario === 'kit') {
    out.identify = await page.evaluate(([k, h]) => window.braidTest.init(k, h, { identifyRequest: { userIdentities: { customerid: 'kit-web-1' } } }), [key, braidHost]);
    await page.evaluate(() => window.braidTest.shop());
    await until('the events upload', () => uploads().some((c) => c.status === 202));
    out.brazeInitialised = await page.evaluate(() => typeof window.braze === 'object' && typeof window.braze.getUser === 'function');
    out.brazeUserId = await page.evaluate(() => new Promise((resolve) => {
      const user = window.braze.getUser();
      if (!user) return resolve(null);
      const id = user.getUserId(resolve);
      if (id !== undefined) resolve(id);
    }));
    await page.evaluate(() => window.braze.requestImmediateDataFlush());
    await until('a request to the Braze endpoint', () => brazeRequests.some((r) => r.body.includes('api_key')));
    out.brazeRequests = brazeRequests.map((r) => ({ url: r.url, body: r.body.slice(0, 4000) }));
    out.uploads = uploads();
  } else {
    out.identify = await page.evaluate(([k, h]) => window.braidTest.init(k, h, { identifyRequest: { userIdentities: { customerid: 'web-u1', email: 'u1@example.com' } } }), [key, braidHost]);
    await page.evaluate(() => window.braidTest.shop());
    await until('the first upload', () => uploads().some((c) => c.status === 202));

    // The SDK's own retry after a 503.
    failNextUpload = true;
    await page.evaluate(() => window.braidTest.event('Retried Event'));
    await until('the injected 503', () => injected.length === 1);
    const before = uploads().filter((c) => c.status === 202).length;
    await until('the SDK to send the batch again', () => uploads().filter((c) => c.status === 202).length > before);
    out.injected = injected.map((i) => ({ braidStatus: i.braidStatus, sourceRequestId: JSON.parse(i.body).source_request_id }));

    out.logout = await page.evaluate(() => window.braidTest.identity('logout'));
    await page.evaluate(() => window.braidTest.event('Anonymous Browse'));
    const n = uploads().length;
    await until('the anonymous upload', () => uploads().length > n && uploads().at(-1).status === 202);
    out.loginBack = await page.evaluate(() => window.braidTest.identity('login', { customerid: 'web-u1', email: 'u1@example.com' }));
    out.alias = await page.evaluate(([s, d]) => window.braidTest.alias(s, d), [out.logout.mpid, out.loginBack.mpid]);
    out.login2 = await page.evaluate(() => window.braidTest.identity('login', { customerid: 'web-u2' }));
    out.modify = await page.evaluate(() => window.braidTest.identity('modify', { customerid: 'web-u2', email: 'u2@example.com' }));
    await page.evaluate(() => window.braidTest.event('As U2'));
    const m = uploads().length;
    await until('the last upload', () => uploads().length > m && uploads().at(-1).status === 202);
    out.beaconQueued = await page.evaluate(([u, mpid]) => window.braidTest.beacon(u, mpid, 'web-u2', 'Beacon Event'),
      [`https://${braidHost}/v3/JS/${key}/events`, out.login2.mpid]);
    const b = uploads().length;
    await until('the beacon', () => uploads().length > b);
    out.uploads = uploads();
  }
  out.configFetches = braidCalls.filter((c) => c.path.endsWith('/config'));
  out.pageErrors = consoleErrors;
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify(out));
