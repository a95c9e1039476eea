// Node ws clients against jppd, driven by test_websocket.py: two watchers (one sends data frames that must not be
// relayed), a ping, the payment made over HTTP, a watcher of a paid invoice, and one of an unpaid invoice.
// usage: node ws_node_client.js HOST:PORT INVOICE RAW_TX PENDING_INVOICE PAID_INVOICE; prints a JSON report.
'use strict';
const WebSocket = require('ws');
const http = require('http');

const [host, invoice, rawTx, pending, paidBefore] = process.argv.slice(2);
const url = (id) => `ws://${host}/ws/jpp/invoice/${id}/`;

function open(id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url(id));
    ws.txids = [];
    ws.on('message', (data) => ws.txids.push(JSON.parse(data.toString()).txid));
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

function post(path, body) {
  return new Promise((resolve, reject) => {
    const [hostname, port] = host.split(':');
    const req = http.request({ hostname, port, path, method: 'POST', headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`))));
      });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const listener = await open(invoice);
  const talker = await open(invoice);
  const waiting = await open(pending);
  talker.send('{"type":"payment_received","txid":"forged"}');
  talker.send(Buffer.from([0, 1, 2, 3]));
  const pong = new Promise((resolve) => talker.once('pong', (data) => resolve(data.toString())));
  talker.ping('node ping');
  const pongText = await pong;
  await sleep(300);
  const pay = await post(`/jpp/invoices/${invoice}/pay`, { raw_tx_hex: rawTx });
  const late = await open(paidBefore);
  await sleep(700);
  const report = { pay, listener: listener.txids, talker: talker.txids, pong: pongText, late: late.txids,
                   pending: waiting.txids };
  for (const ws of [listener, talker, waiting, late]) ws.close();
  console.log(JSON.stringify(report));
})().catch((e) => { console.error(e); process.exit(1); });
