// The fleet console's script (docs/console.md). Plain browser JavaScript, no framework, no build step.
// Safety rules kept throughout: every value from the API (names, labels, messages, ...) enters the page through
// textContent or an attribute, never as HTML; the API token lives in sessionStorage only and travels only in the
// Authorization header; every call goes to this origin's API with the token's own tenant and policy.
'use strict';

(() => {
  const TOKEN_KEY = 'nlb-mtls-console.token';
  const PAGE_SIZE = 20;
  const CERTIFICATE_ID = /^cc-[a-z0-9]{20,40}$/;
  const STANDINGS = [
    { key: 'scheduled', label: 'renewal scheduled' },
    { key: 'due', label: 'renewal due (backlog)' },
    { key: 'failing', label: 'renewal failing' },
    { key: 'notRenewing', label: 'auto-renew off' },
  ];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);

  /** An element with text (never HTML), attributes and children. */
  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
    if (options.className) node.className = options.className;
    for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, String(value));
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  const when = (iso) =>
    iso
      ? String(iso)
          .replace('T', ' ')
          .replace(/\.\d{3}Z$|Z$/, ' UTC')
      : '—';
  const day = (iso) => (iso ? String(iso).slice(0, 10) : '—');

  // ---- the API -------------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
    }
  }

  async function api(method, path, body) {
    const headers = { accept: 'application/json', authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // A relative path: the API is this page's own origin (connect-src 'self').
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const code = (data && data.code) || `HTTP_${response.status}`;
      const error = new ApiError(
        response.status,
        code,
        (data && data.message) || response.statusText,
        data && data.details,
      );
      if (response.status === 401) signOut(`The API refused the token: ${code}.`);
      throw error;
    }
    return data;
  }

  const certificatePath = (id, suffix = '') => {
    if (!CERTIFICATE_ID.test(id)) throw new Error('not a certificate id');
    return `v1/certificates/${encodeURIComponent(id)}${suffix}`;
  };

  /** An error as the operator should read it: status, code, message. */
  function errorLine(err) {
    if (err instanceof ApiError) return `${err.status} ${err.code}: ${err.message}`;
    return `Request failed: ${err && err.message ? err.message : String(err)}`;
  }

  // ---- session -------------------------------------------------------------------------------------------------

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('app').hidden = true;
    $('session').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').value = '';
  }

  async function signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    $('app').hidden = false;
    $('session').hidden = false;
    $('login-error').textContent = '';
    await Promise.all([loadSummary(), loadCertificates(), loadListeners()]);
  }

  // ---- summary and timeline ------------------------------------------------------------------------------------

  function card(label, value, note, tone) {
    return el('div', { className: `card${tone ? ` ${tone}` : ''}` }, [
      el('div', { className: 'card-value', text: value }),
      el('div', { className: 'card-label', text: label }),
      note ? el('div', { className: 'card-note', text: note }) : null,
    ]);
  }

  async function loadSummary() {
    const cards = $('cards');
    const note = $('summary-note');
    cards.replaceChildren();
    note.hidden = true;
    let answer;
    try {
      answer = await api('GET', 'v1/summary');
    } catch (err) {
      note.hidden = false;
      note.textContent = `Summary unavailable: ${errorLine(err)}`;
      $('timeline').hidden = true;
      return;
    }
    $('whoami').textContent =
      `tenant ${answer.tenant}${answer.scope === 'policy' ? ' · names your token may see' : ''}`;
    if (!answer.available) {
      note.hidden = false;
      note.textContent =
        'No fleet summary yet: renew-scheduler makes one after each timer sweep (every 15 minutes). The table below is live.';
      $('timeline').hidden = true;
      $('summary-asof').textContent = '';
      return;
    }
    const s = answer.summary;
    $('summary-asof').textContent = `as of ${when(s.asOf)}`;
    if (answer.pendingRecords) {
      note.hidden = false;
      note.textContent = `${answer.pendingRecords} certificates are not in this summary yet: renew-scheduler reads them over its next runs.`;
    }
    const c = s.certificates;
    const r = s.renewal;
    cards.append(
      card('certificates', c.total, `${c.active} active · ${c.expired} expired · ${c.revoked} revoked`),
      card('expire within 30 days', s.expiring.within30Days, `${s.expiring.within7Days} within 7 days`),
      card('renewal backlog', r.due, 'due now, not renewed yet', r.due > 0 ? 'warn' : ''),
      card('renewals failing', r.failing, `${r.backingOff} backing off`, r.failing > 0 ? 'bad' : ''),
      card('auto-renew off', r.notRenewing, 'will expire unless renewed by hand', r.notRenewing > 0 ? 'warn' : ''),
      card(
        'next scheduled renewal',
        r.nextRenewalAt ? day(r.nextRenewalAt) : '—',
        r.nextRenewalAt ? when(r.nextRenewalAt) : '',
      ),
    );
    drawTimeline(s);
  }

  function drawTimeline(summary) {
    const days = summary.timeline;
    const width = 960;
    const height = 200;
    const left = 36;
    const bottom = 24;
    const top = 8;
    const plotWidth = width - left - 8;
    const plotHeight = height - top - bottom;
    const totals = days.map((d) => STANDINGS.reduce((sum, s) => sum + d[s.key], 0));
    const max = Math.max(1, ...totals);
    const barWidth = plotWidth / days.length;
    const chart = svg('svg', {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': 'Expiry timeline',
      class: 'timeline',
    });
    // Horizontal guide lines with their counts.
    const steps = max <= 4 ? max : 4;
    for (let i = 0; i <= steps; i += 1) {
      const value = Math.round((max * i) / steps);
      const y = top + plotHeight - (plotHeight * value) / max;
      chart.append(svg('line', { x1: left, x2: width - 8, y1: y, y2: y, class: 'guide' }));
      chart.append(svg('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, value));
    }
    days.forEach((d, i) => {
      const x = left + i * barWidth;
      const group = svg('g', { class: 'day', 'data-date': d.date, 'data-total': totals[i] });
      let y = top + plotHeight;
      for (const standing of STANDINGS) {
        const count = d[standing.key];
        if (!count) continue;
        const h = (plotHeight * count) / max;
        y -= h;
        group.append(
          svg('rect', {
            x: x + 1,
            y,
            width: Math.max(1, barWidth - 2),
            height: h,
            class: `bar ${standing.key}`,
            'data-standing': standing.key,
            'data-count': count,
          }),
        );
      }
      const parts = STANDINGS.filter((s) => d[s.key]).map((s) => `${d[s.key]} ${s.label}`);
      group.append(svg('title', {}, `${d.date}: ${parts.length ? parts.join(', ') : 'none'}`));
      chart.append(group);
      if (i % 15 === 0) chart.append(svg('text', { x, y: height - 6, class: 'axis' }, d.date.slice(5)));
    });
    $('timeline-chart').replaceChildren(chart);
    $('timeline-legend').replaceChildren(
      ...STANDINGS.map((s) =>
        el('li', {}, [el('span', { className: `swatch ${s.key}` }), el('span', { text: s.label })]),
      ),
    );
    $('timeline-beyond').textContent = summary.beyondTimeline ? `· ${summary.beyondTimeline} expire later` : '';
    $('timeline').hidden = false;
  }

  // ---- certificates table --------------------------------------------------------------------------------------

  const paging = { tokens: [undefined], index: 0 };

  function statusBadge(status, failing) {
    const text = failing ? `${status} · renewal failing` : status;
    return el('span', { className: `badge ${String(status).toLowerCase()}${failing ? ' failing' : ''}`, text });
  }

  function labelChips(labels) {
    const box = el('div', { className: 'labels' });
    for (const [key, value] of Object.entries(labels || {})) {
      box.append(el('span', { className: 'label', text: `${key}=${value}`, attrs: { 'data-label': key } }));
    }
    return box;
  }

  function certificateRow(c) {
    const failure = c.renewal && c.renewal.lastFailure;
    const open = el('button', { className: 'link', text: c.commonName, attrs: { type: 'button', 'data-id': c.id } });
    open.addEventListener('click', () => openDetail(c.id));
    const row = el('tr', { attrs: { 'data-id': c.id } }, [
      el('td', {}, [open, el('div', { className: 'muted small', text: c.id })]),
      el('td', {}, [statusBadge(c.status, c.status === 'ACTIVE' && c.renewal && c.renewal.failedAttempts > 0)]),
      el('td', { text: c.generation }),
      el('td', { text: when(c.notAfter) }),
      el('td', {
        text: c.status === 'ACTIVE' && c.autoRenew ? when(c.renewal.nextAttemptAt || c.renewal.renewAt) : '—',
      }),
      el('td', {
        text: failure ? `${failure.code} (${day(failure.at)}, ${c.renewal.failedAttempts}×)` : '—',
        attrs: failure ? { title: failure.message } : {},
      }),
      el('td', {}, [labelChips(c.labels)]),
    ]);
    return row;
  }

  async function loadCertificates() {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    const prefix = $('search').value.trim();
    const status = $('status-filter').value;
    if (prefix) query.set('commonNamePrefix', prefix);
    if (status) query.set('status', status);
    const token = paging.tokens[paging.index];
    if (token) query.set('nextToken', token);
    const body = $('certificate-table').tBodies[0];
    try {
      const page = await api('GET', `v1/certificates?${query}`);
      body.replaceChildren(...page.items.map(certificateRow));
      $('certificate-empty').hidden = page.items.length > 0;
      paging.tokens[paging.index + 1] = page.nextToken;
      $('page-prev').disabled = paging.index === 0;
      $('page-next').disabled = !page.nextToken;
      $('page-info').textContent = `page ${paging.index + 1}`;
    } catch (err) {
      body.replaceChildren(
        el('tr', {}, [el('td', { className: 'error', text: errorLine(err), attrs: { colspan: 7 } })]),
      );
    }
  }

  function search() {
    paging.tokens = [undefined];
    paging.index = 0;
    return loadCertificates();
  }

  // ---- one certificate -----------------------------------------------------------------------------------------

  let selected = null;

  function fact(list, term, value) {
    list.append(el('dt', { text: term }), el('dd', { text: value === undefined || value === '' ? '—' : value }));
  }

  function namesOf(c) {
    const sans = c.sans || {};
    const parts = [];
    for (const type of ['dns', 'uri', 'email', 'ip'])
      for (const v of sans[type] || []) parts.push(`${type.toUpperCase()}:${v}`);
    return parts.join(', ');
  }

  function renderDetail(view, details) {
    selected = view;
    $('detail-title').textContent = view.commonName;
    const facts = $('detail-facts');
    facts.replaceChildren();
    fact(facts, 'Id', view.id);
    fact(facts, 'Status', view.status);
    fact(facts, 'Common name', view.commonName);
    fact(facts, 'Subject alternative names', namesOf(view));
    fact(facts, 'Generation', String(view.generation));
    fact(facts, 'Serial number', view.serialNumber);
    fact(facts, 'SHA-256 fingerprint', view.fingerprintSha256);
    fact(
      facts,
      'Key',
      `${view.keyAlgorithm} (${view.mode === 'csr' ? 'CSR, key held by the client' : 'made by the service'})`,
    );
    fact(facts, 'Valid', `${when(view.notBefore)} → ${when(view.notAfter)}`);
    fact(
      facts,
      'Auto-renew',
      view.autoRenew ? `on, next ${when(view.renewal.nextAttemptAt || view.renewal.renewAt)}` : 'off',
    );
    fact(facts, 'Last renewed', when(view.renewal.lastRenewedAt));
    const failure = view.renewal.lastFailure;
    fact(
      facts,
      'Last renewal failure',
      failure
        ? `${failure.code}: ${failure.message} (${when(failure.at)}, ${view.renewal.failedAttempts} attempts)`
        : '—',
    );
    if (view.revokedAt) fact(facts, 'Revoked', `${when(view.revokedAt)} (${view.revocationReason || 'unspecified'})`);
    const labels = el('dd', {}, [labelChips(view.labels)]);
    facts.append(el('dt', { text: 'Labels' }), labels);

    const chain = $('detail-chain');
    chain.replaceChildren();
    if (details.chain.length === 0) {
      const why =
        details.chainUnavailable === 'bundle-deleted'
          ? 'its bundles were deleted (revoked)'
          : 'its bundle could not be read';
      chain.append(el('li', { className: 'muted', text: `No chain to show: ${why}.` }));
    }
    for (const cert of details.chain) {
      chain.append(
        el('li', {}, [
          el('div', {}, [el('strong', { text: cert.role }), el('span', { text: ` ${cert.subject}` })]),
          el('div', {
            className: 'muted small',
            text: `issuer ${cert.issuer} · serial ${cert.serialNumber} · until ${day(cert.notAfter)}`,
          }),
          el('div', { className: 'muted small mono', text: `SHA-256 ${cert.fingerprintSha256}` }),
          el('details', {}, [el('summary', { text: 'PEM' }), el('pre', { text: cert.pem })]),
        ]),
      );
    }
    $('detail-history').tBodies[0].replaceChildren(
      ...details.history.map((g) =>
        el('tr', {}, [
          el('td', { text: g.current ? `${g.generation} (current)` : g.generation }),
          el('td', { className: 'mono', text: g.serialNumber }),
          el('td', { text: when(g.issuedAt) }),
          el('td', { text: when(g.notAfter) }),
          el('td', { text: when(g.revokedAt) }),
        ]),
      ),
    );
    const revoked = view.status === 'REVOKED' || view.status === 'REVOKING';
    $('action-links').disabled = revoked;
    $('action-renew').disabled = revoked;
    $('action-revoke').disabled = revoked;
    $('detail').hidden = false;
  }

  async function openDetail(id) {
    $('action-result').hidden = true;
    try {
      const [view, details] = await Promise.all([
        api('GET', certificatePath(id)),
        api('GET', certificatePath(id, '/details')),
      ]);
      renderDetail(view, details);
      $('detail').scrollIntoView({ block: 'start' });
    } catch (err) {
      showResult(`Could not open ${id}: ${errorLine(err)}`, 'error');
    }
  }

  /** The API's answer to an action, or its error code: always shown, never hidden in a console. */
  function showResult(text, tone, extra = []) {
    const box = $('action-result');
    box.className = `result ${tone || ''}`;
    box.replaceChildren(el('p', { text }), ...extra);
    box.hidden = false;
    $('detail').hidden = false;
  }

  function downloadList(downloads) {
    const list = el('ul', { className: 'downloads' });
    for (const [name, link] of Object.entries(downloads || {})) {
      let url;
      try {
        url = new URL(link.url);
      } catch {
        continue;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') continue;
      const a = el('a', { text: name, attrs: { href: url.href, rel: 'noopener noreferrer', target: '_blank' } });
      list.append(el('li', {}, [a, el('span', { className: 'muted', text: ` valid until ${when(link.expiresAt)}` })]));
    }
    return list;
  }

  async function freshLinks() {
    const c = selected;
    try {
      const answer = await api('POST', certificatePath(c.id, '/links'), {});
      showResult(`Fresh links for ${c.commonName} (generation ${answer.generation}):`, 'ok', [
        downloadList(answer.downloads),
      ]);
    } catch (err) {
      showResult(errorLine(err), 'error');
    }
  }

  async function renew() {
    const c = selected;
    try {
      const answer = await api('POST', certificatePath(c.id, '/renew'), { expectedGeneration: c.generation });
      const extra = [downloadList(answer.downloads)];
      if (answer.p12Password) {
        extra.push(
          el('p', {}, [
            el('span', { text: '.p12 and key password (shown once): ' }),
            el('code', { className: 'secret', text: answer.p12Password }),
          ]),
        );
      }
      showResult(
        `Renewed ${answer.commonName}: generation ${answer.generation}, serial ${answer.serialNumber}, valid until ${when(answer.notAfter)}.`,
        'ok',
        extra,
      );
      await refreshAfterAction(c.id);
    } catch (err) {
      showResult(errorLine(err), 'error');
    }
  }

  function askRevoke() {
    const c = selected;
    $('revoke-name').textContent = c.commonName;
    $('revoke-id').textContent = c.id;
    $('revoke-generation').textContent = String(c.generation);
    $('revoke-confirm').textContent = `Revoke ${c.commonName}`;
    $('revoke-reason').value = 'unspecified';
    $('revoke-dialog').showModal();
  }

  async function revoke() {
    const c = selected;
    $('revoke-dialog').close();
    try {
      const answer = await api('POST', certificatePath(c.id, '/revoke'), { reason: $('revoke-reason').value });
      showResult(
        `Revoked ${answer.commonName} (${answer.id}): status ${answer.status}, auto-renew off, bundles deleted.`,
        'ok',
      );
      await refreshAfterAction(c.id);
    } catch (err) {
      showResult(errorLine(err), 'error');
    }
  }

  async function refreshAfterAction(id) {
    const result = $('action-result');
    const kept = [...result.childNodes];
    const className = result.className;
    await Promise.all([openDetail(id), loadCertificates()]);
    result.className = className;
    result.replaceChildren(...kept);
    result.hidden = false;
  }

  // ---- listeners -----------------------------------------------------------------------------------------------

  const OUTCOME_TEXT = {
    'in-sync': 'in sync',
    'changes-planned': 'changes planned',
    changed: 'changed',
    'drift-repaired': 'drift repaired',
    blocked: 'blocked',
    failed: 'failed',
  };

  function handshakeText(label, h) {
    if (!h) return null;
    const bits = [h.outcome];
    if (h.firstLine) bits.push(`"${h.firstLine}"`);
    if (h.errorCode) bits.push(h.errorCode);
    return el('div', { className: 'small', text: `${label}: ${bits.join(' · ')}` });
  }

  function listenerRow(l) {
    const detail = [];
    if (l.rule) detail.push(el('div', {}, [el('span', { text: 'rule ' }), el('code', { text: l.rule })]));
    for (const v of l.violations || [])
      if (v.rule !== l.rule || l.violations.length === 1)
        detail.push(el('div', { className: 'small muted', text: v.message }));
    if (l.reason) detail.push(el('div', { text: `${l.stage || ''} ${l.reason}`.trim() }));
    if (l.message && !l.violations) detail.push(el('div', { className: 'small muted', text: l.message }));
    for (const change of l.plan || []) {
      detail.push(
        el('div', {
          className: 'small mono',
          text: `~ ${change.field}: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`,
        }),
      );
    }
    const proof = l.proof;
    const proofCell = proof
      ? [
          el('span', { className: `badge ${proof.verdict === 'passed' ? 'active' : 'failed'}`, text: proof.verdict }),
          handshakeText('with canary certificate', proof.withClientCertificate),
          handshakeText('without certificate', proof.withoutClientCertificate),
          el('div', { className: 'small muted', text: `proved ${when(proof.at)}` }),
        ]
      : [el('span', { className: 'muted', text: 'no handshake yet' })];
    return el('tr', { attrs: { 'data-listener': l.listenerId } }, [
      el('td', {}, [
        el('div', { text: l.name || l.listenerId }),
        el('div', { className: 'muted small', text: `${l.listenerId} · ${l.region}` }),
      ]),
      el('td', {}, [
        el('span', { className: `badge outcome-${l.outcome}`, text: OUTCOME_TEXT[l.outcome] || l.outcome }),
        l.mode === 'plan' ? el('div', { className: 'small muted', text: 'plan run' }) : null,
      ]),
      el('td', {}, detail.length ? detail : [el('span', { className: 'muted', text: '—' })]),
      el('td', {}, proofCell),
      el('td', { text: when(l.at) }),
    ]);
  }

  async function loadListeners() {
    const note = $('listeners-note');
    const body = $('listener-table').tBodies[0];
    note.hidden = true;
    body.replaceChildren();
    try {
      const answer = await api('GET', 'v1/listeners');
      $('listeners-updated').textContent = answer.updatedAt ? `last run ${when(answer.updatedAt)}` : '';
      if (!answer.available || answer.listeners.length === 0) {
        note.hidden = false;
        note.textContent = 'No reconcile report yet: reconcile-listeners writes one after each run.';
      }
      body.replaceChildren(...answer.listeners.map(listenerRow));
    } catch (err) {
      note.hidden = false;
      note.textContent =
        err instanceof ApiError && err.status === 403
          ? "This token may not read the listeners report (it needs the 'listeners' operation)."
          : `Listeners unavailable: ${errorLine(err)}`;
    }
  }

  // ---- wiring --------------------------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      $('token').value = '';
      if (token) void signIn(token);
    });
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      void search();
    });
    $('status-filter').addEventListener('change', () => void search());
    $('page-next').addEventListener('click', () => {
      paging.index += 1;
      void loadCertificates();
    });
    $('page-prev').addEventListener('click', () => {
      paging.index = Math.max(0, paging.index - 1);
      void loadCertificates();
    });
    $('refresh').addEventListener(
      'click',
      () => void Promise.all([loadSummary(), loadCertificates(), loadListeners()]),
    );
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    $('detail-close').addEventListener('click', () => {
      $('detail').hidden = true;
      selected = null;
    });
    $('action-links').addEventListener('click', () => void freshLinks());
    $('action-renew').addEventListener('click', () => void renew());
    $('action-revoke').addEventListener('click', askRevoke);
    $('revoke-cancel').addEventListener('click', () => $('revoke-dialog').close());
    $('revoke-confirm').addEventListener('click', () => void revoke());
    if (sessionStorage.getItem(TOKEN_KEY)) void signIn(sessionStorage.getItem(TOKEN_KEY));
  });
})();
