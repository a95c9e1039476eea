// Builds and signs a payment offline, then reads it back the way a payment server does:
// strict decode, consensus and relay-policy checks, and a look at where each output pays.
#include <cstdio>
#include <vector>

#include <jpp/address.hpp>
#include <jpp/signer.hpp>
#include <jpp/transaction.hpp>

int main() {
    // A throwaway key (the secret 1) and a coin it owns: 100,000 satoshis at a made-up outpoint.
    jpp::Bytes secret(32, 0);
    secret[31] = 1;
    auto key = jpp::PrivateKey::from_bytes(secret);
    if (!key) return 1;
    const jpp::Address own{jpp::Network::main, jpp::AddressKind::p2pkh,
                           jpp::Bytes(key->public_key_hash().begin(), key->public_key_hash().end()), false};
    jpp::Coin coin;
    coin.outpoint.txid.bytes.fill(0x11);
    coin.output = jpp::Output{100'000, jpp::locking_bytecode(own), std::nullopt};

    // Pay 12,345 sat to a merchant, send 87,429 back as change, leave 226 sat as the fee.
    auto merchant = jpp::decode_address("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", jpp::Network::main);
    if (!merchant) {
        std::fprintf(stderr, "%s\n", merchant.error().describe().c_str());
        return 1;
    }
    const std::vector<jpp::Output> outputs{{12'345, jpp::locking_bytecode(*merchant), std::nullopt},
                                           {87'429, jpp::locking_bytecode(own), std::nullopt}};
    auto tx = jpp::build_p2pkh_transaction(*key, {&coin, 1}, outputs);
    if (!tx) {
        std::fprintf(stderr, "signing failed: %s\n", tx.error().describe().c_str());
        return 1;
    }
    const jpp::Bytes raw = jpp::encode_transaction(*tx);
    std::printf("signed transaction (%zu bytes):\n%s\n\n", raw.size(), jpp::to_hex(raw).c_str());

    // What a server does with bytes it receives.
    auto decoded = jpp::decode_transaction(raw);
    if (!decoded) {
        std::fprintf(stderr, "decode: %s\n", decoded.error().describe().c_str());
        return 1;
    }
    const jpp::Status consensus = jpp::check_consensus(*decoded, {}, raw.size());
    const jpp::Status standard = jpp::check_standard(*decoded, raw.size());
    std::printf("txid      %s\n", jpp::transaction_id(raw).hex().c_str());
    std::printf("consensus %s\n", consensus ? "ok" : consensus.error().describe().c_str());
    std::printf("standard  %s\n", standard ? "ok" : standard.error().describe().c_str());
    for (std::size_t i = 0; i < decoded->outputs.size(); ++i) {
        const jpp::Output& out = decoded->outputs[i];
        auto to = jpp::address_from_locking_bytecode(out.locking_bytecode, jpp::Network::main);
        std::printf("output %zu  %lld sat to %s\n", i, static_cast<long long>(out.value),
                    to ? jpp::encode_cashaddr(*to).c_str() : "a non-standard script");
    }
    return consensus && standard ? 0 : 1;
}
