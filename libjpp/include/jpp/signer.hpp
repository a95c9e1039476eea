// An offline signer: BCH signature hashes (SIGHASH_FORKID, with the CashTokens additions) and secp256k1 ECDSA,
// enough to build signed P2PKH transactions for tests and for hosts that unit-test their payment logic.
// It is not a wallet: no coin selection, no key storage.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "jpp/bytes.hpp"
#include "jpp/error.hpp"
#include "jpp/hash.hpp"
#include "jpp/transaction.hpp"

namespace jpp {

// Signature hash types. Every BCH signature carries FORKID; UTXOS commits to every spent output.
inline constexpr std::uint32_t sighash_all = 0x01;
inline constexpr std::uint32_t sighash_none = 0x02;
inline constexpr std::uint32_t sighash_single = 0x03;
inline constexpr std::uint32_t sighash_utxos = 0x20;
inline constexpr std::uint32_t sighash_forkid = 0x40;
inline constexpr std::uint32_t sighash_anyonecanpay = 0x80;

class PrivateKey {
public:
    // A 32-byte secret in 1 .. n-1 of secp256k1.
    static Result<PrivateKey> from_bytes(ByteView secret);
    // Wallet Import Format; compressed keys only (the only kind BCH wallets make today).
    static Result<PrivateKey> from_wif(std::string_view wif);
    std::string to_wif(bool mainnet = true) const;

    // The 33-byte compressed public key.
    std::array<std::uint8_t, 33> public_key() const;
    // HASH160 of the public key: the hash of this key's P2PKH address.
    Hash160 public_key_hash() const;

    // Deterministic (RFC 6979) low-S ECDSA signature of a 32-byte digest, DER encoded.
    Bytes sign_ecdsa(const Hash256& digest) const;
    // The same signature as r || s, 32 big-endian bytes each (the JSON Payment Protocol's form).
    std::array<std::uint8_t, 64> sign_compact(const Hash256& digest) const;

private:
    explicit PrivateKey(const std::array<std::uint8_t, 32>& secret) : secret_(secret) {}
    std::array<std::uint8_t, 32> secret_;
};

// A spendable coin: where it is and what it holds.
struct Coin {
    Outpoint outpoint;
    Output output;
};

// The BIP143-style digest BCH signs when FORKID is set. `spent` holds the output each input spends, in input
// order: its value and its token data go into the preimage, and all of them when UTXOS is set.
// `script_code` is the spent locking bytecode for P2PKH. Any hash type with FORKID is digested the way a node's
// interpreter does (unknown base types as ALL); which types a signature may carry is a separate rule.
// `cashtokens = false` gives the digest from before the May 2023 upgrade (no hashUtxos, no token prefix), which
// is what BCHN's sighash.json vectors hold.
Result<Hash256> signature_hash(const Transaction& tx, std::size_t input_index, std::span<const Output> spent,
                               ByteView script_code, std::uint32_t sighash_type, bool cashtokens = true);

// The preimage itself, for tests and for hosts that want to inspect what is signed.
Result<Bytes> signature_preimage(const Transaction& tx, std::size_t input_index, std::span<const Output> spent,
                                 ByteView script_code, std::uint32_t sighash_type, bool cashtokens = true);

// Builds and signs a transaction spending `coins` (all P2PKH to `key`) to `outputs`, in that order, with
// SIGHASH_ALL|FORKID. No change output is added: whatever the coins hold beyond the outputs is the fee.
// Fails if a coin does not belong to the key, the coins hold more than 21,000,000 BCH together, or the outputs spend
// more than the coins hold. The parts of the signature hash all inputs share are computed once, so the time grows
// linearly with the coins.
Result<Transaction> build_p2pkh_transaction(const PrivateKey& key, std::span<const Coin> coins,
                                            std::span<const Output> outputs, std::uint32_t version = 2,
                                            std::uint32_t locktime = 0);

}  // namespace jpp
