/**
 * The inspector's script, served at `/ui/assets/inspector.js`: the admin token (kept in `sessionStorage`, so it
 * lives as long as the tab), operator actions by `fetch` with `Authorization: Bearer`, and the live refresh of
 * the `#live` region. The token entered is also set as the `sw_read` cookie (`SameSite=Strict`), which the pages
 * accept as the read token; on the token-required page, entering it reloads the page. Server data reaches the
 * page only as server-escaped HTML or through `textContent`.
 */
export const INSPECTOR_JS = `(function () {
  'use strict';
  var TOKEN = 'sagaworks.adminToken';
  var OPERATOR = 'sagaworks.operator';
  var LIVE = 'sagaworks.live';
  var READ_COOKIE = 'sw_read';

  function get(key) { try { return sessionStorage.getItem(key) || ''; } catch (e) { return ''; } }
  function put(key, value) { try { if (value) { sessionStorage.setItem(key, value); } else { sessionStorage.removeItem(key); } } catch (e) { /* storage disabled */ } }

  function putCookie(value) {
    document.cookie = READ_COOKIE + '=' + encodeURIComponent(value) + '; Path=/; SameSite=Strict' + (value ? '' : '; Max-Age=0') + (location.protocol === 'https:' ? '; Secure' : '');
  }
  function tokenRequired() { return !!document.querySelector('[data-token-required]'); }

  function renderToken() {
    var form = document.getElementById('token-form');
    if (!form) return;
    form.classList.toggle('has-token', !!get(TOKEN) && !tokenRequired());
    var who = form.querySelector('[data-operator-name]');
    if (who) who.textContent = get(OPERATOR) || 'operator';
  }

  // A row of the waiting page has a result box of its own; the saga page has one for its whole panel.
  function show(kind, text, panel) {
    var box = (panel && panel.querySelector('.action-result')) || document.getElementById('action-result');
    if (!box) return;
    box.className = box.id ? kind : 'action-result ' + kind;
    box.textContent = text;
  }

  function messageOf(body) {
    if (!body || body.message === undefined) return 'no details';
    return Array.isArray(body.message) ? body.message.join('; ') : String(body.message);
  }

  function showPlan(plan) {
    if (!plan.applicable) { show('plan', 'Dry run: abort does not apply, the saga is ' + plan.status + '. Nothing was changed.'); return; }
    var lines = plan.compensations.map(function (c, i) { return (i + 1) + '. undo ' + c.step + ' (' + c.command + ')'; });
    show('plan', 'Dry run: abort would compensate, in this order:\\n' + (lines.length ? lines.join('\\n') : '(nothing: no step took effect yet)') + '\\nNothing was changed.');
  }

  var LABELS = { retry: 'Retry', abort: 'Abort', plan: 'Abort (dry run)', skip: 'Skip compensation', approve: 'Approve', reject: 'Reject' };
  var DECIDED = { approve: 'approved', reject: 'rejected' };

  function act(button) {
    var panel = button.closest('[data-saga]');
    var id = panel.getAttribute('data-saga');
    var action = button.getAttribute('data-action');
    var reasonField = panel.querySelector('[name=reason]');
    var reason = reasonField ? reasonField.value.trim() : '';
    // The API is mounted beside the pages: <prefix>/sagas next to <prefix>/ui.
    var url = new URL('../sagas/' + encodeURIComponent(id), document.baseURI).pathname;
    var body = reason ? { reason: reason } : {};
    var signal = panel.getAttribute('data-signal');
    if (DECIDED[action]) {
      if (!signal) { show('error', 'This step waits for no signal.', panel); return; }
      // The payload convention of the inspector: { decision, reason } (reason '' when none); the server adds by.
      url += '/signals/' + encodeURIComponent(signal);
      body = { payload: { decision: action, reason: reason } };
    }
    if (action === 'retry') url += '/retry';
    if (action === 'abort') url += '/abort';
    if (action === 'plan') url += '/abort?dryRun=true';
    if (action === 'skip') {
      var step = panel.querySelector('[name=step]');
      if (!step || !step.value) { show('error', 'No compensation to skip.', panel); return; }
      if (!reason) { show('error', 'A reason is required to skip a compensation: say what was done by hand.', panel); if (reasonField) reasonField.focus(); return; }
      url += '/steps/' + encodeURIComponent(step.value) + '/skip';
    }
    if (!get(TOKEN)) { show('error', 'Enter the admin token first (top right).', panel); var input = document.querySelector('#token-form input[name=token]'); if (input) input.focus(); return; }
    var headers = { 'Authorization': 'Bearer ' + get(TOKEN), 'Content-Type': 'application/json', 'Accept': 'application/json' };
    if (get(OPERATOR)) headers['X-Operator'] = get(OPERATOR);
    button.disabled = true;
    show('pending', LABELS[action] + '...', panel);
    fetch(url, { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (res) { return res.json().catch(function () { return {}; }).then(function (body) { return { status: res.status, ok: res.ok, body: body }; }); })
      .then(function (r) {
        button.disabled = false;
        if (!r.ok) {
          show('error', LABELS[action] + ' refused (' + r.status + '): ' + messageOf(r.body), panel);
          // 401: no token reached the server; 403: a wrong one (or actions disabled). Either way it is of no use.
          if (r.status === 401 || r.status === 403) { put(TOKEN, ''); renderToken(); }
          return;
        }
        if (action === 'plan') { showPlan(r.body); return; }
        if (DECIDED[action]) {
          var kept = r.body.outcome === 'kept';
          show('ok', (kept ? 'kept' : DECIDED[action]) + ': ' + r.body.reason, panel);
        } else {
          show('ok', LABELS[action] + ' done: the saga is now ' + r.body.status + '.', panel);
        }
        if (reasonField) reasonField.value = '';
        refresh();
      })
      .catch(function (error) { button.disabled = false; show('error', LABELS[action] + ' failed: ' + error, panel); });
  }

  function refresh() {
    var live = document.getElementById('live');
    if (!live) return Promise.resolve();
    return fetch(location.href, { headers: { 'Accept': 'text/html' }, credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        if (!text) return;
        var next = new DOMParser().parseFromString(text, 'text/html').getElementById('live');
        if (next) { live.innerHTML = next.innerHTML; live.setAttribute('data-refreshed', new Date().toISOString()); }
        var actions = new DOMParser().parseFromString(text, 'text/html').getElementById('action-buttons');
        var current = document.getElementById('action-buttons');
        if (actions && current) current.innerHTML = actions.innerHTML;
      })
      .catch(function () { /* the next tick tries again */ });
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.id !== 'token-form') return;
    event.preventDefault();
    var token = form.querySelector('input[name=token]');
    var name = form.querySelector('input[name=operator]');
    var value = token.value.trim();
    put(TOKEN, value);
    putCookie(value);
    if (name && name.value.trim()) put(OPERATOR, name.value.trim());
    token.value = '';
    renderToken();
    if (value && tokenRequired()) location.reload();
  });

  document.addEventListener('click', function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest('[data-forget-token]')) { event.preventDefault(); put(TOKEN, ''); putCookie(''); renderToken(); return; }
    var button = target.closest('button[data-action]');
    if (button) { event.preventDefault(); act(button); }
  });

  var toggle = document.getElementById('live-toggle');
  var main = document.querySelector('[data-refresh-ms]');
  if (toggle && main) {
    toggle.checked = get(LIVE) !== 'off';
    toggle.addEventListener('change', function () { put(LIVE, toggle.checked ? '' : 'off'); });
    var every = Number(main.getAttribute('data-refresh-ms')) || 5000;
    setInterval(function () { if (toggle.checked && document.visibilityState === 'visible') refresh(); }, every);
  }
  renderToken();
})();
`;
