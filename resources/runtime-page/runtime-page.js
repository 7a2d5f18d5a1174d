// The runtime's progress and failure page: polls GET /api/runtime and shows its phase, step and log.
// Kept free of inline script so the page runs under a strict Content-Security-Policy.
'use strict';

const POLL_MS = 1000;
const TITLES = {
  checking: 'Checking the Python runtime…',
  'setting-up': 'Setting up the Python runtime…',
  starting: 'Starting the Python workers…',
  ready: 'The Python runtime is ready',
  failed: 'The Python runtime could not be set up',
};
const REASONS = {
  'first-run': 'First launch: UDF Studio is creating its Python runtime from the package index. This takes a minute or two.',
  repair: 'The Python runtime was broken; UDF Studio is repairing it.',
  update: 'The runtime\'s requirements changed; UDF Studio is updating it.',
  reset: 'UDF Studio is building the Python runtime again from scratch.',
};

// The window's session key (SESSION_KEY in src-shared/app-api.ts): a link opened during setup lands
// here with it in the fragment. It is kept in this origin's storage, as the window keeps it, once the
// engine confirms it: any site can send the browser here with a made-up key.
const KEY_FRAGMENT = '#session-key=';
const KEY_STORAGE = 'udf-studio-session-key';
const KEY_HEADER = 'x-udf-studio-session';
const KEY_SHAPE = /^[A-Za-z0-9_-]{20,200}$/;
const sessionHeaders = () => {
  const key = localStorage.getItem(KEY_STORAGE);
  return key ? { [KEY_HEADER]: key } : {};
};

async function adoptOfferedKey() {
  if (!location.hash.startsWith(KEY_FRAGMENT)) return;
  const key = location.hash.slice(KEY_FRAGMENT.length);
  history.replaceState(null, '', location.pathname + location.search);
  if (!KEY_SHAPE.test(key)) return;
  const response = await fetch('/api/session', { headers: { [KEY_HEADER]: key } }).catch(() => null);
  if (response && response.ok) localStorage.setItem(KEY_STORAGE, key);
}

const $ = (id) => document.getElementById(id);
let wasReady = null;

async function poll() {
  try {
    const response = await fetch('/api/runtime', { cache: 'no-store', headers: sessionHeaders() });
    show(await response.json());
  } catch (error) {
    $('step').textContent = `the engine does not answer (${error.message}); is UDF Studio still running?`;
  }
  setTimeout(poll, POLL_MS);
}

function show(status) {
  $('title').textContent = TITLES[status.phase] || status.phase;
  $('explain').textContent = status.phase === 'failed'
    ? 'Setup stopped. Once the problem below is fixed, choose "Reset runtime" to try again; "Copy diagnostics" gives the details for a bug report.'
    : REASONS[status.reason] || 'UDF Studio runs your UDFs in a Python runtime of its own.';
  $('step').textContent = status.phase === 'failed' ? '' : status.step;
  $('spinner').classList.toggle('stopped', status.phase === 'ready' || status.phase === 'failed');
  $('failure').hidden = status.phase !== 'failed';
  $('error').textContent = status.error ? `${status.error.code}: ${status.error.message}` : '';
  $('diagnostics').value = status.diagnostics;
  $('reset').disabled = !(status.phase === 'ready' || status.phase === 'failed');
  const log = $('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.textContent = status.log.join('\n');
  if (atBottom) log.scrollTop = log.scrollHeight;
  // Once a setup this page watched finishes, go to the app itself.
  if (status.phase === 'ready' && wasReady === false) location.replace('/');
  wasReady = status.phase === 'ready';
}

async function copyDiagnostics() {
  const text = $('diagnostics').value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = $('diagnostics');
    area.hidden = false;
    area.select();
    document.execCommand('copy');
    area.hidden = true;
  }
  $('copied').textContent = 'Copied.';
}

async function reset() {
  if (!confirm('Delete the Python runtime and build it again? This takes a minute or two.')) return;
  const response = await fetch('/api/runtime/reset', { method: 'POST', headers: sessionHeaders() });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    alert(body && body.error ? body.error.message : `reset failed (${response.status})`);
  }
  wasReady = false;
}

document.addEventListener('DOMContentLoaded', () => {
  $('copy').addEventListener('click', copyDiagnostics);
  $('reset').addEventListener('click', reset);
  adoptOfferedKey().then(poll);
});
