// Differential test: libjpp's transaction decoder against libauth's (@bitauth/libauth 3.0.0, pinned in package.json).
// usage: node differential.mjs PATH_TO_jpp_decode
// env:   JPP_DIFF_SEED   PRNG seed (default 20261124; printed, so a failure can be replayed)
//        JPP_DIFF_COUNT  how many transactions to generate (default 12000; fewer than 10,000 fails the run)
//        JPP_VECTORS_DIR the public vector folder (default ../../../shared/vectors); its transactions are added when
//                        it exists, and skipped silently otherwise
//
// Cases: random transactions encoded by libauth's encodeTransaction (which writes token prefixes with
// encodeTokenPrefix), then mutations of them: truncations, appended bytes, flipped bits and bytes, flipped token
// bitfield bits, non-minimal CompactSize re-encodings and off-by-one values of every count and length (including
// commitment lengths and token amounts), and invalid token prefixes; two transactions either side of the
// 1,000,000-byte consensus maximum; the public vectors' transactions and spent outputs when the folder exists.
// Each case goes through libauth's decodeTransaction + hashTransaction and through jpp_decode (one process for all
// of them, streamed), and the two must agree on accept/reject; where both accept, on the txid and every field
// (jpp_decode's txid is that of its decoding re-encoded); where both reject, on the kind of error. Deliberate
// disagreements are listed in `deliberate` below, each with the reason; anything else fails the run, as do fewer
// than 10,000 generated cases or fewer than 20% of all cases on either side (accepted by both, rejected by both).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLibauth } from './libauth.mjs';

const {
  binToHex, decodeTransaction, encodeTransaction, encodeTokenPrefix, hashTransaction, hexToBin, readCompactUintMinimal,
  readTransactionInputs,
} = await loadLibauth();

const tool = process.argv[2];
if (!tool || !existsSync(tool)) {
  console.error(`usage: node differential.mjs PATH_TO_jpp_decode (got ${tool ?? 'nothing'})`);
  process.exit(2);
}
const integerEnv = (name, fallback) => {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) { console.error(`${name} must be a non-negative integer, got "${text}"`); process.exit(2); }
  return Number(text);
};
const seed = integerEnv('JPP_DIFF_SEED', 20261124) >>> 0;
const count = integerEnv('JPP_DIFF_COUNT', 12000);
const minimumCompared = 10000;
const minimumShare = 0.2;  // of all cases, at least this many accepted by both, and this many rejected by both
console.log(`differential: seed ${seed} (JPP_DIFF_SEED), ${count} generated transactions (JPP_DIFF_COUNT)`);

// ---- PRNG: mulberry32, small and deterministic ----
let state = seed;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(random() * n);
const chance = (p) => random() < p;
const pick = (items) => items[int(items.length)];
const bytes = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i += 1) b[i] = int(256); return b; };
const u32 = () => int(2 ** 32);
const u64 = () => (BigInt(u32()) << 32n) | BigInt(u32());

