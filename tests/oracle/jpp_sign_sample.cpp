// Prints transactions built and signed by libjpp's offline signer, one JSON line each:
// {"name":..., "tx": hex, "sourceOutputs": [hex of each spent output in wire form]}, for libauth's VM to verify.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "jpp/address.hpp"
#include "jpp/signer.hpp"

namespace {

jpp::PrivateKey key(std::uint8_t n) {
    jpp::Bytes secret(32, 0);
    secret[31] = n;
    secret[0] = static_cast<std::uint8_t>(n * 7);
    return *jpp::PrivateKey::from_bytes(secret);
}

jpp::Bytes p2pkh(const jpp::PrivateKey& k) {
    const auto h = k.public_key_hash();
    return jpp::locking_bytecode(jpp::Address{jpp::Network::main, jpp::AddressKind::p2pkh, jpp::Bytes(h.begin(), h.end()), false});
}

jpp::Coin coin(const jpp::PrivateKey& k, std::uint8_t fill, std::uint32_t index, std::int64_t value,
               std::optional<jpp::TokenData> token = std::nullopt) {
    jpp::Coin c;
    c.outpoint.txid.bytes.fill(fill);
    c.outpoint.index = index;
    c.output = jpp::Output{value, p2pkh(k), std::move(token)};
    return c;
}

void print(const char* name, const std::vector<jpp::Coin>& coins, const std::vector<jpp::Output>& outputs,
           const jpp::PrivateKey& k) {
    auto tx = jpp::build_p2pkh_transaction(k, coins, outputs);
    if (!tx) {
        std::fprintf(stderr, "%s: %s\n", name, tx.error().message.c_str());
        std::exit(1);
    }
    std::string line = std::string("{\"name\":\"") + name + "\",\"tx\":\"" + jpp::to_hex(jpp::encode_transaction(*tx)) +
                       "\",\"sourceOutputs\":[";
    for (std::size_t i = 0; i < coins.size(); ++i) {
        jpp::Bytes raw;
        jpp::Writer w(raw);
        jpp::write_output(w, coins[i].output);
        line += (i ? ",\"" : "\"") + jpp::to_hex(raw) + "\"";
    }
    std::printf("%s]}\n", line.c_str());
}

}  // namespace

int main() {
    const auto alice = key(1), bob = key(2), carol = key(3);
    print("one coin, payment and change", {coin(alice, 0x11, 0, 100'000)},
          {{12'345, p2pkh(bob), std::nullopt}, {87'000, p2pkh(alice), std::nullopt}}, alice);
    print("three coins, four outputs", {coin(bob, 0x21, 0, 5'000), coin(bob, 0x22, 3, 7'000), coin(bob, 0x23, 1, 9'000)},
          {{6'000, p2pkh(alice), std::nullopt}, {6'000, p2pkh(carol), std::nullopt}, {4'000, p2pkh(bob), std::nullopt},
           {4'000, p2pkh(alice), std::nullopt}},
          bob);

    // Token genesis: the category is the txid of the outpoint spent at index 0.
    const jpp::Coin genesis_coin = coin(carol, 0x33, 0, 50'000);
    jpp::TokenData minted;
    minted.category = genesis_coin.outpoint.txid.bytes;
    minted.amount = 1'000'000;
    minted.nft = jpp::Nft{jpp::NftCapability::minting, {0xca, 0xfe}};
    print("token genesis", {genesis_coin}, {{1'000, p2pkh(alice), minted}, {48'000, p2pkh(carol), std::nullopt}}, carol);

    // Spending a token coin: its token prefix is part of what is signed.
    jpp::TokenData held;
    held.category.fill(0x44);
    held.amount = 500;
    jpp::TokenData sent = held;
    print("spending tokens", {coin(alice, 0x55, 2, 2'000, held), coin(alice, 0x56, 0, 10'000)},
          {{1'000, p2pkh(bob), sent}, {10'500, p2pkh(alice), std::nullopt}}, alice);
    return 0;
}
