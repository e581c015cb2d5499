// Sign-in: a wrong secret is refused, the right one sets an HttpOnly, SameSite=Strict,
// expiring session cookie; a cross-site form post without the token is refused and
// changes nothing; sign-out ends the session.
import http from 'node:http';
import { env, withPage, signIn, shot } from './lib.mjs';

/** Another origin whose page posts a form to braid's sign-out, as an attacker's would. */
function attackerSite() {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><form id="f" method="post" action="${env.base}/logout">
      <input type="hidden" name="csrf" value="guessed"></form>
      <script>document.getElementById('f').submit()</script>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

await withPage(async (page, context) => {
  const result = {};
  await page.goto(`${env.base}/`);
  result.redirectedTo = new URL(page.url()).pathname;
  await page.getByLabel('Admin key').fill(env.adminKey);
  await page.getByLabel('Admin secret').fill('not-the-secret');
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  result.wrongStatus = refused.status();
  result.wrongMessage = (await page.getByRole('alert').textContent()).trim();
  result.cookiesAfterWrong = (await context.cookies()).length;
  await shot(page, 'login');

  await signIn(page);
  result.landedOn = new URL(page.url()).pathname;
  result.heading = (await page.getByRole('heading', { level: 1 }).textContent()).trim();
  const cookie = (await context.cookies()).find((c) => c.name === 'braid_console');
  result.cookie = cookie && { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, expiresInS: Math.round(cookie.expires - Date.now() / 1000) };

  const attacker = await attackerSite();
  const evil = await context.newPage();
  const [attack] = await Promise.all([
    evil.waitForResponse((r) => r.url().startsWith(env.base) && r.request().method() === 'POST'),
    evil.goto(`http://127.0.0.1:${attacker.address().port}/`),
  ]);
  result.crossSiteStatus = attack.status();
  await evil.waitForLoadState();
  result.crossSiteMessage = (await evil.getByRole('alert').textContent()).trim();
  attacker.close();
  await page.goto(`${env.base}/`);
  result.stillSignedIn = new URL(page.url()).pathname === '/';

  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press('Tab');
  result.firstTab = await page.evaluate(() => document.activeElement.textContent.trim());
  await page.keyboard.press('Enter');
  result.afterSkip = await page.evaluate(() => document.activeElement.id);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
  await page.goto(`${env.base}/settings`);
  result.afterLogout = new URL(page.url()).pathname;
  return result;
});
