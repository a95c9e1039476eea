// libauth's virtual machine (createVirtualMachineBCH, standard mode) verifies every transaction libjpp's offline
// signer builds: signatures, sighashes with token data, token rules, standardness.
// usage: node vm_verify.mjs PATH_TO_jpp_sign_sample
// Each transaction must verify, its txid must equal libauth's, and libauth must re-encode it byte for byte. Negative
// controls keep the check honest: with a signature byte flipped, or a spent output's value or token changed, the
// same transaction must fail.
import { spawnSync } from 'node:child_process';
import { loadLibauth } from './libauth.mjs';

const {
  binToHex, createVirtualMachineBCH, decodeTransaction, encodeTransaction, hashTransaction, hexToBin, readTransactionOutput,
} = await loadLibauth();

const tool = process.argv[2];
if (!tool) { console.error('usage: node vm_verify.mjs PATH_TO_jpp_sign_sample'); process.exit(2); }
const run = spawnSync(tool, { encoding: 'utf8', maxBuffer: 1 << 26 });
if (run.error || run.status !== 0) {
  console.error(`FAIL: ${tool}: ${run.error?.message ?? `exited ${run.status ?? run.signal}`}\n${run.stderr ?? ''}`);
  process.exit(1);
}
const minimumSamples = 8;
const vm = createVirtualMachineBCH(true);  // standard mode: the strictest

const output = (hex) => {
  const bin = hexToBin(hex);
  const read = readTransactionOutput({ bin, index: 0 });
  if (typeof read === 'string') return read;
  return read.position.index === bin.length ? read.result : `${bin.length - read.position.index} bytes after the output`;
};

let passed = 0;
let controls = 0;
const failures = [];
for (const line of run.stdout.trimEnd().split('\n').filter(Boolean)) {
  const sample = JSON.parse(line);
  const fail = (why) => failures.push(`${sample.name}: ${why}`);
  const bin = hexToBin(sample.tx);
  const transaction = decodeTransaction(bin);
  const sourceOutputs = sample.sourceOutputs.map(output);
  const bad = [transaction, ...sourceOutputs].find((x) => typeof x === 'string');
  if (bad !== undefined) { fail(`libauth cannot decode it: ${bad}`); continue; }
  if (sourceOutputs.length !== transaction.inputs.length) { fail(`${sourceOutputs.length} source outputs for ${transaction.inputs.length} inputs`); continue; }
  if (binToHex(encodeTransaction(transaction)) !== sample.tx) { fail('libauth re-encodes it differently'); continue; }
  if (hashTransaction(bin) !== sample.txid) { fail(`txid: libauth ${hashTransaction(bin)}, libjpp ${sample.txid}`); continue; }
  const verdict = vm.verify({ sourceOutputs, transaction });
  if (verdict !== true) { fail(`libauth VM: ${verdict}`); continue; }

  // Negative controls on input 0: each change must make verification fail.
  const mutated = [];
  const flipped = structuredClone(transaction);
  flipped.inputs[0].unlockingBytecode[10] ^= 0x01;  // inside the DER signature (past its push and header bytes)
  mutated.push(['signature byte flipped', { sourceOutputs, transaction: flipped }]);
  const revalued = structuredClone(sourceOutputs);
  revalued[0].valueSatoshis += 1n;
  mutated.push(['spent value + 1', { sourceOutputs: revalued, transaction }]);
  if (sourceOutputs[0].token) {
    const untokened = structuredClone(sourceOutputs);
    delete untokened[0].token;
    mutated.push(['spent token removed', { sourceOutputs: untokened, transaction }]);
  }
  const wrong = mutated.filter(([, program]) => vm.verify(program) === true).map(([what]) => what);
  controls += mutated.length;
  if (wrong.length) { fail(`still verifies with: ${wrong.join(', ')}`); continue; }
  passed += 1;
}

for (const f of failures) console.error(`FAIL: ${f}`);
const total = passed + failures.length;
console.log(`libauth VM verify: ${total} signed transactions from libjpp, ${passed} verified, ${failures.length} failed; ` +
  `${controls} negative controls rejected`);
if (total < minimumSamples) console.error(`FAIL: only ${total} transactions; at least ${minimumSamples} expected`);
process.exit(failures.length === 0 && total >= minimumSamples ? 0 : 1);
