// Dead letters: the list shows what Braze refused and why; replay the selected one.
import { env, withPage, signIn, shot } from './lib.mjs';

await withPage(async (page) => {
  await signIn(page, '/dead-letters');
  const rows = page.locator('#dead-letter-table tbody tr');
  const before = await rows.count();
  const reasons = await rows.evaluateAll((rs) => rs.map((r) => r.cells[2].textContent.trim()));
  await shot(page, 'dead-letters');
  const first = rows.first();
  const replayedId = Number(await first.getAttribute('data-dead-letter'));
  await first.getByRole('checkbox').check();
  await Promise.all([page.waitForURL(/replayed=/), page.getByRole('button', { name: 'Replay selected' }).click()]);
  const notice = (await page.getByRole('status').first().textContent()).trim();
  return { before, reasons, replayedId, notice };
});
