// The tracking page refreshes its own list every 10 s from /track/<token>.json.
const url = `${location.pathname.replace(/\/$/, '')}.json`;
const LABEL = { queued: 'Queued', scheduled: 'Scheduled', sending: 'Sending', sent: 'Sent', delivered: 'Delivered', undelivered: 'Not delivered', failed: 'Failed', expired: 'Expired', canceled: 'Canceled' };

function render(messages) {
  const list = document.getElementById('messages');
  const items = messages.map((m) => {
    const li = document.createElement('li');
    li.className = `msg status-${m.status}`;
    const h = document.createElement('h2');
    h.textContent = m.to;
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = LABEL[m.status] ?? m.status;
    h.append(' ', badge);
    const ol = document.createElement('ol');
    ol.className = 'steps';
    for (const s of m.steps) {
      const step = document.createElement('li');
      const t = document.createElement('time');
      t.dateTime = s.at;
      t.textContent = `${new Date(s.at).toUTCString().slice(17, 25)} UTC`;
      step.append(t, ' ', s.label);
      ol.append(step);
    }
    li.append(h, ol);
    return li;
  });
  list.replaceChildren(...items);
}

setInterval(async () => {
  const res = await fetch(url, { cache: 'no-store' }).catch(() => null);
  if (res?.ok) render((await res.json()).messages);
}, 10_000);
