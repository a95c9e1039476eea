// Reads transaction hex lines on stdin and prints, per line, libjpp's decoding as one line of JSON in the shape
// the libauth comparison uses. Decoding only: consensus checks are not part of either decoder.
#include <cstdio>
#include <iostream>
#include <string>

#include "jpp/transaction.hpp"

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string token_json(const jpp::TokenData& t) {
    std::string out = "{\"category\":" + quoted(jpp::to_display_hex(t.category)) + ",\"amount\":" +
                      quoted(std::to_string(t.amount)) + ",\"nft\":";
    if (!t.nft) return out + "null}";
    return out + "{\"capability\":" + quoted(std::string(jpp::nft_capability_name(t.nft->capability))) +
           ",\"commitment\":" + quoted(jpp::to_hex(t.nft->commitment)) + "}}";
}

std::string transaction_json(const jpp::Transaction& tx, const std::string& txid) {
    std::string out = "{\"ok\":true,\"txid\":" + quoted(txid) + ",\"version\":" + std::to_string(tx.version) +
                      ",\"locktime\":" + std::to_string(tx.locktime) + ",\"inputs\":[";
    for (std::size_t i = 0; i < tx.inputs.size(); ++i) {
        const jpp::Input& in = tx.inputs[i];
        out += (i ? "," : "") + std::string("{\"txid\":") + quoted(in.prevout.txid.hex()) +
               ",\"vout\":" + std::to_string(in.prevout.index) + ",\"seq\":" + std::to_string(in.sequence) +
               ",\"scriptSig\":" + quoted(jpp::to_hex(in.unlocking_bytecode)) + "}";
    }
    out += "],\"outputs\":[";
    for (std::size_t i = 0; i < tx.outputs.size(); ++i) {
        const jpp::Output& o = tx.outputs[i];
        out += (i ? "," : "") + std::string("{\"value\":") +
               quoted(std::to_string(static_cast<std::uint64_t>(o.value))) + ",\"script\":" +
               quoted(jpp::to_hex(o.locking_bytecode)) + ",\"token\":" + (o.token ? token_json(*o.token) : "null") + "}";
    }
    return out + "]}";
}

}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    std::string out;
    while (std::getline(std::cin, line)) {
        auto bytes = jpp::from_hex(line);
        if (!bytes) {
            out = "{\"ok\":false,\"error\":\"" + std::string(jpp::errc_name(bytes.error().code)) + "\"}";
        } else if (auto tx = jpp::decode_transaction(*bytes); !tx) {
            out = "{\"ok\":false,\"error\":\"" + std::string(jpp::errc_name(tx.error().code)) + "\"}";
        } else {
            out = transaction_json(*tx, jpp::transaction_id(*bytes).hex());
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fputc('\n', stdout);
    }
    return 0;
}
