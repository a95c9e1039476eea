// Pays an invoice the way the BitPay app and Copay do, through bitcore-wallet-client: PayProV2 for the JSON
// Payment Protocol v2, PayPro for v1. Responses are signature-checked against the key given on the command line,
// registered as trusted for 127.0.0.1.
//
// usage: node bitpay_wallet.js v2|v1 <bitcoincash:?r=URL or URL> <x-identity> <public key hex> <unsigned hex> <signed hex>
// Prints one JSON object per step on stdout; on the first failure prints {"error": message} and exits 1.
'use strict';
const { PayProV2, PayPro } = require('bitcore-wallet-client');

const [version, uri, identity, publicKey, unsignedTx, signedTx] = process.argv.slice(2);
const trustedKeys = {
  [identity]: { owner: 'jppd under test', networks: ['main', 'test', 'regtest'], domains: ['127.0.0.1'], publicKey },
};
const say = (step, value) => console.log(JSON.stringify({ step, ...value }));

async function v2() {
  new PayProV2({}, trustedKeys);  // installs the trusted keys for every call
  const options = await PayProV2.getPaymentOptions({ paymentUrl: uri });
  say('options', options);
  // bitcore POSTs to the URL it was given, not to the one in the answer; it is given the r= URL, like wallets
  // (from a BIP21 URI of either form: bitcoincash:?r=... or <address>?amount=...&r=...).
  const query = uri.indexOf('?');
  const r = query >= 0 ? new URLSearchParams(uri.slice(query + 1)).get('r') : null;
  const paymentUrl = new URL(r || uri).href;
  // Wallets ask for the instructions more than once (before signing and again before sending).
  for (let i = 0; i < 2; i++) {
    const request = await PayProV2.selectPaymentOption({
      paymentUrl, chain: 'bch', currency: 'BCH', payload: { address: 'bitcoincash:qqtest' },
    });
    say('request', request);
  }
  const unsigned = [{ tx: unsignedTx, weightedSize: signedTx.length / 2 }];
  say('verification', await PayProV2.verifyUnsignedPayment({ paymentUrl, chain: 'BCH', currency: 'BCH', unsignedTransactions: unsigned }));
  const signed = [{ tx: signedTx, weightedSize: signedTx.length / 2 }];
  say('payment', await PayProV2.sendSignedPayment({ paymentUrl, chain: 'BCH', currency: 'BCH', signedTransactions: signed, bpPartner: {} }));
}

function callback(fn) {
  return new Promise((resolve, reject) => fn((err, ...results) => (err ? reject(err) : resolve(results))));
}

async function v1() {
  const [request] = await callback(cb => PayPro.get({ url: uri, coin: 'bch', network: 'regtest', trustedKeys }, cb));
  say('request', request);
  const [, memo] = await callback(cb => PayPro.send({
    url: uri, coin: 'bch', network: 'regtest', rawTxUnsigned: unsignedTx, rawTx: signedTx,
  }, cb));
  say('payment', { memo });
}

(version === 'v2' ? v2 : v1)().then(
  () => process.exit(0),
  err => { console.log(JSON.stringify({ error: err && err.message ? err.message : String(err) })); process.exit(1); });
