// The clients of bench/subscriptions.js in a process of their own: a graphql-transport-ws socket per subscriber
// (its own token), its subscriptions, and the delivery time of each event (arrival minus the entry's `at`).
'use strict';
const WebSocket = require('ws');

const sockets = [];
let latencies = [];
let waiting = null;

function open(url, { subscriberId, token }, perSubscriber, query) {
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
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') {
        for (let i = 0; i < perSubscriber; i += 1) socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query, variables: { id: subscriberId } } }));
        sockets.push(socket);
        done(true);
        return;
      }
      if (message.type === 'next' && message.payload.data) {
        latencies.push(Date.now() - Date.parse(message.payload.data.balanceChanged.entry.at));
        if (waiting && latencies.length >= waiting.expected) waiting.resolve();
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
    // A hundred handshakes at a time, as many clients reconnecting would.
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (queue.length) if (!(await open(message.url, queue.shift(), message.perSubscriber, message.query))) refused += 1;
      }),
    );
    process.send({ refused });
  } else if (message.type === 'reset') {
    latencies = [];
    process.send({ ok: true });
  } else if (message.type === 'collect') {
    if (latencies.length < message.expected) {
      await Promise.race([
        new Promise((resolve) => (waiting = { expected: message.expected, resolve })),
        new Promise((resolve) => setTimeout(resolve, message.timeoutMs)),
      ]);
    }
    waiting = null;
    process.send({ latencies });
  }
});
