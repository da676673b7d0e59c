// The mxplan dashboard page. It talks only to the dashboard's JSON API and its event stream
// (docs/dashboard.md), with the token it was opened with. Preact and htm: a few kilobytes, no
// build step, served by the dashboard itself.
import { h, render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);
const token = new URLSearchParams(location.search).get('token') ?? '';

async function api(path, options = {}) {
  const response = await fetch(`/api/${path}`, {
    ...options,
    headers: { Authorization: `Bearer ${token}`, ...(options.headers ?? {}) },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error ?? `${response.status}`);
  return body;
}

// ---- the live stream: one EventSource, any number of listeners ----
const listeners = new Set();
function connect() {
  const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  for (const kind of ['activity', 'dns', 'verify', 'engine'])
    source.addEventListener(kind, (event) => {
      const data = JSON.parse(event.data);
      for (const listener of listeners) listener(kind, data);
    });
}
function useStream(listener) {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => {
    const call = (kind, data) => ref.current(kind, data);
    listeners.add(call);
    return () => listeners.delete(call);
  }, []);
}
/** Calls `fn` at most once per `ms`, after the last call. */
function useDebounced(fn, ms) {
  const timer = useRef(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  }, [ms]);
}

// ---- routing: #/plan, #/host/<id>, #/journey?..., #/dns, #/activity, #/verify ----
function useRoute() {
  const read = () => {
    const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
    return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
const link = (...parts) => `#/${parts.map(encodeURIComponent).join('/')}`;
const journeyLink = (params) => `#/journey?${new URLSearchParams(params)}`;
const time = (ms) => (ms ? new Date(ms).toISOString().slice(11, 23) : '');

// ---- the application ----
function App() {
  const route = useRoute();
  const [engine, setEngine] = useState(undefined);
  const [hosts, setHosts] = useState([]);
  const [error, setError] = useState(undefined);
  const refreshHosts = useCallback(() => api('hosts').then(setHosts, (e) => setError(e.message)), []);
  const soon = useDebounced(refreshHosts, 150);
  useEffect(() => {
    api('engine').then(setEngine, (e) => setError(e.message));
    void refreshHosts();
  }, []);
  useStream((kind, data) => {
    if (kind === 'activity') soon();
    if (kind === 'engine') setEngine((e) => ({ ...e, ...data }));
  });
  const [view = 'plan', ...rest] = route.parts;
  const tabs = [
    ['plan', 'Plan'],
    ...hosts.map((host) => [`host/${host.id}`, html`${host.id} <${Status} status=${host.status} />`]),
    ['activity', 'Activity'],
    ['dns', 'DNS log'],
    ...(engine?.verify ? [['verify', 'Verify']] : []),
  ];
  const current = view === 'host' ? `host/${rest[0]}` : view;
  return html`
    <header>
      <h1>mxplan</h1>
      <span class="engine">${engine?.name ?? ''} · ${engine?.file ?? ''}</span>
      ${engine?.closed && html`<span class="closed">stopped: what you see is what it did</span>`}
    </header>
    <nav>
      ${tabs.map(
        ([id, label]) => html`<a href=${`#/${id}`} class=${current === id ? 'active' : ''} data-tab=${id}>${label}</a>`,
      )}
    </nav>
    ${error && html`<p class="error">${error}</p>`}
    <main>
      ${view === 'plan' && html`<${PlanView} hosts=${hosts} />`}
      ${view === 'host' && html`<${HostView} id=${rest[0]} hosts=${hosts} rest=${rest.slice(1)} onChange=${refreshHosts} />`}
      ${view === 'journey' && html`<${JourneyView} query=${route.query} />`}
      ${view === 'activity' && html`<${ActivityView} />`} ${view === 'dns' && html`<${DnsView} />`}
      ${view === 'verify' && html`<${VerifyView} />`}
    </main>
  `;
}

/**
 * Where a client reaches each service of a host: SMTP today; submission, IMAP and POP3 take their
 * place here (and in the API's `services`) once the engine runs them.
 */
function Services({ services }) {
  const names = ['smtp', 'submission', 'imap', 'pop3'].filter((name) => services[name]);
  if (names.length === 0) return html`<span class="dim">not up yet</span>`;
  return html`<span class="services">
    ${names.map((name) => html`<span data-service=${name}>${name} ${services[name].host}:${services[name].port}</span> `)}
  </span>`;
}

/** A table's header row. */
function Head({ columns }) {
  return html`<thead>
    <tr>
      ${columns.map((c) => html`<th>${c}</th>`)}
    </tr>
  </thead>`;
}

function Status({ status }) {
  return html`<span class=${`status ${status}`} data-status=${status}>${status}</span>`;
}

function HostButtons({ host, onChange }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(undefined);
  const act = (action) => async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api(`hosts/${encodeURIComponent(host.id)}/${action}`, { method: 'POST' });
      onChange();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="buttons">
    ${['down', 'cut', 'up', 'retry'].map(
      (action) =>
        html`<button disabled=${busy} onClick=${act(action)} data-action=${action} title=${TITLES[action]}>
          ${action}
        </button>`,
    )}
    ${error && html`<span class="error">${error}</span>`}
  </span>`;
}
const TITLES = {
  down: 'stop the host: connections are refused',
  cut: 'cut its link: connections time out',
  up: 'bring it back; its queue resumes',
  retry: 'retry its queue now, ignoring backoff',
};

function PlanView({ hosts }) {
  const [svg, setSvg] = useState('');
  const box = useRef(undefined);
  useEffect(() => {
    api('plan/diagram').then((d) => setSvg(d.svg.slice(d.svg.indexOf('<svg'))));
  }, []);
  // Colour each host of the diagram by its status, live; a click opens it.
  useEffect(() => {
    for (const host of hosts) {
      const node = box.current?.querySelector(`[id="host-${CSS.escape(host.id)}"]`);
      if (!node) continue;
      node.setAttribute('data-status', host.status);
      node.onclick = () => (location.hash = link('host', host.id));
    }
  }, [svg, hosts]);
  return html`
    <section class="plan">
      <div class="diagram" ref=${box} dangerouslySetInnerHTML=${{ __html: svg }}></div>
      <table class="hosts">
        <${Head} columns=${['host', 'name', 'status', 'queued', 'services', '']} />
        <tbody>
          ${hosts.map(
            (host) =>
              html`<tr data-host=${host.id}>
                <td><a href=${link('host', host.id)}>${host.id}</a></td>
                <td>${host.fqdn} <span class="dim">${host.role}</span></td>
                <td><${Status} status=${host.status} /></td>
                <td class="num" data-queue>${host.queue ?? '–'}</td>
                <td class="dim">
                  <${Services} services=${host.services} />
                </td>
                <td><${HostButtons} host=${host} onChange=${() => {}} /></td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="dim">
        Solid: MX records with their preference. Dashed: store-and-forward between stores, and a backup's relaying.
      </p>
    </section>
  `;
}

function HostView({ id, hosts, rest, onChange }) {
  const host = hosts.find((h) => h.id === id);
  const [queue, setQueue] = useState(undefined);
  const [boxes, setBoxes] = useState([]);
  const [address, file] = rest[0] === 'mailbox' ? [rest[1], rest[2]] : [undefined, undefined];
  const refresh = useCallback(() => {
    api(`hosts/${encodeURIComponent(id)}/queue`).then(setQueue, () => setQueue(undefined));
    api(`hosts/${encodeURIComponent(id)}/mailboxes`).then(setBoxes, () => setBoxes([]));
  }, [id]);
  const soon = useDebounced(refresh, 100);
  useEffect(refresh, [id]);
  useStream((kind, data) => {
    if (kind === 'activity' && (data.activity.host === id || data.activity.type === 'host')) soon();
  });
  if (!host) return html`<p>No host ${id}.</p>`;
  return html`
    <section class="host" data-host=${id}>
      <h2>
        ${host.id} <${Status} status=${host.status} />
        <span class="dim">${host.fqdn} · ${host.role} · ${host.planned.join(', ')} · </span>
        <${Services} services=${host.services} />
      </h2>
      <${HostButtons} host=${host} onChange=${() => (onChange(), refresh())} />
      <h3>Queue</h3>
      ${
        queue?.messages == null
          ? html`<p class="dim">${host.id} is ${host.status}: its queue cannot be asked.</p>`
          : queue.messages.length === 0
            ? html`<p class="dim">Mail queue is empty.</p>`
            : html`<table class="queue">
                <${Head}
                  columns=${['queue id', 'from', 'recipients (last reply)', 'arrived', 'size', 'attempts', 'next retry']}
                />
                <tbody>
                  ${queue.messages.map(
                    (m) =>
                      html`<tr>
                        <td><a href=${journeyLink({ host: id, queue: m.queueId })}>${m.queueId}</a></td>
                        <td>${m.from || '<>'}</td>
                        <td>
                          ${m.recipients.map((r) => html`<div>${r.address} <span class="dim">${r.reason ?? ''}</span></div>`)}
                        </td>
                        <td>${time(m.arrival)}</td>
                        <td class="num">${m.size}</td>
                        <td class="num">${m.attempts}</td>
                        <td>${m.nextAttempt ? time(m.nextAttempt) : 'now'}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
      }
      <h3>Mailboxes</h3>
      ${
        boxes.length === 0
          ? html`<p class="dim">No mailbox holds mail on ${host.id}.</p>`
          : html`<div class="mail">
              <ul class="boxes">
                ${boxes.map(
                  (b) =>
                    html`<li class=${b.address === address ? 'active' : ''}>
                      <a href=${link('host', id, 'mailbox', b.address)} data-mailbox=${b.address}>${b.address}</a>
                      <span class="count">${b.messages}</span>
                    </li>`,
                )}
              </ul>
              ${address && html`<${Mailbox} host=${id} address=${address} file=${file} boxes=${boxes} />`}
            </div>`
      }
    </section>
  `;
}

function Mailbox({ host, address, file, boxes }) {
  const [messages, setMessages] = useState([]);
  const count = boxes.find((b) => b.address === address)?.messages;
  useEffect(() => {
    api(`hosts/${encodeURIComponent(host)}/mailboxes/${encodeURIComponent(address)}`).then(setMessages, () =>
      setMessages([]),
    );
  }, [host, address, count]);
  return html`<div class="messages">
    <table>
      <${Head} columns=${['subject', 'envelope from', 'delivered to', 'hops', 'date']} />
      <tbody>
        ${messages.map(
          (m) =>
            html`<tr class=${m.id === file ? 'active' : ''} data-message=${m.id}>
              <td><a href=${link('host', host, 'mailbox', address, m.id)}>${m.subject ?? '(no subject)'}</a></td>
              <td>${m.returnPath === '' ? '<>' : m.returnPath}</td>
              <td>${m.deliveredTo}</td>
              <td class="num">${m.hops}</td>
              <td class="dim">${m.date}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${file && html`<${Message} host=${host} address=${address} file=${file} />`}
  </div>`;
}

function Message({ host, address, file }) {
  const [message, setMessage] = useState(undefined);
  const [tab, setTab] = useState('headers');
  const path = `hosts/${encodeURIComponent(host)}/mailboxes/${encodeURIComponent(address)}/${encodeURIComponent(file)}`;
  useEffect(() => {
    api(path).then(setMessage, () => setMessage(undefined));
  }, [path]);
  if (!message) return null;
  return html`<article class="message">
    <h3>${message.subject ?? '(no subject)'}</h3>
    <dl class="envelope">
      <dt>envelope sender (Return-Path)</dt>
      <dd>${message.returnPath === '' ? '<> (a bounce)' : message.returnPath}</dd>
      <dt>mailbox (Delivered-To)</dt>
      <dd>${message.deliveredTo}</dd>
      <dt>Message-ID</dt>
      <dd>
        ${message.messageId ? html`<a href=${journeyLink({ 'message-id': message.messageId })}>${message.messageId}</a> (journey)` : '–'}
      </dd>
      <dt>size</dt>
      <dd>${message.size} bytes, ${message.hops} hop(s)</dd>
    </dl>
    <div class="tabs">
      ${['headers', 'received', 'body', 'raw'].map(
        (t) => html`<button class=${tab === t ? 'active' : ''} onClick=${() => setTab(t)}>${t}</button>`,
      )}
      <a href=${`/api/${path}/raw?token=${encodeURIComponent(token)}`} target="_blank" rel="noreferrer">download</a>
    </div>
    ${
      tab === 'headers' &&
      html`<table class="headers">
        ${message.headers.map(
          (f) =>
            html`<tr>
              <th>${f.name}</th>
              <td>${f.value}</td>
            </tr>`,
        )}
      </table>`
    }
    ${
      tab === 'received' &&
      html`<ol class="trail">
          ${message.received.map(
            (r) =>
              html`<li>
                <b>by ${r.by ?? '?'}</b> ${r.from ? html`from ${r.from}` : 'submitted locally'}
                ${r.id ? html`id ${r.id}` : ''} <span class="dim">${r.date ?? ''}</span>
              </li>`,
          )}
        </ol>
        <p class="dim">Newest first: the last host is at the top (RFC 5321 §4.4).</p>`
    }
    ${tab === 'body' && html`<pre>${message.body}</pre>`}
    ${tab === 'raw' && html`<pre class="raw">${message.raw}</pre>`}
  </article>`;
}

function JourneyView({ query }) {
  const [journey, setJourney] = useState(undefined);
  const [error, setError] = useState(undefined);
  const params = query.toString();
  const load = useCallback(
    () =>
      api(`journey?${params}`).then(
        (j) => (setJourney(j), setError(undefined)),
        (e) => setError(e.message),
      ),
    [params],
  );
  const soon = useDebounced(load, 200);
  useEffect(() => void load(), [params]);
  useStream((kind) => kind === 'activity' && soon());
  if (error) return html`<p class="error">${error}</p>`;
  if (!journey) return html`<p class="dim">Loading…</p>`;
  return html`<section class="journey">
    <h2>Journey ${journey.messageId ?? ''}</h2>
    ${journey.hops.map(
      (hop) =>
        html`<div class=${`hop ${hop.role}`} data-hop=${hop.host}>
          <h3>
            <a href=${link('host', hop.host)}>${hop.host}</a> <span class="dim">queue id ${hop.queueId}</span>
            ${hop.role === 'dsn' ? html` <span class="badge">DSN</span>` : ''}
            ${hop.from ? html` <span class="dim">from ${hop.from.host}</span>` : ''}
          </h3>
          <ol>
            ${hop.steps.map(
              (s) =>
                html`<li class=${`step ${s.type}`}>
                  <span class="time">${time(s.at)}</span> <b>${s.type}</b> ${s.text}
                  ${s.type === 'routed' && html`<${Lookups} activity=${s.activity} />`}
                </li>`,
            )}
          </ol>
        </div>`,
    )}
    ${
      journey.hostChanges.length > 0 &&
      html`<h3>Hosts meanwhile</h3>
        <ul>
          ${journey.hostChanges.map((s) => html`<li><span class="time">${time(s.at)}</span> ${s.text}</li>`)}
        </ul>`
    }
  </section>`;
}

function Lookups({ activity }) {
  if (activity.lookups.length === 0) return null;
  return html`<table class="lookups">
    <${Head} columns=${['DNS question', 'answers']} />
    ${activity.lookups.map(
      (l) =>
        html`<tr>
          <td>${l.type} ${l.name}</td>
          <td>${l.error ?? (l.answers.join(', ') || 'none')}</td>
        </tr>`,
    )}
  </table>`;
}

function describe(a) {
  const to = (list) => list.map((r) => `<${r}>`).join(', ');
  switch (a.type) {
    case 'accepted':
      return `accepted <${a.from}> → ${to(a.recipients)}`;
    case 'routed':
      return `routed ${to(a.recipients)} via ${a.via.kind === 'mx' ? `MX of ${a.via.domain}` : `host ${a.via.host}`} → ${a.relay ? a.relay.exchange : (a.reply ?? 'no candidate')}`;
    case 'delivered':
      return `delivered <${a.recipient}> ${a.to === 'maildir' ? 'to its Maildir' : `to ${a.to}`}`;
    case 'deferred':
      return `deferred ${to(a.recipients)}: ${a.reason}`;
    case 'bounced':
      return `bounced ${to(a.recipients)}: ${a.reason}`;
    case 'refused':
      return `refused at ${a.stage.toUpperCase()} ${a.address ?? ''}: ${a.reply}`;
    case 'host':
      return `is ${a.status}`;
  }
  return a.type;
}

function ActivityView() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    api('activity?limit=300').then((list) => setItems(list.reverse()));
  }, []);
  useStream((kind, data) => kind === 'activity' && setItems((list) => [data, ...list].slice(0, 300)));
  return html`<section class="activity">
    <table>
      <${Head} columns=${['time', 'host', 'queue id', 'what']} />
      <tbody>
        ${items.map(
          ({ seq, at, activity: a }) =>
            html`<tr key=${seq} class=${a.type}>
              <td class="time">${time(at)}</td>
              <td>${a.host}</td>
              <td>
                ${a.queueId ? html`<a href=${journeyLink({ host: a.host, queue: a.queueId })}>${a.queueId}</a>` : ''}
              </td>
              <td>${describe(a)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function DnsView() {
  const [items, setItems] = useState([]);
  const [filter, setFilter] = useState('');
  useEffect(() => {
    api('dns?limit=500').then((list) => setItems(list.reverse()));
  }, []);
  useStream((kind, data) => kind === 'dns' && setItems((list) => [data, ...list].slice(0, 500)));
  const shown = useMemo(
    () =>
      items.filter(
        ({ query: q }) =>
          !filter || `${q.name} ${q.type} ${q.rcode} ${q.client}`.toLowerCase().includes(filter.toLowerCase()),
      ),
    [items, filter],
  );
  return html`<section class="dns">
    <input
      placeholder="filter: name, type, rcode, client"
      value=${filter}
      onInput=${(e) => setFilter(e.target.value)}
    />
    <table>
      <${Head} columns=${['time', 'client', '', 'name', 'type', 'rcode']} />
      <tbody>
        ${shown.map(
          ({ seq, query: q }) =>
            html`<tr key=${seq} data-qname=${q.name}>
              <td class="time">${time(q.time)}</td>
              <td>${q.host ?? q.client}</td>
              <td class="dim">${q.transport}</td>
              <td>${q.name ?? '(unreadable)'}</td>
              <td>${q.type}</td>
              <td class=${q.rcode === 'NOERROR' ? '' : 'warn'}>${q.rcode ?? 'dropped'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function VerifyView() {
  const [snapshot, setSnapshot] = useState(undefined);
  const load = useCallback(() => api('verify').then(setSnapshot), []);
  const soon = useDebounced(load, 200);
  useEffect(() => void load(), []);
  useStream((kind) => kind === 'verify' && soon());
  if (!snapshot) return html`<p class="dim">Loading…</p>`;
  return html`<section class="verify">
    <h2>${snapshot.finished ? 'Verify finished' : 'Verify running…'}</h2>
    <table>
      <${Head} columns=${['scenario', 'passed', 'failed', 'skipped', '']} />
      <tbody>
        ${snapshot.scenarios.map(
          (s) =>
            html`<tr class=${s.failed > 0 ? 'failed' : ''}>
              <td><b>${s.name}</b> <span class="dim">${s.title}</span></td>
              <td class="num">${s.passed}</td>
              <td class="num">${s.failed}</td>
              <td class="num">${s.skipped}</td>
              <td class="dim">${s.state === 'done' ? `${(s.durationMs / 1000).toFixed(1)} s` : 'running'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      snapshot.cases.length > 0 &&
      html`<h3>Failures and skips</h3>
        <ul class="cases">
          ${snapshot.cases.map(
            (c) =>
              html`<li class=${c.status} data-case=${c.name}>
                <b>${c.status}</b> ${c.scenario}: ${c.name}
                ${c.expected && html`<div class="dim">expected: ${c.expected}</div>`}
                ${c.observed && html`<div class="dim">observed: ${c.observed}</div>`}
                ${c.note && html`<div class="dim">${c.note}</div>`}
                ${c.messageId && html`<div><a href=${journeyLink({ 'message-id': c.messageId })}>journey of ${c.messageId}</a></div>`}
              </li>`,
          )}
        </ul>`
    }
  </section>`;
}

connect();
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
