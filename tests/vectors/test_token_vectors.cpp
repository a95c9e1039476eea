// CashTokens token-prefix vectors (CHIP test vectors and BCHN's invalid set).
#include <doctest/doctest.h>

#include <string>

#include "jpp/transaction.hpp"
#include "vectors.hpp"

using namespace jpp;

namespace {

// Each prefix is an entire output field (empty locking bytecode); wrap it as value || CompactSize || field.
Bytes wrap_as_output(const Bytes& field) {
    Bytes out;
    Writer w(out);
    w.u64le(1000);
    w.sized_bytes(field);
    return out;
}

}  // namespace

TEST_SUITE("token vectors") {

TEST_CASE("token-prefix-valid.json: every prefix decodes to its data and consumes every byte") {
    const auto doc = vectors::load("cashtokens/token-prefix-valid.json");
    int checked = 0, over_2026_limit = 0, over_2023_limit = 0;
    for (const auto& v : doc.GetArray()) {
        const std::string prefix = v["prefix"].GetString();
        CAPTURE(prefix);
        auto field = from_hex(prefix);
        REQUIRE(field.ok());
        Reader r(*field);
        const auto token = read_token_prefix(r);
        REQUIRE_MESSAGE(token.has_value(), r.error().describe());
        CHECK(r.at_end());

        const auto& data = v["data"];
        CHECK(to_display_hex(token->category) == data["category"].GetString());
        CHECK(std::to_string(token->amount) == data["amount"].GetString());
        CHECK(token->nft.has_value() == data.HasMember("nft"));
        if (token->nft && data.HasMember("nft")) {
            CHECK(nft_capability_name(token->nft->capability) == data["nft"]["capability"].GetString());
            CHECK(to_hex(token->nft->commitment) == data["nft"]["commitment"].GetString());
        }

        // Re-encoding gives the same bytes, and the output wrapper decodes too.
        Bytes again;
        Writer w(again);
        write_token_prefix(w, *token);
        CHECK(to_hex(again) == prefix);
        auto output = decode_output(wrap_as_output(*field));
        REQUIRE(output.ok());
        CHECK(output->locking_bytecode.empty());

        // Some valid encodings carry commitments beyond the consensus limit: they parse and fail the check.
        const std::size_t commitment = token->nft ? token->nft->commitment.size() : 0;
        CHECK(check_token_data(*token).ok() == (commitment <= max_commitment_length_2026));
        CHECK(check_token_data(*token, max_commitment_length_2023).ok() == (commitment <= max_commitment_length_2023));
        over_2026_limit += commitment > max_commitment_length_2026;
        over_2023_limit += commitment > max_commitment_length_2023;
        ++checked;
    }
    CHECK(checked == 62);
    CHECK(over_2023_limit == 10);  // commitments of 41 (x4), 253 (x5) and 1001 bytes
    CHECK(over_2026_limit == 6);
}

TEST_CASE("token-prefix-invalid.json and BCHN's copy: every prefix is rejected inside an output") {
    int checked = 0;
    for (const char* file : {"cashtokens/token-prefix-invalid.json", "bchn/token_tests_prefix_invalid.json"}) {
        const auto doc = vectors::load(file);
        for (const auto& v : doc.GetArray()) {
            const std::string prefix = v["prefix"].GetString();
            CAPTURE(file);
            CAPTURE(prefix);
            CAPTURE(v["error"].GetString());
            auto field = from_hex(prefix);
            REQUIRE(field.ok());
            auto output = decode_output(wrap_as_output(*field));
            REQUIRE_FALSE(output.ok());
            const Errc code = output.error().code;
            CHECK((code == Errc::invalid_token_prefix || code == Errc::non_canonical_size || code == Errc::truncated));
            CHECK(output.error().offset >= 9);  // inside the field, after value and length
            ++checked;
        }
    }
    CHECK(checked == 110);
}

}
