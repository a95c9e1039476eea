// Differential test: libjpp's decoder against libauth's on generated transactions and mutations of them.
// usage: node differential.mjs PATH_TO_jpp_decode      (env: JPP_DIFF_SEED, JPP_DIFF_COUNT, JPP_VECTORS_DIR)
// Both must agree on accept/reject; where both accept, on the txid and every field.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binToHex, decodeTransaction, encodeTransaction, hashTransaction, hexToBin } from '@bitauth/libauth';

const tool = process.argv[2];
const seed = Number(process.env.JPP_DIFF_SEED ?? 20261124);
const baseCount = Number(process.env.JPP_DIFF_COUNT ?? 2500);  // each base transaction yields 5 cases

// mulberry32: a small deterministic PRNG, so a failure can be replayed from its seed.
let state = seed >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(random() * n);
const pick = (items) => items[int(items.length)];
const bytes = (n) => Uint8Array.from({ length: n }, () => int(256));
const u32 = () => int(2 ** 32);

// Mostly short scripts; CompactSize edges often; a 3-byte-length script (65,535+) rarely, to keep memory small.
const scriptLength = () => (random() < 0.9 ? int(40) : random() < 0.98 ? pick([25, 252, 253, 254, 300]) : pick([65535, 65536]));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const value = () =>
  random() < 0.8 ? BigInt(int(2 ** 31)) : pick([0n, 2100000000000000n, 2100000000000001n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n]);
const tokenAmount = () =>
  pick([1n, 252n, 253n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n - 1n, BigInt(int(2 ** 31) + 1)]);
const token = () => {
  const kind = int(3);
  const t = { category: bytes(32), amount: kind === 1 ? 0n : tokenAmount() };
  if (kind >= 1) t.nft = { capability: pick(['none', 'mutable', 'minting']), commitment: bytes(pick([0, 1, 2, 40, 41, 128, 129, 253])) };
  return t;
};

const generate = () => ({
  version: random() < 0.8 ? pick([1, 2]) : u32(),
  inputs: Array.from({ length: random() < 0.05 ? 0 : 1 + int(4) }, () => ({
    outpointTransactionHash: bytes(32), outpointIndex: random() < 0.1 ? 0xffffffff : int(10),
    sequenceNumber: random() < 0.7 ? 0xffffffff : u32(), unlockingBytecode: bytes(scriptLength()),
  })),
  outputs: Array.from({ length: random() < 0.05 ? 0 : 1 + int(4) }, () => {
    const o = { lockingBytecode: bytes(scriptLength()), valueSatoshis: value() };
    if (random() < 0.4) o.token = token();
    return o;
  }),
  locktime: u32(),
});

// A field starting with 0xef that breaks a token-prefix rule (or, by chance, is a valid one).
const badPrefix = () => {
  const category = bytes(32);
  const body = pick([
    [0x90, 0x01], [0x00], [0x23], [0x2f], [0x11, 0x01], [0x50, 0x01], [0x60, 0x00], [0x10, 0x00],
    [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x10, 0xfd, 0x01, 0x00], [0x60, 0x05, 0x01],
    [int(256)], [int(256), int(256), int(256)],
  ]);
  return concat(Uint8Array.of(0xef), category.slice(0, random() < 0.1 ? int(32) : 32), Uint8Array.from(body), bytes(int(4)));
};

const mutations = [
  (bin) => bin.slice(0, int(bin.length)),                                            // truncation
  (bin) => concat(bin, bytes(1 + int(3))),                                            // trailing bytes
  (bin) => { const b = bin.slice(); b[int(b.length)] ^= 1 << int(8); return b; },     // bit flip
  (bin) => {                                                                          // non-minimal input count
    if (bin.length < 5 || bin[4] >= 0xfd) return bin;
    return concat(bin.slice(0, 4), Uint8Array.of(0xfd, bin[4], 0x00), bin.slice(5));
  },
];

