// Live stream: a batch sent while the page is open appears with its Braze objects and
// their data-point cost; the user filter hides other users' batches; batches that send
// nothing say why (anonymous, historical, unchanged).
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

  // Filtered by event name: three batches Braze gets nothing from.
  await page.goto(`${env.base}/stream?event=Offline+Event`);
  await page.waitForSelector('body[data-stream="connected"]', { timeout: WAIT });
  const offline = { event_type: 'custom_event', data: { event_name: 'Offline Event', custom_event_type: 'other' } };
  result.anonymousStatus = await sendBatch({ environment: 'production', user_identities: { other: 'anon-1' }, events: [offline] });
  result.historicalStatus = await sendBatch([{ environment: 'production', user_identities: { customer_id: 'old-1' }, events: [offline] }], '/v2/bulkevents/historical');
  await page.locator('li.batch').nth(1).waitFor({ timeout: WAIT });
  result.reasons = await page.locator('li.batch .not-forwarded').evaluateAll((ps) => ps.map((p) => p.textContent.trim()));
  return result;
});
