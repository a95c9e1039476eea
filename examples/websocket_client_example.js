#!/usr/bin/env node
// Watches a JPP invoice over the server's WebSocket and prints its payment the moment it is made.
//
// usage: node websocket_client_example.js <invoice_uuid> [host]
//
// host defaults to localhost:8000. A local host (localhost, 127.x.x.x, [::1]) is reached over ws://, any other
// over wss://; a host given as ws://... or wss://... is used as it is. If the connection drops, the client
// reconnects: the server tells a watcher that connects after the payment at once, so nothing is missed.
//
// Exit status: 0 once the payment arrived, 3 if the invoice expired unpaid, 2 for a usage error or an unknown
// invoice. Needs the ws package (npm install ws).
'use strict';

const WebSocket = require('ws');

// events=all: the expiry of an unpaid invoice too, not only its payment (the server's default).
function endpoint(invoiceId, host) {
  if (/^wss?:\/\//.test(host)) return `${host.replace(/\/+$/, '')}/ws/jpp/invoice/${invoiceId}/?events=all`;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  const local = name === 'localhost' || name === '[::1]' || name.startsWith('127.');
  return `${local ? 'ws' : 'wss'}://${host}/ws/jpp/invoice/${invoiceId}/?events=all`;
}

function printPayment(message) {
  const invoice = message.invoice;
  console.log('Payment received!');
  console.log(`  invoice: ${invoice.payment_id}`);
  console.log(`  txid:    ${message.txid}`);
  console.log(`  paid at: ${message.paid_at}`);
  if (message.memo) console.log(`  memo:    ${message.memo}`);
  for (const output of invoice.outputs || []) console.log(`  output:  ${output.amount} sat to ${output.address}`);
  console.log(JSON.stringify(message, null, 2));
}

function watch(url) {
  let delay = 1000;
  const connect = () => {
    const ws = new WebSocket(url);  // answers the server's pings by itself
    let finished = false;
    ws.on('open', () => {
      delay = 1000;
      console.log(`Connected to ${url}; waiting for the payment...`);
    });
    ws.on('unexpected-response', (request, response) => {
      finished = response.statusCode === 404;
      console.error(finished ? `No such invoice: ${url}` : `The server refused the connection (${response.statusCode})`);
      if (finished) process.exit(2);
      ws.terminate();
    });
    ws.on('message', (data) => {
      let message;
      try {
        message = JSON.parse(data.toString());
      } catch (e) {
        console.log(`Message: ${data}`);
        return;
      }
      if (message.type === 'payment_received') {
        printPayment(message);
        finished = true;
        ws.close();
        process.exitCode = 0;
      } else if (message.type === 'invoice_expired') {
        console.log(`The invoice expired unpaid at ${message.invoice.expires}.`);
        finished = true;
        ws.close();
        process.exitCode = 3;
      } else {
        console.log(`Message: ${data}`);
      }
    });
    ws.on('error', (error) => console.error(`Connection error: ${error.message}`));
    ws.on('close', () => {
      if (finished) return;
      console.error(`Connection closed; reconnecting in ${delay / 1000}s`);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}

const [invoiceArg, host = 'localhost:8000'] = process.argv.slice(2);
if (!invoiceArg || process.argv.length > 4) {
  console.error('usage: node websocket_client_example.js <invoice_uuid> [host]');
  process.exit(2);
}
const invoiceId = invoiceArg.replace(/-/g, '').toLowerCase();
if (!/^[0-9a-f]{32}$/.test(invoiceId)) {
  console.error(`Not an invoice id: ${invoiceArg} (32 hex digits expected)`);
  process.exit(2);
}
watch(endpoint(invoiceId, host));
