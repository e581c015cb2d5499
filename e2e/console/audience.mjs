// Audiences: create one in the form, see a validation error at its field, fix it, and
// watch the backfill job finish; then the list shows it with its member count.
import { env, withPage, signIn, shot, WAIT } from './lib.mjs';

await withPage(async (page) => {
  const result = {};
  await signIn(page, '/audiences/new');
  await page.getByLabel('Id', { exact: true }).fill(process.env.AUDIENCE_ID);
  await page.getByLabel('Name', { exact: true }).fill('Gold plan');
  await page.getByLabel('Criteria (JSON)').fill('{"attribute": {"key": "plan", "op": "resembles", "value": "gold"}}');
  await page.getByRole('button', { name: 'Create audience' }).click();
  const error = page.locator('#criteria-error');
  await error.waitFor();
  result.fieldError = (await error.textContent()).trim();
  result.criteriaInvalid = await page.getByLabel('Criteria (JSON)').getAttribute('aria-invalid');
  result.describedBy = await page.getByLabel('Criteria (JSON)').getAttribute('aria-describedby');
  await shot(page, 'audience-form-error');

  await page.getByLabel('Criteria (JSON)').fill('{"attribute": {"key": "plan", "op": "equals", "value": "gold"}}');
  await Promise.all([
    page.waitForURL(new RegExp(`/audiences/${process.env.AUDIENCE_ID}\\?saved`)),
    page.getByRole('button', { name: 'Create audience' }).click(),
  ]);
  await page.waitForSelector('tr.job[data-done="true"]', { timeout: WAIT });
  result.job = (await page.locator('tr.job').first().textContent()).replace(/\s+/g, ' ').trim();
  await shot(page, 'audience-detail');

  await page.goto(`${env.base}/audiences`);
  const row = page.locator(`tr[data-audience="${process.env.AUDIENCE_ID}"]`);
  // Member counts come from a background census; the page refreshes until it is in.
  await page.waitForFunction(
    (id) => {
      const r = document.querySelector(`tr[data-audience="${id}"]`);
      return r && r.cells[4].textContent.trim() !== '…' && !document.querySelector('#census[data-refresh]');
    },
    process.env.AUDIENCE_ID,
    { timeout: WAIT },
  );
  await page.reload();
  result.listed = (await row.textContent()).replace(/\s+/g, ' ').trim();
  result.members = Number((await row.locator('td').nth(4).textContent()).replace(/,/g, ''));
  await shot(page, 'audiences');
  return result;
});
