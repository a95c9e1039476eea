#include <doctest/doctest.h>

#include "jpp/base58.hpp"

using namespace jpp;

TEST_SUITE("base58") {

TEST_CASE("encode and decode, leading zeros as '1'") {
    CHECK(base58_encode({}) == "");
    CHECK(base58_encode(*from_hex("00")) == "1");
    CHECK(base58_encode(*from_hex("0000ff")) == "115Q");
    CHECK(base58_encode(*from_hex("61")) == "2g");
    CHECK(base58_encode(*from_hex("626262")) == "a3gV");
    CHECK(to_hex(*base58_decode("115Q")) == "0000ff");
    CHECK(to_hex(*base58_decode("a3gV")) == "626262");
    CHECK(base58_decode("")->empty());
}

TEST_CASE("decoding rejects characters outside the alphabet, with the position") {
    for (const char* bad : {"0", "O", "I", "l", "a3g V", "a3gV+"}) {
        CAPTURE(bad);
        auto r = base58_decode(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::invalid_address);
    }
    CHECK(base58_decode("a30").error().message == "invalid base58 character '0' at position 2");
    CHECK(base58_decode("a\xc3\xa9").error().message == "invalid base58 character byte 0xc3 at position 1");
    CHECK(base58_decode(std::string(1025, '2')).error().code == Errc::invalid_address);
}

TEST_CASE("base58check: a P2PKH address and its checksum") {
    const std::string address = "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu";
    auto payload = base58check_decode(address);
    REQUIRE(payload.ok());
    CHECK(to_hex(*payload) == "0076a04053bda0a88bda5177b86a15c3b29f559873");
    CHECK(base58check_encode(*payload) == address);
    auto broken = base58check_decode("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggv");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().code == Errc::address_checksum);
    CHECK(base58check_decode("1").error().message == "base58check data shorter than its checksum");
}

}
