// User look-up: find a user by an identity and see attributes and memberships.
import { env, withPage, signIn, shot } from './lib.mjs';

await withPage(async (page) => {
  await signIn(page, '/users');
  await page.getByLabel('Look up by').selectOption('customer_id');
  await page.getByLabel('Value').fill(process.env.CUSTOMER_ID);
  await Promise.all([page.waitForURL(/value=/), page.getByRole('button', { name: 'Look up' }).click()]);
  await page.waitForSelector('#attribute-table');
  const attributes = Object.fromEntries(await page.locator('#attribute-table tbody tr').evaluateAll((rows) =>
    rows.map((r) => [r.cells[0].textContent.trim(), r.cells[1].textContent.trim()])));
  const memberships = await page.locator('#membership-table tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({ audience: Number(r.dataset.audience), text: r.textContent.replace(/\s+/g, ' ').trim() })));
  const heading = (await page.locator('#who').textContent()).trim();
  await shot(page, 'user-lookup');
  await page.getByLabel('Value').fill('nobody-has-this');
  await Promise.all([page.waitForURL(/nobody/), page.getByRole('button', { name: 'Look up' }).click()]);
  const missing = (await page.getByRole('alert').textContent()).trim();
  return { heading, attributes, memberships, missing };
});
