// Reads transaction hex lines on stdin and prints, per line, libjpp's decoding as one line of canonical JSON in the
// shape differential.mjs builds from libauth (bch-format.md section 5):
//   {"ok":false,"error":"<errc name>"}
//   {"ok":true,"txid":..,"version":..,"locktime":..,"inputs":[{"txid","vout","seq","scriptSig"}],
//    "outputs":[{"value","script","token":{"category","amount","nft":{"capability","commitment"}|null}|null}]}
// Decoding only (decode_transaction_hex): consensus checks are not part of either decoder.
// The txid is that of the decoded transaction re-encoded, so a lossy decode shows up as a txid mismatch; when the
// re-encoding differs from the input, a "reencoding" field names the difference (libauth's side never has one).
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>

#include "jpp/bytes.hpp"
#include "jpp/error.hpp"
#include "jpp/hash.hpp"
#include "jpp/token.hpp"
#include "jpp/transaction.hpp"

namespace {

// Every string printed is hex, a decimal number or an identifier: nothing needs escaping.
void quoted(std::string& out, std::string_view s) {
    out += '"';
    out += s;
    out += '"';
}

void token_json(std::string& out, const jpp::TokenData& t) {
    out += "{\"category\":";
    quoted(out, jpp::to_display_hex(t.category));
    out += ",\"amount\":";
    quoted(out, std::to_string(t.amount));
    out += ",\"nft\":";
    if (!t.nft) {
        out += "null}";
        return;
    }
    out += "{\"capability\":";
    quoted(out, jpp::nft_capability_name(t.nft->capability));
    out += ",\"commitment\":";
    quoted(out, jpp::to_hex(t.nft->commitment));
    out += "}}";
}

void transaction_json(std::string& out, const jpp::Transaction& tx, const jpp::Bytes& raw) {
    const jpp::Bytes reencoded = jpp::encode_transaction(tx);
    out += "{\"ok\":true,\"txid\":";
    quoted(out, jpp::transaction_id(reencoded).hex());
    out += ",\"version\":" + std::to_string(tx.version) + ",\"locktime\":" + std::to_string(tx.locktime);
    out += ",\"inputs\":[";
    for (std::size_t i = 0; i < tx.inputs.size(); ++i) {
        const jpp::Input& in = tx.inputs[i];
        out += i ? ",{\"txid\":" : "{\"txid\":";
        quoted(out, in.prevout.txid.hex());
        out += ",\"vout\":" + std::to_string(in.prevout.index) + ",\"seq\":" + std::to_string(in.sequence);
        out += ",\"scriptSig\":";
        quoted(out, jpp::to_hex(in.unlocking_bytecode));
        out += '}';
    }
    out += "],\"outputs\":[";
    for (std::size_t i = 0; i < tx.outputs.size(); ++i) {
        const jpp::Output& o = tx.outputs[i];
        out += i ? ",{\"value\":" : "{\"value\":";
        quoted(out, std::to_string(static_cast<std::uint64_t>(o.value)));  // the unsigned 64-bit wire value
        out += ",\"script\":";
        quoted(out, jpp::to_hex(o.locking_bytecode));
        out += ",\"token\":";
        if (o.token) {
            token_json(out, *o.token);
        } else {
            out += "null";
        }
        out += '}';
    }
    out += ']';
    if (reencoded != raw) {
        out += ",\"reencoding\":";
        quoted(out, reencoded.size() == raw.size() ? "differs" : "differs in length " + std::to_string(reencoded.size()));
    }
    out += '}';
}

}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string line;
    std::string out;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.clear();
        auto tx = jpp::decode_transaction_hex(line);
        if (!tx) {
            out = "{\"ok\":false,\"error\":";
            quoted(out, jpp::errc_name(tx.error().code));
            out += '}';
        } else {
            transaction_json(out, *tx, *jpp::from_hex(line));
        }
        out += '\n';
        std::fwrite(out.data(), 1, out.size(), stdout);
        if (std::cin.rdbuf()->in_avail() <= 0) std::fflush(stdout);  // about to wait for input: answer what we have
    }
    std::fflush(stdout);
    return std::ferror(stdout) ? 1 : 0;
}
