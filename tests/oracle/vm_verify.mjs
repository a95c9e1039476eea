// libauth's virtual machine verifies every transaction libjpp's offline signer produces (signatures, sighash
// with token data, token rules). usage: node vm_verify.mjs PATH_TO_jpp_sign_sample
import { spawnSync } from 'node:child_process';
import { createVirtualMachineBCH, decodeTransaction, decodeTransactionOutputs, hexToBin } from '@bitauth/libauth';

const run = spawnSync(process.argv[2], { encoding: 'utf8' });
if (run.status !== 0) { console.error(run.stderr); process.exit(1); }
const vm = createVirtualMachineBCH(true);  // standard mode: the strictest
let passed = 0, failed = 0;
for (const line of run.stdout.trimEnd().split('\n')) {
  const sample = JSON.parse(line);
  const transaction = decodeTransaction(hexToBin(sample.tx));
  const outputs = sample.sourceOutputs.map((hex) => hexToBin(hex));
  const count = Uint8Array.of(outputs.length);  // fewer than 253 outputs: one-byte CompactSize
  const joined = Uint8Array.from([...count, ...outputs.flatMap((o) => [...o])]);
  const sourceOutputs = decodeTransactionOutputs(joined);
  const verdict = typeof transaction === 'string' || typeof sourceOutputs === 'string'
    ? `decode failed: ${transaction} ${sourceOutputs}`
    : vm.verify({ sourceOutputs, transaction });
  if (verdict === true) passed += 1;
  else { failed += 1; console.error(`${sample.name}: ${verdict}`); }
}
console.log(`libauth VM verify: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed >= 4 ? 0 : 1);