// ---- wire helpers ----
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const u32le = (n) => Uint8Array.of(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
const u64le = (v) => Uint8Array.from({ length: 8 }, (_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));
const minimalWidth = (v) => (v < 0xfdn ? 1 : v <= 0xffffn ? 3 : v <= 0xffffffffn ? 5 : 9);
const compactSize = (value, width = minimalWidth(BigInt(value))) => {
  const v = BigInt(value);
  if (width === 1) return Uint8Array.of(Number(v));
  const body = u64le(v).slice(0, width - 1);
  return concat(Uint8Array.of({ 3: 0xfd, 5: 0xfe, 9: 0xff }[width]), body);
};
const reversed = (b) => b.slice().reverse();
const INT64_MAX = 2n ** 63n - 1n;
const MAX_MONEY = 2100000000000000n;

// ---- generation ----
// Script lengths: mostly short; often at the 1/3-byte CompactSize edge; rarely at the 3/5-byte edge (65,535).
const scriptLength = () => {
  const r = random();
  if (r < 0.85) return int(41);
  if (r < 0.993) return pick([0, 25, 251, 252, 253, 254, 255, 300]);
  return pick([65534, 65535, 65536]);
};
const tokenAmount = () => (chance(0.5) ? BigInt(1 + int(252))
  : pick([1n, 252n, 253n, 254n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n, INT64_MAX - 1n, INT64_MAX, 1n + (u64() & INT64_MAX) % INT64_MAX]));
const commitmentLength = () => (chance(0.7) ? 1 + int(40) : pick([41, 64, 127, 128, 129, 252, 253, 300]));
const token = () => {
  const kind = pick(['ft', 'nft', 'nft', 'both']);
  const t = { amount: kind === 'nft' ? 0n : tokenAmount(), category: bytes(32) };
  if (kind !== 'ft') t.nft = { capability: pick(['none', 'mutable', 'minting']), commitment: chance(0.3) ? Uint8Array.of() : bytes(commitmentLength()) };
  return t;
};
const value = () => {
  const r = random();
  if (r < 0.6) return BigInt(int(2 ** 31));
  if (r < 0.8) return u64();  // mostly above INT64_MAX and MAX_MONEY
  return pick([0n, 546n, MAX_MONEY, MAX_MONEY + 1n, INT64_MAX, INT64_MAX + 1n, 2n ** 64n - 1n]);
};
const itemCount = (short) => {
  const r = random();
  if (r < 0.05) return 0;
  if (r < 0.995) return 1 + int(short ? 4 : 3);
  return pick([252, 253]);  // the count's own CompactSize edge (the items are kept small then)
};
const generate = () => {
  const inputCount = itemCount(true);
  const outputCount = itemCount(false);
  const many = inputCount + outputCount > 200;
  return {
    inputs: Array.from({ length: inputCount }, () => ({
      outpointIndex: chance(0.1) ? 0xffffffff : chance(0.8) ? int(10) : u32(),
      outpointTransactionHash: chance(0.05) ? new Uint8Array(32) : bytes(32),
      sequenceNumber: chance(0.7) ? 0xffffffff : u32(),
      unlockingBytecode: bytes(many ? int(3) : scriptLength()),
    })),
    locktime: chance(0.5) ? 0 : u32(),
    outputs: Array.from({ length: outputCount }, () => {
      const o = { lockingBytecode: bytes(many ? int(3) : scriptLength()), valueSatoshis: value() };
      if (chance(0.4)) {
        o.token = token();
        // Now and then put the whole field (prefix + script) at the 253-byte CompactSize edge.
        if (chance(0.1)) {
          const prefix = encodeTokenPrefix(o.token).length;
          if (prefix <= 252) o.lockingBytecode = bytes(252 - prefix + int(3));
        }
      }
      return o;
    }),
    version: chance(0.8) ? pick([1, 2]) : u32(),
  };
};

// ---- our own encoder, for mutations libauth cannot express ----
// Encodes `tx` as libauth does, except as `plan` says:
//   widen:    {site, width}  write CompactSize number `site` (in wire order) non-minimally in `width` bytes
//   delta:    {site, by}     write CompactSize number `site` as its value + by (the bytes it counts are unchanged)
//   bitfield: {output, mask} XOR the token bitfield of an output (the prefix is otherwise written as before)
//   field:    {output, bytes} replace the whole field (token prefix + locking bytecode) of an output
// Returns the bytes and the list of CompactSize sites, [{kind, value}], so a mutation can choose one.
const encodeWith = (tx, plan = {}) => {
  const sites = [];
  const compact = (kind, value, site = sites.length) => {
    sites[site] = { kind, value: BigInt(value) };
    let v = BigInt(value);
    if (plan.delta?.site === site) v += plan.delta.by;
    const width = plan.widen?.site === site ? plan.widen.width : minimalWidth(v);
    return compactSize(v, width);
  };
  const prefix = (t, output) => {
    if (t === undefined || (t.nft === undefined && t.amount < 1n)) return new Uint8Array(0);
    const commitment = t.nft?.commitment ?? new Uint8Array(0);
    let bitfield = (t.nft ? 0x20 : 0) | (commitment.length > 0 ? 0x40 : 0) | (t.amount > 0n ? 0x10 : 0) |
      (t.nft ? { none: 0, mutable: 1, minting: 2 }[t.nft.capability] : 0);
    if (plan.bitfield?.output === output) bitfield ^= plan.bitfield.mask;
    return concat(Uint8Array.of(0xef), reversed(t.category), Uint8Array.of(bitfield),
      ...(commitment.length > 0 ? [compact('commitment length', commitment.length), commitment] : []),
      ...(t.amount > 0n ? [compact('token amount', t.amount)] : []));
  };
  const parts = [u32le(tx.version), compact('input count', tx.inputs.length)];
  for (const i of tx.inputs) {
    parts.push(reversed(i.outpointTransactionHash), u32le(i.outpointIndex),
      compact('unlocking bytecode length', i.unlockingBytecode.length), i.unlockingBytecode, u32le(i.sequenceNumber));
  }
  parts.push(compact('output count', tx.outputs.length));
  tx.outputs.forEach((o, index) => {
    const site = sites.length;
    sites.push(undefined);  // the field length comes first on the wire, but is known once the prefix is written
    const field = plan.field?.output === index ? plan.field.bytes : concat(prefix(o.token, index), o.lockingBytecode);
    parts.push(u64le(o.valueSatoshis), compact('field length', field.length, site), field);
  });
  parts.push(u32le(tx.locktime));
  return { bin: concat(...parts), sites };
};

// A field whose token prefix breaks a rule of the CHIP, followed by `script` (or alone where the rule is about the
// field's end). Each entry is invalid whatever follows it, unless it says `alone`.
const badField = (script) => {
  const category = bytes(32);
  const p = (bitfield, ...rest) => concat(Uint8Array.of(0xef), category, Uint8Array.of(bitfield), ...rest.map((r) => Uint8Array.from(r)), script);
  const alone = (...rest) => concat(Uint8Array.of(0xef), ...rest.map((r) => Uint8Array.from(r)));
  const capability = 1 + int(2);
  return pick([
    () => p(0x80 | pick([0x10, 0x20, 0x30]), [1]),                        // reserved bit
    () => p(0xf0 | capability, [1, 0xaa, 1]),                             // reserved bit, everything else set
    () => p(0x20 | (3 + int(13))),                                          // capability 3..15 with an NFT
    () => p(0x30 | (3 + int(13)), [5]),                                     // capability 3..15, NFT and amount
    () => p(0x10 | capability, [1]),                                        // capability without an NFT
    () => p(capability),                                                    // capability alone
    () => p(0x00),                                                          // no tokens at all
    () => p(0x40, [1, 0xaa]),                                               // commitment without an NFT
    () => p(0x50, [1, 0xaa, 1]),                                            // commitment and amount, no NFT
    () => p(0x10, [0]),                                                     // zero amount
    () => p(0x30 | capability, [0]),                                        // NFT and a zero amount
    () => p(0x70, [1, 0xaa, 0]),                                            // commitment and a zero amount
    () => p(0x10, [0xff, 0, 0, 0, 0, 0, 0, 0, 0x80]),                       // amount INT64_MAX + 1
    () => p(0x10, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),  // amount 2^64 - 1
    () => p(0x10, [0xfd, 0x01, 0x00]),                                      // non-minimal amount
    () => p(0x10, [0xfe, 0xff, 0xff, 0x00, 0x00]),                          // non-minimal amount
    () => p(0x60 | capability, [0]),                                        // zero-length commitment with the length bit
    () => p(0x70, [0, 1]),                                                  // the same, with an amount
    () => p(0x60, [0xfd, 0x05, 0x00], bytes(5)),                            // non-minimal commitment length
    () => alone(category, [0x60, 5 + int(250)], bytes(int(5))),             // commitment longer than the field
    () => alone(category, [0x10]),                                          // amount missing at the field's end
    () => alone(category, [0x10, 0xfd, 0x01]),                              // amount cut short
    () => alone(bytes(int(33))),                                            // too-short prefix (< 34 bytes)
  ])();
};

// Mutations: each returns new bytes, or null when it does not apply to this transaction.
const mutations = {
  truncate: (bin) => (bin.length ? bin.slice(0, int(bin.length)) : null),
  append: (bin) => concat(bin, bytes(1 + int(8))),
  flipBit: (bin) => { if (!bin.length) return null; const b = bin.slice(); b[int(b.length)] ^= 1 << int(8); return b; },
  replaceByte: (bin) => { if (!bin.length) return null; const b = bin.slice(); b[int(b.length)] = int(256); return b; },
  flipBitfieldBit: (bin, tx) => {
    const outputs = tx.outputs.map((o, i) => (o.token ? i : -1)).filter((i) => i >= 0);
    if (!outputs.length) return null;
    const output = pick(outputs), mask = 1 << int(8);
    detail = `output ${output} bitfield ^ 0x${mask.toString(16)}`;
    return encodeWith(tx, { bitfield: { output, mask } }).bin;
  },
  nonMinimalSize: (bin, tx, sites) => {
    const widenable = sites.flatMap((s, i) => (minimalWidth(s.value) < 9 ? [i] : []));  // 9 bytes is always minimal
    if (!widenable.length) return null;
    const site = pick(widenable);
    const width = pick([3, 5, 9].filter((w) => w > minimalWidth(sites[site].value)));
    detail = `${sites[site].kind} ${sites[site].value} in ${width} bytes`;
    return encodeWith(tx, { widen: { site, width } }).bin;
  },
  offByOne: (bin, tx, sites) => {
    if (!sites.length) return null;
    const site = int(sites.length);
    const by = sites[site].value === 0n || chance(0.5) ? 1n : -1n;
    detail = `${sites[site].kind} ${sites[site].value} written as ${sites[site].value + by}`;
    return encodeWith(tx, { delta: { site, by } }).bin;
  },
  badTokenPrefix: (bin, tx) => {
    if (!tx.outputs.length) return null;
    const output = int(tx.outputs.length);
    return encodeWith(tx, { field: { output, bytes: badField(tx.outputs[output].lockingBytecode) } }).bin;
  },
};
const mutationNames = Object.keys(mutations);

// Every case, lazily: {bin, origin, detail}. `generated` counts the generated ones (not the fixed and vector ones).
let generated = 0;
let detail;  // what the last mutation did, when it says more than its name
function* generatedCases() {
  while (generated < count) {
    const tx = generate();
    const bin = encodeTransaction(tx);
    const mine = encodeWith(tx);
    if (binToHex(mine.bin) !== binToHex(bin)) {
      console.error('test bug: encodeWith() does not reproduce libauth encodeTransaction() for', binToHex(bin).slice(0, 400));
      process.exit(2);
    }
    generated += 1;
    yield { bin, origin: 'generated' };
    // Three mutations per transaction; now and then every truncation of a small one.
    for (let m = 0; m < 3 && generated < count; ) {
      const name = pick(mutationNames);
      detail = undefined;
      const mutated = mutations[name](bin, tx, mine.sites);
      if (mutated === null) continue;
      generated += 1;
      m += 1;
      yield { bin: mutated, origin: name, detail };
    }
    if (bin.length <= 300 && chance(0.004)) {
      for (let n = 0; n < bin.length && generated < count; n += 1) {
        generated += 1;
        yield { bin: bin.slice(0, n), origin: 'truncate (every length)' };
      }
    }
  }
}

// Two fixed cases at the 1,000,000-byte consensus maximum: one input, one output whose script fills the rest.
function* boundaryCases() {
  const ofSize = (size) => encodeTransaction({
    inputs: [{ outpointIndex: 0, outpointTransactionHash: new Uint8Array(32).fill(0x11), sequenceNumber: 0xffffffff, unlockingBytecode: new Uint8Array(0) }],
    locktime: 0, outputs: [{ lockingBytecode: new Uint8Array(size - 64).fill(0x51), valueSatoshis: 1000n }], version: 2,
  });
  yield { bin: ofSize(1_000_000), origin: 'size boundary' };
  yield { bin: ofSize(1_000_001), origin: 'size boundary' };
}

// The public vectors, when the folder is there (CI).
const here = fileURLToPath(new URL('.', import.meta.url));
const vectorsDir = process.env.JPP_VECTORS_DIR || join(here, '../../../shared/vectors');
let fromVectors = 0;
function* vectorCases() {
  if (!existsSync(vectorsDir)) return;
  const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
  const vector = (hex, origin) => { fromVectors += 1; return { bin: hexToBin(hex), origin }; };
  for (const sub of ['cashtokens', 'libauth']) {
    const dir = join(vectorsDir, sub);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => /^bch_vmb_tests_chip_cashtokens_.*\.json$/.test(f) && !f.endsWith('_reasons.json')).sort()) {
      for (const test of readJson(join(dir, file))) {
        if (!Array.isArray(test) || typeof test[4] !== 'string') continue;
        yield vector(test[4], `${sub}/${file}`);
        // The spent outputs too, as the outputs of a transaction without inputs (count + outputs is that layout).
        if (typeof test[5] === 'string') yield vector(`0200000000${test[5]}00000000`, `${sub}/${file} sourceOutputs`);
      }
    }
  }
  for (const file of ['bchn/tx_valid.json', 'bchn/tx_invalid.json']) {
    if (!existsSync(join(vectorsDir, file))) continue;
    for (const row of readJson(join(vectorsDir, file))) if (Array.isArray(row[0]) && typeof row[1] === 'string') yield vector(row[1], file);
  }
  // Token prefix vectors, each as the whole locking field of a transaction's only output.
  const oneOutput = (field) => `0200000001${'11'.repeat(32)}0000000000ffffffff01e803000000000000${binToHex(compactSize(field.length / 2))}${field}00000000`;
  for (const file of ['cashtokens/token-prefix-valid.json', 'cashtokens/token-prefix-invalid.json', 'bchn/token_tests_prefix_invalid.json']) {
    if (!existsSync(join(vectorsDir, file))) continue;
    for (const entry of readJson(join(vectorsDir, file))) if (typeof entry.prefix === 'string') yield vector(oneOutput(entry.prefix), file);
  }
}

