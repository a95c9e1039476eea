// Prints transactions built and signed by libjpp's offline signer (jpp::build_p2pkh_transaction), one JSON line each:
//   {"name": .., "txid": .., "tx": hex, "sourceOutputs": [hex of each spent output in wire form (jpp::write_output)]}
// for vm_verify.mjs to check with libauth's virtual machine. Coins are made up (nothing checks they exist), but
// everything the VM sees is real: keys, signatures, sighashes with token data, token rules, standardness.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jpp/address.hpp"
#include "jpp/bytes.hpp"
#include "jpp/signer.hpp"
#include "jpp/token.hpp"
#include "jpp/transaction.hpp"

namespace {

jpp::PrivateKey key_from(const jpp::Bytes& secret) {
    auto key = jpp::PrivateKey::from_bytes(secret);
    if (!key) {
        std::fprintf(stderr, "bad test key: %s\n", key.error().describe().c_str());
        std::exit(1);
    }
    return *key;
}

jpp::PrivateKey key(std::uint8_t n) {
    jpp::Bytes secret(32, 0);
    secret[31] = n;
    secret[0] = static_cast<std::uint8_t>(n * 7);
    return key_from(secret);
}

jpp::Bytes p2pkh(const jpp::PrivateKey& k) {
    const auto h = k.public_key_hash();
    return jpp::locking_bytecode(jpp::Address{jpp::Network::main, jpp::AddressKind::p2pkh, jpp::Bytes(h.begin(), h.end()), false});
}

jpp::Bytes p2sh(jpp::AddressKind kind, std::uint8_t fill) {
    return jpp::locking_bytecode(
        jpp::Address{jpp::Network::main, kind, jpp::Bytes(kind == jpp::AddressKind::p2sh32 ? 32 : 20, fill), false});
}

jpp::Coin coin(const jpp::PrivateKey& k, std::uint8_t fill, std::uint32_t index, std::int64_t value,
               std::optional<jpp::TokenData> token = std::nullopt) {
    jpp::Coin c;
    c.outpoint.txid.bytes.fill(fill);
    c.outpoint.index = index;
    c.output = jpp::Output{value, p2pkh(k), std::move(token)};
    return c;
}

jpp::Output pay(std::int64_t value, jpp::Bytes script, std::optional<jpp::TokenData> token = std::nullopt) {
    return jpp::Output{value, std::move(script), std::move(token)};
}

jpp::TokenData tokens(std::uint8_t category, std::int64_t amount, std::optional<jpp::Nft> nft = std::nullopt) {
    jpp::TokenData t;
    t.category.fill(category);
    t.amount = amount;
    t.nft = std::move(nft);
    return t;
}

int printed = 0;

void print(const char* name, const jpp::PrivateKey& k, const std::vector<jpp::Coin>& coins,
           const std::vector<jpp::Output>& outputs, std::uint32_t version = 2, std::uint32_t locktime = 0) {
    auto tx = jpp::build_p2pkh_transaction(k, coins, outputs, version, locktime);
    if (!tx) {
        std::fprintf(stderr, "%s: %s\n", name, tx.error().describe().c_str());
        std::exit(1);
    }
    std::string line = std::string("{\"name\":\"") + name + "\",\"txid\":\"" + jpp::transaction_id(*tx).hex() +
                       "\",\"tx\":\"" + jpp::to_hex(jpp::encode_transaction(*tx)) + "\",\"sourceOutputs\":[";
    for (std::size_t i = 0; i < coins.size(); ++i) {
        jpp::Bytes raw;
        jpp::Writer w(raw);
        jpp::write_output(w, coins[i].output);
        line += (i ? ",\"" : "\"") + jpp::to_hex(raw) + "\"";
    }
    std::printf("%s]}\n", line.c_str());
    ++printed;
}

}  // namespace

