// Whole-transaction vectors: the CashTokens VMB tests (libauth format) and BCHN's tx_valid / tx_invalid.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "jpp/transaction.hpp"
#include "vectors.hpp"

using namespace jpp;

namespace {

// sourceOutputsHex: CompactSize count followed by outputs in wire form.
Result<std::vector<Output>> decode_source_outputs(const std::string& hex) {
    auto bytes = from_hex(hex);
    if (!bytes) return std::move(bytes).error();
    Reader r(*bytes);
    const std::uint64_t count = r.compact_size("output count");
    std::vector<Output> outputs;
    for (std::uint64_t i = 0; i < count && r.ok(); ++i) {
        Output output;
        read_output(r, output);
        outputs.push_back(std::move(output));
    }
    if (r.ok() && !r.at_end()) r.fail(Errc::trailing_bytes, "bytes after the outputs");
    if (!r.ok()) return r.error();
    return outputs;
}

std::string encode_source_outputs(const std::vector<Output>& outputs) {
    Bytes out;
    Writer w(out);
    w.compact_size(outputs.size());
    for (const Output& o : outputs) write_output(w, o);
    return to_hex(out);
}

bool commitment_over(const std::vector<Output>& outputs, std::size_t limit) {
    for (const Output& o : outputs)
        if (o.token && o.token->nft && o.token->nft->commitment.size() > limit) return true;
    return false;
}

struct VmbCounts {
    int cases = 0, tx_rejected = 0, utxos_rejected = 0, undersize = 0, commitment_too_long = 0;
};

// Decodes every case; when a reasons map is given, checks that each decoding failure is one the reasons name.
VmbCounts run_vmb(const char* file, const std::map<std::string, std::string>* reasons, bool standard) {
    const auto doc = vectors::load(file);
    VmbCounts n;
    for (const auto& v : doc.GetArray()) {
        const std::string id = v[0].GetString();
        const std::string tx_hex = v[4].GetString();
        const std::string utxo_hex = v[5].GetString();
        const std::string reason = reasons && reasons->count(id) ? reasons->at(id) : "";
        CAPTURE(file);
        CAPTURE(id);
        CAPTURE(reason);
        ++n.cases;

        auto tx = decode_transaction_hex(tx_hex);
        auto utxos = decode_source_outputs(utxo_hex);
        const bool reason_tx_decode = reason.rfind("Error reading transaction.", 0) == 0;
        const bool reason_utxo_decode = reason.rfind("Error reading transaction outputs.", 0) == 0;
        CHECK(tx.ok() == !reason_tx_decode);
        CHECK(utxos.ok() == !reason_utxo_decode);
        if (!tx) {
            ++n.tx_rejected;
            CHECK(tx.error().code == Errc::invalid_token_prefix);
            continue;
        }
        if (!utxos) {
            ++n.utxos_rejected;
            CHECK(utxos.error().code == Errc::invalid_token_prefix);
            continue;
        }
        CHECK(to_hex(encode_transaction(*tx)) == tx_hex);
        CHECK(encode_source_outputs(*utxos) == utxo_hex);
        CHECK(utxos->size() == tx->inputs.size());

        const Status consensus = check_consensus(*tx, ConsensusRules{max_commitment_length_2023}, tx_hex.size() / 2);
        const bool utxo_commitment_ok = !commitment_over(*utxos, max_commitment_length_2023);
        if (reason.find("Invalid transaction size") == 0) {
            ++n.undersize;
            CHECK(consensus.error().code == Errc::tx_undersize);
        } else if (reason.find("commitment exceeds the consensus limit of 40 bytes") != std::string::npos) {
            ++n.commitment_too_long;
            CHECK((consensus.error().code == Errc::tx_token_commitment_too_long || !utxo_commitment_ok));
        } else {
            CHECK_MESSAGE(consensus.ok(), consensus.error().describe());
            CHECK(utxo_commitment_ok);
        }
        if (standard) {
            const Status policy = check_standard(*tx, tx_hex.size() / 2);
            CHECK_MESSAGE(policy.ok(), policy.error().describe());
        }
        if (reasons && reason.find("may not have dust outputs") != std::string::npos) {
            const Status policy = check_standard(*tx, tx_hex.size() / 2);
            CHECK(policy.error().code == Errc::tx_dust_output);
            // The reason quotes the threshold: "... must have a value of at least 660 satoshis ..."
            const auto at = reason.find("at least ");
            REQUIRE(at != std::string::npos);
            const std::string threshold = reason.substr(at + 9, reason.find(' ', at + 9) - at - 9);
            CHECK(policy.error().message.find("at least " + threshold + " sat") != std::string::npos);
        }
    }
    return n;
}

std::map<std::string, std::string> load_reasons(const char* file) {
    const auto doc = vectors::load(file);
    std::map<std::string, std::string> reasons;
    for (const auto& m : doc.GetObject()) reasons[m.name.GetString()] = m.value.GetString();
    return reasons;
}

}  // namespace