// ---- libauth's answer, in jpp_decode's shape ----
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

// Deliberate disagreements, each with its reason. Nothing else may differ.
// (bch-format.md section 5 lists libauth's deviations; those about addresses, consensus checks and the VM do not
// apply to decoding, and libauth's missing 32 MiB CompactSize cap is unreachable here: such a length always runs
// past the end of the input too, which both reject.)
const deliberate = [
  {
    why: 'jpp::decode_transaction_hex refuses hex of a transaction above the 1,000,000-byte consensus maximum before ' +
      'decoding it (a guard for servers handed untrusted hex; decode_transaction itself has no cap); libauth has no cap',
    applies: (bin, theirs, mine) => bin.length > 1_000_000 && theirs.ok && !mine.ok && mine.error === 'tx_oversize',
  },
];
// Where both reject, the reasons must match too: libjpp's error code against the root cause in libauth's message.
// Two differences of order are expected. libauth has no 32 MiB cap on CompactSize values, so what libjpp calls
// size_too_large runs out of bytes there. And libjpp refuses an input or output count the remaining bytes cannot
// hold (41 bytes per input, 9 per output at least) as truncated before reading any item, where libauth reads items
// until one fails, for whatever reason.
const countCannotFit = (bin) => {
  const inputCount = readCompactUintMinimal({ bin, index: 4 });
  if (typeof inputCount === 'string') return false;
  if (inputCount.result * 41n > BigInt(bin.length - inputCount.position.index)) return true;
  const inputs = readTransactionInputs({ bin, index: 4 });
  if (typeof inputs === 'string') return false;
  const outputCount = readCompactUintMinimal(inputs.position);
  if (typeof outputCount === 'string') return false;
  return outputCount.result * 9n > BigInt(bin.length - outputCount.position.index);
};
const missingBytes = (message, bin) => /insufficient|requires (at least one|\d+) byte|required bytes/i.test(message) || countCannotFit(bin);
const sameReason = {
  truncated: missingBytes,
  size_too_large: missingBytes,
  non_canonical_size: (message) => /not minimally encoded/.test(message),
  trailing_bytes: (message) => /unexpected bytes after the encoded transaction/.test(message),
  invalid_token_prefix: (message) => /token prefix/i.test(message),
};

