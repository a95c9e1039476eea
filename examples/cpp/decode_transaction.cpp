// Decodes a transaction given as hex (argument or standard input) and reports what a payment server checks.
// usage: decode_transaction [HEX]
#include <cstdio>
#include <iostream>
#include <string>

#include <jpp/address.hpp>
#include <jpp/transaction.hpp>

int main(int argc, char** argv) {
    std::string hex;
    if (argc > 1) hex = argv[1];
    else std::getline(std::cin, hex);

    auto tx = jpp::decode_transaction_hex(hex);
    if (!tx) {
        std::printf("rejected: %s [%s]\n", tx.error().describe().c_str(),
                    std::string(jpp::errc_name(tx.error().code)).c_str());
        return 1;
    }
    const std::size_t size = hex.size() / 2;
    std::printf("txid %s, version %u, %zu bytes, %zu inputs, %zu outputs, locktime %u\n",
                jpp::transaction_id(*tx).hex().c_str(), tx->version, size, tx->inputs.size(), tx->outputs.size(),
                tx->locktime);
    for (std::size_t i = 0; i < tx->outputs.size(); ++i) {
        const jpp::Output& out = tx->outputs[i];
        auto to = jpp::address_from_locking_bytecode(out.locking_bytecode, jpp::Network::main, out.token.has_value());
        std::printf("  output %zu: %lld sat to %s", i, static_cast<long long>(out.value),
                    to ? jpp::encode_cashaddr(*to).c_str() : ("script " + jpp::to_hex(out.locking_bytecode)).c_str());
        if (out.token)
            std::printf(", token %s amount %lld%s", jpp::to_display_hex(out.token->category).c_str(),
                        static_cast<long long>(out.token->amount), out.token->nft ? " + NFT" : "");
        std::printf("\n");
    }
    const jpp::Status consensus = jpp::check_consensus(*tx, {}, size);
    const jpp::Status standard = jpp::check_standard(*tx, size);
    std::printf("consensus: %s\nstandard:  %s\n", consensus ? "ok" : consensus.error().describe().c_str(),
                standard ? "ok" : standard.error().describe().c_str());
    return consensus ? 0 : 2;
}
