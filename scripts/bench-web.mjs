// Load for the Web SDK routes: POSTs Web-SDK-shaped batches to /v3/JS/{key}/events
// (text/plain, mpid as a string, a fresh source_request_id each) or IDSync identify
// calls to /v1/identify (x-mp-key), from CONCURRENCY workers for DURATION seconds, and
// prints requests per second and latency percentiles as one JSON line.
//
// Environment: BRAID_URL, WEB_KEY, MODE (events | identify), DURATION (s),
// CONCURRENCY, USERS, ORIGIN (sent as the page origin).
import { randomUUID } from 'node:crypto';

const url = process.env.BRAID_URL || 'http://127.0.0.1:8080';
const key = process.env.WEB_KEY;
const mode = process.env.MODE || 'events';
const duration = Number(process.env.DURATION || 20) * 1000;
const concurrency = Number(process.env.CONCURRENCY || 32);
const users = Number(process.env.USERS || 10000);
const origin = process.env.ORIGIN || 'https://shop.example.com';

function batch(i) {
  const user = i % users;
  const now = Date.now();
  return JSON.stringify({
    source_request_id: randomUUID(),
    mpid: String(1000000 + user),
    timestamp_unixtime_ms: now,
    environment: 'production',
    mp_deviceid: `das-${user}`,
    sdk_version: '2.68.0',
    device_info: { platform: 'web' },
    user_identities: { customer_id: `web-${user}` },
    user_attributes: { plan: i % 10 === 0 ? `plan-${i}` : 'gold' },
    events: [
      { event_type: 'custom_event', data: { event_name: 'Clicked', custom_event_type: 'other', timestamp_unixtime_ms: now, session_uuid: 's', custom_attributes: { n: String(i % 7) } } },
      { event_type: 'screen_view', data: { screen_name: 'Home', timestamp_unixtime_ms: now } },
    ],
  });
}

function identify(i) {
  return JSON.stringify({
    client_sdk: { platform: 'web', sdk_vendor: 'mparticle', sdk_version: '2.68.0' },
    context: null, environment: 'production', request_id: randomUUID(),
    request_timestamp_ms: Date.now(), previous_mpid: null,
    known_identities: { customerid: `web-${i % users}`, device_application_stamp: `das-${i % users}` },
  });
}

const latencies = [];
const statuses = {};
let sent = 0;
const end = Date.now() + duration;
async function worker() {
  while (Date.now() < end) {
    const i = sent++;
    const started = performance.now();
    const response = mode === 'identify'
      ? await fetch(`${url}/v1/identify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mp-key': key, origin }, body: identify(i) })
      : await fetch(`${url}/v3/JS/${key}/events`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', origin }, body: batch(i) });
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    statuses[response.status] = (statuses[response.status] || 0) + 1;
  }
}
const started = Date.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2));
console.log(JSON.stringify({
  mode, concurrency, seconds, requests: latencies.length,
  per_second: Math.round(latencies.length / seconds), statuses,
  latency_ms: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: pct(1) },
}));
