// The ledger: a batch sent twice costs data points once; the overview's table and
// chart show the second copy's points as saved.
import { env, withPage, signIn, shot, sendBatch, batch, WAIT } from './lib.mjs';

function readLedger(page) {
  return page.evaluate(() => {
    const row = document.querySelector('tr[data-kind="attributes"]');
    const chart = document.querySelector('figure[data-kind="attributes"]');
    return {
      tableSent: Number(row.querySelector('[data-sent]').dataset.sent),
      tableSaved: Number(row.querySelector('[data-saved]').dataset.saved),
      chartSent: Number(chart.dataset.sent),
      chartSaved: Number(chart.dataset.saved),
      caption: chart.querySelector('figcaption').textContent.trim(),
    };
  });
}

await withPage(async (page) => {
  const result = {};
  await signIn(page);
  result.before = await readLedger(page);
  const once = batch('ledger-1', 'Ledger Test', { plan: 'gold', tier: 'a', city: 'Paris' });
  result.firstStatus = await sendBatch(once);
  await page.waitForFunction(() => Number(document.querySelector('figure[data-kind="attributes"]').dataset.sent) > 0, null, { timeout: WAIT, polling: 500 });
  result.afterFirst = await readLedger(page);
  result.secondStatus = await sendBatch(once);
  await page.waitForFunction(() => Number(document.querySelector('figure[data-kind="attributes"]').dataset.saved) > 0, null, { timeout: WAIT, polling: 500 });
  await page.reload();
  result.afterSecond = await readLedger(page);
  await shot(page, 'overview');
  return result;
});