const short = (v) => { const s = typeof v === 'string' ? v : JSON.stringify(v); return s.length > 160 ? `${s.slice(0, 160)}…(${s.length} chars)` : s; };
const firstDifference = (a, b, path = '') => {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return a === b ? null : `${path || 'value'}: libauth ${short(a)}, libjpp ${short(b)}`;
  }
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference(a[key], b[key], `${path}${Array.isArray(a) ? `[${key}]` : `.${key}`}`);
    if (d) return d;
  }
  return null;
};

let total = 0, accepted = 0, rejected = 0;
const whitelisted = new Map();  // reason -> count
const disagreements = [];  // the first 1000, in full
let disagreementCount = 0;
const byOrigin = {};
const compare = ({ bin, origin, detail: what }, line) => {
  total += 1;
  const theirs = libauth(bin);
  const mine = JSON.parse(line);
  const tally = (byOrigin[origin] ??= { accepted: 0, rejected: 0, disagreements: 0 });
  let difference = null;
  if (theirs.ok !== mine.ok) difference = `libauth ${theirs.ok ? 'accepts' : `rejects (${theirs.error})`}, libjpp ${mine.ok ? 'accepts' : `rejects (${mine.error})`}`;
  else if (theirs.ok) difference = firstDifference(theirs, mine);
  else if (!sameReason[mine.error]?.(theirs.error, bin)) difference = `both reject, libauth because "${theirs.error}", libjpp with ${mine.error}`;
  if (difference === null) {
    if (theirs.ok) { accepted += 1; tally.accepted += 1; } else { rejected += 1; tally.rejected += 1; }
    return;
  }
  const rule = deliberate.find((d) => d.applies(bin, theirs, mine));
  if (rule) { whitelisted.set(rule.why, (whitelisted.get(rule.why) ?? 0) + 1); return; }
  tally.disagreements += 1;
  disagreementCount += 1;
  if (disagreements.length < 1000) disagreements.push({ origin: what ? `${origin}: ${what}` : origin, difference, hex: binToHex(bin), libauth: theirs, libjpp: mine });
};

