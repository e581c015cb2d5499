// braid console: the little script the pages need. No framework, nothing from elsewhere.
'use strict';

// Elements with data-refresh="N" are re-read from the same page every N seconds and
// swapped in place; a fresh copy without data-refresh stops the refreshing.
function refreshLoop(id, seconds) {
  setTimeout(async () => {
    try {
      const response = await fetch(location.href, { credentials: 'same-origin' });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
      const fresh = doc.getElementById(id);
      const current = document.getElementById(id);
      if (!fresh || !current) return;
      current.replaceWith(fresh);
      if (fresh.dataset.refresh) refreshLoop(id, Number(fresh.dataset.refresh));
    } catch (e) {
      refreshLoop(id, seconds * 2);
    }
  }, seconds * 1000);
}

// The live stream: server-sent events carry each batch as ready-made HTML.
function liveStream(list) {
  const status = document.getElementById('stream-status');
  const source = new EventSource(list.dataset.source);
  source.addEventListener('open', () => {
    status.textContent = 'connected: new batches appear at the top';
    document.body.dataset.stream = 'connected';
  });
  source.addEventListener('batch', (event) => {
    list.insertAdjacentHTML('afterbegin', event.data);
    while (list.children.length > 200) list.lastElementChild.remove();
  });
  source.addEventListener('lagged', (event) => {
    status.textContent = `${event.data} batches skipped: they arrived faster than this page can show`;
  });
  source.addEventListener('error', () => {
    status.textContent = 'disconnected: reconnecting…';
    document.body.dataset.stream = 'reconnecting';
  });
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('[data-refresh]').forEach((el) => {
    if (el.id) refreshLoop(el.id, Number(el.dataset.refresh));
  });
  const list = document.getElementById('stream');
  if (list && list.dataset.source) liveStream(list);
  document.querySelectorAll('[data-select-all]').forEach((box) => {
    box.addEventListener('change', () => {
      const form = box.closest('form');
      form.querySelectorAll(`input[type="checkbox"][name="${box.dataset.selectAll}"]`).forEach((c) => {
        c.checked = box.checked;
      });
    });
  });
  document.querySelectorAll('form[data-confirm]').forEach((form) => {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
