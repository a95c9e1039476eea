// The comparison for jppd's WebSocket fan-out: a minimal broadcast server on Node's ws, as one would write it.
// Watchers connect to /ws/<topic>/; POST /publish/<topic> sends the request body to each of them.
// usage: node ws_broadcast_server.js PORT
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const topics = new Map();

const server = http.createServer((req, res) => {
  const match = /^\/publish\/([^/]+)$/.exec(req.url);
  if (req.method !== 'POST' || !match) {
    res.writeHead(404);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const message = Buffer.concat(chunks);
    const watchers = topics.get(match[1]) || new Set();
    for (const ws of watchers) ws.send(message, { binary: false });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ sent: watchers.size }));
  });
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws, req) => {
  const match = /^\/ws\/([^/]+)\/?$/.exec(req.url);
  if (!match) {
    ws.close(1008);
    return;
  }
  const topic = match[1];
  if (!topics.has(topic)) topics.set(topic, new Set());
  topics.get(topic).add(ws);
  ws.on('close', () => {
    const watchers = topics.get(topic);
    watchers.delete(ws);
    if (watchers.size === 0) topics.delete(topic);
  });
});

server.listen(Number(process.argv[2]), '127.0.0.1');