// ---- one jpp_decode process for every case, streamed: hex lines in, JSON lines out, compared as they arrive ----
const child = spawn(tool, { stdio: ['pipe', 'pipe', 'inherit'] });
const pending = [];  // cases sent and not yet answered, in order
let partial = '';
let protocolError = null;
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  for (const line of lines) {
    if (!pending.length) { protocolError ??= `${tool} printed more answers than it was sent transactions`; continue; }
    compare(pending.shift(), line);
  }
});
const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
const spawned = new Promise((resolve, reject) => { child.on('spawn', resolve); child.on('error', reject); });
try { await spawned; } catch (error) { console.error(`FAIL: cannot run ${tool}: ${error.message}`); process.exit(1); }
child.stdin.on('error', (error) => { protocolError ??= `writing to ${tool}: ${error.message}`; });
let gone = false;  // the tool exited while cases were still being sent
exited.then(() => { gone = true; });
sending: for (const source of [generatedCases(), boundaryCases(), vectorCases()]) {
  for (const c of source) {
    if (protocolError || gone) break sending;
    pending.push(c);
    if (!child.stdin.write(`${binToHex(c.bin)}\n`)) await Promise.race([new Promise((resolve) => child.stdin.once('drain', resolve)), exited]);
  }
}
child.stdin.end();
const { code, signal } = await exited;
if (code !== 0 || protocolError || partial !== '' || pending.length) {
  console.error(`FAIL: ${tool} ${signal ? `died of ${signal}` : `exited ${code}`}` +
    `${protocolError ? `; ${protocolError}` : ''}; ${pending.length} transactions left unanswered`);
  process.exit(1);
}

