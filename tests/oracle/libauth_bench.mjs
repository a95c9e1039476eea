// libauth's decodeTransaction + hashTransaction on the transactions in a file of hex lines (from
// jpp_bench_decode --dump), for bench/run.sh to print beside libjpp's figure on identical input.
// usage: node libauth_bench.mjs FILE [SECONDS]
import { readFileSync } from 'node:fs';
import { decodeTransaction, hashTransaction, hexToBin } from '@bitauth/libauth';

const [file, seconds = '2'] = process.argv.slice(2);
const txs = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(hexToBin);
const run = (ms) => {
  let done = 0, sink = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (const bin of txs) {
      const tx = decodeTransaction(bin);
      if (typeof tx === 'string') throw new Error(`libauth rejected a benchmark transaction: ${tx}`);
      sink ^= hashTransaction(bin).charCodeAt(0);
    }
    done += txs.length;
  }
  return { rate: done / ((performance.now() - start) / 1000), sink };
};
run(500);  // warm up the JIT
const { rate } = run(Number(seconds) * 1000);
console.log(`${'libauth decodeTransaction + hashTransaction'.padEnd(44)} ${rate.toFixed(0).padStart(10)} tx/s ${(1e9 / rate).toFixed(0).padStart(8)} ns/tx`);
