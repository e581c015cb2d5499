// Shared steps of the console's browser tests: sign in, screenshots, sending mParticle
// batches, printing the result. Inputs come from environment variables set by the Rust
// test (crates/braid-server/tests/console.rs).
import { launchBrowser } from '../browser.mjs';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const env = {
  base: process.env.BRAID_URL,
  adminKey: process.env.ADMIN_KEY,
  adminSecret: process.env.ADMIN_SECRET,
  inputKey: process.env.INPUT_KEY,
  inputSecret: process.env.INPUT_SECRET,
};

/** Generous: the machine running the tests may be very loaded. */
export const WAIT = 90_000;

const shots = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/console');

/** A browser and a 1280 px wide page; `run(page, context)` returns the result to print. */
export async function withPage(run, { width = 1280, height = 900 } = {}) {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    const result = await run(page, context, browser);
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

/** Sign in through the form; lands on `next` (default the overview). */
export async function signIn(page, next = '/') {
  await page.goto(`${env.base}${next}`);
  await page.waitForURL(/\/login/);
  await page.getByLabel('Admin key').fill(env.adminKey);
  await page.getByLabel('Admin secret').fill(env.adminSecret);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/login')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** A full-page screenshot into docs/console/<name>.png. */
export async function shot(page, name) {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Send one mParticle batch (or, to a bulk route, a list) with the input credentials;
 * the status. */
export async function sendBatch(batch, route = '/v2/events') {
  const auth = Buffer.from(`${env.inputKey}:${env.inputSecret}`).toString('base64');
  const response = await fetch(`${env.base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
    body: JSON.stringify(batch),
  });
  return response.status;
}

/** A small batch for `customerId`: two attributes and one custom event. */
export function batch(customerId, eventName, attributes = { plan: 'gold', $FirstName: 'Ada' }) {
  return {
    environment: 'production',
    user_identities: { customer_id: customerId, email: `${customerId}@example.com` },
    user_attributes: attributes,
    events: [{ event_type: 'custom_event', data: { event_name: eventName, custom_event_type: 'other' } }],
  };
}