for (const [origin, t] of Object.entries(byOrigin)) {
  console.log(`  ${origin.padEnd(66)} ${String(t.accepted).padStart(6)} accepted ${String(t.rejected).padStart(6)} rejected` +
    (t.disagreements ? ` ${t.disagreements} DISAGREEMENTS` : ''));
}
for (const { why } of deliberate) console.log(`  ${String(whitelisted.get(why) ?? 0).padStart(6)} deliberate disagreement(s): ${why.split(' (')[0]}`);
console.log(`  ${fromVectors} transactions from public vectors${existsSync(vectorsDir) ? ` (${vectorsDir})` : ' (folder absent)'}`);
if (disagreements.length) {
  const file = join(tmpdir(), `jpp-differential-${seed}.json`);
  writeFileSync(file, JSON.stringify(disagreements, null, 1));
  for (const d of disagreements.slice(0, 10)) console.error(`DISAGREEMENT (${d.origin}): ${d.difference}\n  hex ${short(d.hex)}`);
  console.error(`${disagreementCount} disagreements; the first ${disagreements.length} with full hex and both answers: ${file}`);
}
console.log(`differential: ${total} transactions (${accepted} accepted by both, ${rejected} rejected by both), ` +
  `${disagreementCount} disagreements`);

let failed = disagreementCount > 0;
if (generated < minimumCompared) { console.error(`FAIL: only ${generated} generated transactions; at least ${minimumCompared} are needed`); failed = true; }
for (const [what, n] of [['accepted', accepted], ['rejected', rejected]]) {
  if (n < total * minimumShare) {
    console.error(`FAIL: only ${n} of ${total} ${what} by both; at least ${minimumShare * 100}% are needed for the comparison to mean something`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
