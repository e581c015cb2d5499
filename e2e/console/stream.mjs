// Live stream: a batch sent while the page is open appears with its Braze objects and
// their data-point cost; the user filter hides other users' batches.
import { env, withPage, signIn, shot, sendBatch, batch, WAIT } from './lib.mjs';

await withPage(async (page) => {
  const result = {};
  await signIn(page, '/stream?user=stream-1');
  await page.waitForSelector('body[data-stream="connected"]', { timeout: WAIT });
  result.otherStatus = await sendBatch(batch('stream-other', 'Stream Test'));
  result.status = await sendBatch(batch('stream-1', 'Stream Test'));
  const item = page.locator('li.batch', { hasText: 'Stream Test' }).first();
  await item.waitFor({ timeout: WAIT });
  result.text = (await item.textContent()).replace(/\s+/g, ' ').trim();
  await item.getByText('Braze objects').click();
  result.objects = await item.locator('tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({ array: r.cells[0].textContent.trim(), dataPoints: Number(r.cells[1].textContent.replace(/,/g, '')) })));
  // The other user's batch was sent first: if the filter let it through it would be here.
  result.shown = await page.locator('li.batch').count();
  result.shownUsers = await page.locator('li.batch').evaluateAll((items) => items.map((i) => i.textContent.includes('stream-other')));
  await shot(page, 'stream');
  return result;
});
