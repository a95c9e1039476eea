// BCHN's sighash.json: the FORKID rows (the digest BCH signs), computed with amount 0 and without the CashTokens
// additions, as the file was generated. The other rows test the legacy digest, which BCH no longer signs.
#include <doctest/doctest.h>

#include <string>

#include "jpp/signer.hpp"
#include "vectors.hpp"

using namespace jpp;

TEST_SUITE("sighash vectors") {

TEST_CASE("sighash.json: every FORKID row") {
    const auto doc = vectors::load("bchn/sighash.json");
    int forkid = 0, rows = 0;
    for (const auto& v : doc.GetArray()) {
        if (v.Size() != 6) continue;  // the header row
        ++rows;
        const auto type = static_cast<std::uint32_t>(v[3].GetInt());
        if (!(type & sighash_forkid)) continue;
        const std::string raw = v[0].GetString();
        CAPTURE(raw);
        auto tx = decode_transaction_hex(raw);
        REQUIRE_MESSAGE(tx.ok(), tx.error().describe());
        const Bytes script = *from_hex(v[1].GetString());
        const std::vector<Output> spent(tx->inputs.size(), Output{0, script, std::nullopt});
        auto digest = signature_hash(*tx, static_cast<std::size_t>(v[2].GetInt()), spent, script, type, false);
        REQUIRE_MESSAGE(digest.ok(), digest.error().message);
        CHECK(to_display_hex(*digest) == v[4].GetString());
        ++forkid;
    }
    CHECK(rows == 1000);
    CHECK(forkid == 494);
}

}
