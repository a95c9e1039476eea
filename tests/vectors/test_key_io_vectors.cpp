// BCHN's key_io and base58 vectors: legacy addresses to locking bytecode; WIF keys are not addresses.
#include <doctest/doctest.h>

#include <string>

#include "jpp/address.hpp"
#include "jpp/base58.hpp"
#include "jpp/signer.hpp"
#include "vectors.hpp"

using namespace jpp;

TEST_SUITE("key_io vectors") {

TEST_CASE("key_io_valid.json: addresses decode to their script; private keys are refused as addresses") {
    const auto doc = vectors::load("bchn/key_io_valid.json");
    int addresses = 0, keys = 0;
    for (const auto& v : doc.GetArray()) {
        const std::string text = v[0].GetString();
        const std::string hex = v[1].GetString();
        const auto& meta = v[2];
        const std::string chain = meta["chain"].GetString();
        const Network network = chain == "main" ? Network::main : chain == "test" ? Network::test : Network::regtest;
        CAPTURE(text);
        auto address = decode_address(text, network);
        if (meta["isPrivkey"].GetBool()) {
            CHECK_FALSE(address.ok());
            // Compressed keys are the ones we load; the secret must be the vector's.
            if (meta.HasMember("isCompressed") && meta["isCompressed"].GetBool()) {
                auto key = PrivateKey::from_wif(text);
                REQUIRE_MESSAGE(key.ok(), key.error().message);
                CHECK(key->to_wif(chain == "main") == text);
            }
            ++keys;
            continue;
        }
        REQUIRE_MESSAGE(address.ok(), address.error().message);
        CHECK(to_hex(locking_bytecode(*address)) == hex);
        CHECK(encode_legacy_address(*address) == text);
        ++addresses;
    }
    CHECK(addresses == 29);
    CHECK(keys == 27);
}

TEST_CASE("key_io_invalid.json: nothing decodes as an address on any network") {
    const auto doc = vectors::load("bchn/key_io_invalid.json");
    int checked = 0;
    for (const auto& v : doc.GetArray()) {
        const std::string text = v[0].GetString();
        CAPTURE(text);
        for (const Network n : {Network::main, Network::test, Network::regtest}) CHECK_FALSE(decode_address(text, n).ok());
        ++checked;
    }
    CHECK(checked == 49);
}

TEST_CASE("base58_encode_decode.json") {
    const auto doc = vectors::load("bchn/base58_encode_decode.json");
    int checked = 0;
    for (const auto& v : doc.GetArray()) {
        const std::string hex = v[0].GetString();
        const std::string text = v[1].GetString();
        CAPTURE(text);
        CHECK(base58_encode(*from_hex(hex)) == text);
        auto bytes = base58_decode(text);
        REQUIRE(bytes.ok());
        CHECK(to_hex(*bytes) == hex);
        ++checked;
    }
    CHECK(checked == 14);
}

}
