// The remaining pages: the DSR audit trail and the settings (secrets redacted), and the
// overview on a phone-sized screen without sideways scrolling.
import { env, withPage, signIn, shot } from './lib.mjs';

await withPage(async (page) => {
  const result = {};
  await signIn(page, '/dsr');
  const row = page.locator(`tr[data-request="${process.env.DSR_ID}"]`);
  await row.waitFor();
  result.dsrRow = (await row.textContent()).replace(/\s+/g, ' ').trim();
  await shot(page, 'dsr');
  await page.goto(`${env.base}/settings`);
  result.settings = await page.locator('#settings').textContent();
  await shot(page, 'settings');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.base}/`);
  result.phoneOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: new URL('../../docs/console/overview-phone.png', import.meta.url).pathname });
  return result;
});
