// CashAddr vectors (the CHIP's cashaddr.json, shared by libauth and BCHN).
#include <doctest/doctest.h>

#include <string>

#include "jpp/address.hpp"
#include "jpp/cashaddr.hpp"
#include "vectors.hpp"

using namespace jpp;

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return s;
}

std::optional<Network> network_of(const std::string& prefix) {
    for (const Network n : {Network::main, Network::test, Network::regtest})
        if (cashaddr_prefix(n) == prefix) return n;
    return std::nullopt;
}

}  // namespace

TEST_SUITE("cashaddr vectors") {

TEST_CASE("cashaddr.json: decode, re-encode, upper case, and which entries are destinations") {
    const auto doc = vectors::load("cashtokens/cashaddr.json");
    int entries = 0, destinations = 0;
    for (const auto& v : doc.GetArray()) {
        const std::string text = v["cashaddr"].GetString();
        CAPTURE(text);
        const auto type = static_cast<std::uint8_t>(v["type"].GetInt());
        const auto size = static_cast<std::size_t>(v["payloadSize"].GetInt());
        const std::string prefix = text.substr(0, text.find(':'));
        auto content = cashaddr_decode(text, "");
        REQUIRE_MESSAGE(content.ok(), content.error().message);
        CHECK(content->prefix == prefix);
        CHECK(content->type == type);
        CHECK(content->hash.size() == size);
        CHECK(to_hex(content->hash) == lower(v["payload"].GetString()));
        CHECK(*cashaddr_encode(prefix, type, content->hash) == text);
        auto shouted = cashaddr_decode(upper(text), "");
        REQUIRE(shouted.ok());
        CHECK(shouted->hash == content->hash);

        // Only types 0..3 with 20 bytes, or P2SH types with 32, are payment destinations.
        if (const auto network = network_of(prefix)) {
            auto address = decode_address(text, *network);
            const bool destination = type <= 3 && (size == 20 || (size == 32 && (type == 1 || type == 3)));
            CHECK(address.ok() == destination);
            if (destination) {
                ++destinations;
                CHECK(encode_cashaddr(*address) == text);
                CHECK(address->token_aware == (type >= 2));
            } else {
                CHECK(address.error().code == Errc::address_unsupported_type);
            }
        }
        ++entries;
    }
    CHECK(entries == 67);
    CHECK(destinations > 0);
}

}