TEST_SUITE("transaction vectors") {

TEST_CASE("CashTokens VMB standard: decode, re-encode byte for byte, consensus and standardness hold") {
    CHECK(run_vmb("cashtokens/bch_vmb_tests_chip_cashtokens_standard.json", nullptr, true).cases == 777);
    CHECK(run_vmb("libauth/bch_vmb_tests_chip_cashtokens_standard.json", nullptr, true).cases == 1209);
}

TEST_CASE("CashTokens VMB nonstandard: consensus holds; dust reasons match our dust rule") {
    const auto reasons = load_reasons("cashtokens/bch_vmb_tests_chip_cashtokens_nonstandard_reasons.json");
    CHECK(run_vmb("cashtokens/bch_vmb_tests_chip_cashtokens_nonstandard.json", &reasons, false).cases == 427);
}

TEST_CASE("CashTokens VMB invalid: decoding failures, undersize and long commitments as the reasons say") {
    struct File { const char* tests; const char* reasons; int cases; };
    for (const File f : {File{"cashtokens/bch_vmb_tests_chip_cashtokens_invalid.json",
                              "cashtokens/bch_vmb_tests_chip_cashtokens_invalid_reasons.json", 574},
                         File{"libauth/bch_vmb_tests_chip_cashtokens_invalid.json",
                              "libauth/bch_vmb_tests_chip_cashtokens_invalid_reasons.json", 790}}) {
        const auto reasons = load_reasons(f.reasons);
        const VmbCounts n = run_vmb(f.tests, &reasons, false);
        CHECK(n.cases == f.cases);
        CHECK(n.tx_rejected == 12);
        CHECK(n.utxos_rejected == 3);
        CHECK(n.undersize > 0);
        CHECK(n.commitment_too_long > 0);
    }
}

TEST_CASE("BCHN tx_valid.json: decode, re-encode, prevouts as listed, consensus holds") {
    // These vectors predate the 65-byte minimum (May 2023); a few are smaller and must fail only that rule.
    const auto doc = vectors::load("bchn/tx_valid.json");
    int tests = 0;
    for (const auto& row : doc.GetArray()) {
        if (!row[0].IsArray()) continue;  // comment rows
        const std::string hex = row[1].GetString();
        CAPTURE(hex);
        auto tx = decode_transaction_hex(hex);
        REQUIRE_MESSAGE(tx.ok(), tx.error().describe());
        CHECK(to_hex(encode_transaction(*tx)) == hex);
        const auto& prevouts = row[0].GetArray();
        REQUIRE(prevouts.Size() == tx->inputs.size());
        for (rapidjson::SizeType i = 0; i < prevouts.Size(); ++i) {
            CHECK(tx->inputs[i].prevout.txid.hex() == prevouts[i][0].GetString());
            CHECK(tx->inputs[i].prevout.index == static_cast<std::uint32_t>(prevouts[i][1].GetInt64()));
        }
        const Status consensus = check_consensus(*tx);
        if (hex.size() / 2 < min_transaction_size)
            CHECK(consensus.error().code == Errc::tx_undersize);
        else
            CHECK_MESSAGE(consensus.ok(), consensus.error().describe());
        ++tests;
    }
    CHECK(tests == 88);
}

TEST_CASE("BCHN tx_invalid.json: the two SegWit-serialized cases fail on trailing bytes, the rest decode") {
    const auto doc = vectors::load("bchn/tx_invalid.json");
    int tests = 0, trailing = 0, consensus_failures = 0;
    for (const auto& row : doc.GetArray()) {
        if (!row[0].IsArray()) continue;
        const std::string hex = row[1].GetString();
        CAPTURE(hex);
        ++tests;
        auto tx = decode_transaction_hex(hex);
        if (!tx) {
            CHECK(tx.error().code == Errc::trailing_bytes);
            ++trailing;
            continue;
        }
        CHECK(to_hex(encode_transaction(*tx)) == hex);
        consensus_failures += !check_consensus(*tx).ok();
    }
    CHECK(tests == 63);
    CHECK(trailing == 2);
    CHECK(consensus_failures >= 1);  // "No outputs" decodes and fails consensus
}

}