const cases = [];
for (let i = 0; i < baseCount; i += 1) {
  const tx = generate();
  if (random() < 0.3 && tx.outputs.length > 0) {
    const o = tx.outputs[int(tx.outputs.length)];
    delete o.token;
    o.lockingBytecode = badPrefix();
  }
  const bin = encodeTransaction(tx);
  cases.push(bin);
  for (let m = 0; m < 4; m += 1) cases.push(pick(mutations)(bin));
}

// The public vectors' transactions, when the folder is there (CI).
let fromVectors = 0;
const vectorsDir = process.env.JPP_VECTORS_DIR;
if (vectorsDir && existsSync(vectorsDir)) {
  for (const file of ['cashtokens/bch_vmb_tests_chip_cashtokens_standard.json', 'cashtokens/bch_vmb_tests_chip_cashtokens_invalid.json']) {
    for (const test of JSON.parse(readFileSync(join(vectorsDir, file), 'utf8'))) { cases.push(hexToBin(test[4])); fromVectors += 1; }
  }
  for (const row of JSON.parse(readFileSync(join(vectorsDir, 'bchn/tx_valid.json'), 'utf8'))) {
    if (Array.isArray(row[0])) { cases.push(hexToBin(row[1])); fromVectors += 1; }
  }
}

const libauth = (bin) => {
  const tx = decodeTransaction(bin);
  if (typeof tx === 'string') return { ok: false, error: tx };
  return {
    ok: true, txid: hashTransaction(bin), version: tx.version, locktime: tx.locktime,
    inputs: tx.inputs.map((i) => ({ txid: binToHex(i.outpointTransactionHash), vout: i.outpointIndex, seq: i.sequenceNumber, scriptSig: binToHex(i.unlockingBytecode) })),
    outputs: tx.outputs.map((o) => ({
      value: o.valueSatoshis.toString(), script: binToHex(o.lockingBytecode),
      token: o.token ? { category: binToHex(o.token.category), amount: o.token.amount.toString(),
        nft: o.token.nft ? { capability: o.token.nft.capability, commitment: binToHex(o.token.nft.commitment) } : null } : null,
    })),
  };
};

const run = spawnSync(tool, { input: cases.map(binToHex).join('\n') + '\n', maxBuffer: 1 << 30, encoding: 'utf8' });
if (run.status !== 0) { console.error(`${tool} failed: ${run.stderr}`); process.exit(1); }
const ours = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
if (ours.length !== cases.length) { console.error(`expected ${cases.length} answers, got ${ours.length}`); process.exit(1); }

// Deliberate disagreements: none. (libauth's known deviations concern addresses, consensus checks and sizes
// beyond 32 MiB, none of which a decode-only comparison of these inputs reaches.)
let accepted = 0, rejected = 0;
const disagreements = [];
cases.forEach((bin, i) => {
  const theirs = libauth(bin);
  const mine = ours[i];
  if (theirs.ok !== mine.ok) disagreements.push({ hex: binToHex(bin), libauth: theirs.ok ? 'accepted' : theirs.error, libjpp: mine.ok ? 'accepted' : mine.error });
  else if (!theirs.ok) rejected += 1;
  else if (JSON.stringify(theirs) !== JSON.stringify(mine)) disagreements.push({ hex: binToHex(bin), libauth: theirs, libjpp: mine });
  else accepted += 1;
});

for (const d of disagreements.slice(0, 5)) console.error(JSON.stringify(d).slice(0, 2000));
console.log(`differential (seed ${seed}): ${cases.length} transactions (${fromVectors} from public vectors), ` +
  `${accepted} accepted by both, ${rejected} rejected by both, ${disagreements.length} disagreements`);
const enough = cases.length >= 10000 && accepted >= cases.length * 0.2 && rejected >= cases.length * 0.2;
if (!enough) console.error('not enough cases on each side for the comparison to mean something');
process.exit(disagreements.length === 0 && enough ? 0 : 1);
