// The clients of bench/subscriptions.js in a process of their own: a graphql-transport-ws socket per client (its own
// token), its subscriptions (one per subscriber it watches — its own number and the numbers it manages — times
// perSubscriber), and the delivery time of each event (arrival minus the entry's `at`). Each subscription's events
// are checked in order: every posting is a 1.00 charge, so each balance must be the last one less 1.00 (a gap is an
// event lost), and the cursors must all differ (a repeat is an event twice).
'use strict';
const WebSocket = require('ws');

const sockets = [];
let latencies = [];
let waiting = null;
/** Per subscription: the last balance (tiyn), the cursors seen, and what went wrong. */
let streams = new Map();
let gaps = 0;
let repeats = 0;
let refusals = 0;
let firstRefusal = null;

const tiyn = (amount) => Math.round(Number(amount) * 100);

function open(url, client, perSubscriber, query) {
  const subscriberIds = client.subscriberIds ?? [client.subscriberId];
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      resolve(ok);
    };
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${client.token}` } })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') {
        let n = 0;
        for (const id of subscriberIds) {
          for (let i = 0; i < perSubscriber; i += 1) socket.send(JSON.stringify({ id: String(n++), type: 'subscribe', payload: { query, variables: { id } } }));
        }
        sockets.push(socket);
        done(true);
        return;
      }
      if (message.type === 'next' && message.payload.data) {
        const change = message.payload.data.balanceChanged;
        latencies.push(Date.now() - Date.parse(change.entry.at));
        const key = `${sockets.indexOf(socket)}:${message.id}`;
        const stream = streams.get(key) ?? { last: null, cursors: new Set() };
        const balance = tiyn(change.balance.amount);
        if (stream.last !== null && balance !== stream.last - 100) gaps += 1;
        if (stream.cursors.has(change.cursor)) repeats += 1;
        stream.cursors.add(change.cursor);
        stream.last = balance;
        streams.set(key, stream);
        if (waiting && latencies.length >= waiting.expected) waiting.resolve();
      } else if (message.type === 'next' || message.type === 'error' || message.type === 'complete') {
        // A subscription refused or ended: counted (the bench stops on it), the first one kept to show.
        refusals += 1;
        firstRefusal ??= String(data).slice(0, 300);
      } else if (message.type !== 'ping' && message.type !== 'pong') {
        process.stderr.write(`unexpected message: ${String(data).slice(0, 300)}\n`);
      }
    });
  });
}

process.on('message', async (message) => {
  if (message.type === 'open') {
    let refused = 0;
    const queue = [...message.clients];
    // `handshakes` (default a hundred) at a time, as many clients reconnecting would.
    await Promise.all(
      Array.from({ length: message.handshakes ?? 100 }, async () => {
        while (queue.length) if (!(await open(message.url, queue.shift(), message.perSubscriber, message.query))) refused += 1;
      }),
    );
    process.send({ refused });
  } else if (message.type === 'refusals') {
    // Answered after the subscribe messages had time to be refused: the gateway answers a refusal at once.
    process.send({ count: refusals, first: firstRefusal });
  } else if (message.type === 'reset') {
    latencies = [];
    streams = new Map();
    gaps = 0;
    repeats = 0;
    process.send({ ok: true });
  } else if (message.type === 'collect') {
    if (latencies.length < message.expected) {
      // Until every event came, the time is up, or none came for idleMs (what is missing then is lost).
      let seen = latencies.length;
      let idle;
      await Promise.race([
        new Promise((resolve) => (waiting = { expected: message.expected, resolve })),
        new Promise((resolve) => setTimeout(resolve, message.timeoutMs)),
        new Promise((resolve) => {
          idle = setInterval(() => {
            if (latencies.length === seen) resolve();
            seen = latencies.length;
          }, message.idleMs ?? 15_000);
        }),
      ]);
      clearInterval(idle);
    }
    waiting = null;
    const perStream = [...streams.values()].map((s) => s.cursors.size);
    process.send({ latencies, gaps, repeats, refusals, firstRefusal, streams: streams.size, fewest: perStream.length ? Math.min(...perStream) : 0 });
  }
});