int main() {
    const auto alice = key(1), bob = key(2), carol = key(3), dave = key(0xd0);
    // The largest valid secret, n - 1.
    const auto last = key_from(*jpp::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"));

    print("one coin, payment and change", alice, {coin(alice, 0x11, 0, 100'000)},
          {pay(12'345, p2pkh(bob)), pay(87'000, p2pkh(alice))});
    print("two coins, version 1 with a locktime", dave, {coin(dave, 0x12, 7, 30'000), coin(dave, 0x13, 0, 20'000)},
          {pay(49'000, p2pkh(carol))}, 1, 840'000);
    print("three coins, four outputs (P2PKH, P2SH20, P2SH32)", bob,
          {coin(bob, 0x21, 0, 5'000), coin(bob, 0x22, 3, 7'000), coin(bob, 0x23, 1, 9'000)},
          {pay(6'000, p2pkh(alice)), pay(6'000, p2sh(jpp::AddressKind::p2sh20, 0xa1)),
           pay(4'000, p2sh(jpp::AddressKind::p2sh32, 0xa2)), pay(4'000, p2pkh(bob))});
    print("five coins into one output, key n - 1", last,
          {coin(last, 0x31, 0, 1'000), coin(last, 0x32, 1, 2'000), coin(last, 0x33, 2, 3'000),
           coin(last, 0x34, 3, 4'000), coin(last, 0x35, 4, 5'000)},
          {pay(14'000, p2pkh(last))});
    print("payment with an OP_RETURN output", carol, {coin(carol, 0x36, 2, 10'000)},
          {pay(0, *jpp::from_hex("6a04cafebabe")), pay(9'000, p2pkh(alice))});

    // Token genesis: the category is the txid of the outpoint spent at index 0.
    const jpp::Coin genesis_coin = coin(carol, 0x41, 0, 50'000);
    jpp::TokenData minted;
    minted.category = genesis_coin.outpoint.txid.bytes;
    minted.amount = 1'000'000;
    minted.nft = jpp::Nft{jpp::NftCapability::minting, {0xca, 0xfe}};
    print("token genesis: fungible and a minting NFT", carol, {genesis_coin},
          {pay(1'000, p2pkh(alice), minted), pay(48'000, p2pkh(carol))});

    // Spending token coins: each spent token prefix is part of what its signature covers.
    print("two coins, one with fungible tokens", alice,
          {coin(alice, 0x51, 2, 2'000, tokens(0x44, 500)), coin(alice, 0x52, 0, 10'000)},
          {pay(1'000, p2pkh(bob), tokens(0x44, 500)), pay(10'500, p2pkh(alice))});
    print("fungible tokens split, amounts above 252 and 65535", bob, {coin(bob, 0x53, 1, 5'000, tokens(0x45, 100'000))},
          {pay(1'000, p2pkh(alice), tokens(0x45, 70'000)), pay(1'000, p2pkh(carol), tokens(0x45, 29'747)),
           pay(1'000, p2pkh(bob), tokens(0x45, 253)), pay(1'500, p2pkh(bob))});
    print("mutable NFT with a 40-byte commitment, recommitted", dave,
          {coin(dave, 0x54, 0, 3'000, tokens(0x46, 0, jpp::Nft{jpp::NftCapability::mutable_, jpp::Bytes(40, 0x07)})),
           coin(dave, 0x55, 5, 4'000)},
          {pay(2'000, p2pkh(dave), tokens(0x46, 0, jpp::Nft{jpp::NftCapability::mutable_, jpp::Bytes(40, 0x08)})),
           pay(4'500, p2pkh(bob))});
    print("immutable NFT without commitment, passed on", alice,
          {coin(alice, 0x56, 9, 1'500, tokens(0x47, 0, jpp::Nft{})), coin(alice, 0x57, 1, 1'500)},
          {pay(1'200, p2pkh(carol), tokens(0x47, 0, jpp::Nft{})), pay(1'300, p2pkh(alice))});

    // Many inputs: the signer computes the parts of the signature hash every input shares once per transaction;
    // each of these 300 signatures must still be the one the VM expects.
    std::vector<jpp::Coin> many;
    for (std::uint32_t i = 0; i < 300; ++i)
        many.push_back(coin(bob, static_cast<std::uint8_t>(0x60 + i % 7), i, 1'000 + i,
                            i % 50 == 3 ? std::optional(tokens(0x48, 10)) : std::nullopt));
    print("300 coins, six with fungible tokens, into two outputs", bob, many,
          {pay(300'000, p2pkh(alice)), pay(1'000, p2pkh(bob), tokens(0x48, 60))});

    std::fprintf(stderr, "%d signed transactions\n", printed);
    return 0;
}
