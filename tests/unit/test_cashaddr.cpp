#include <doctest/doctest.h>

#include "jpp/cashaddr.hpp"

using namespace jpp;

TEST_SUITE("cashaddr") {

TEST_CASE("encode and decode a P2PKH address, in both cases") {
    const auto hash = *from_hex("76a04053bda0a88bda5177b86a15c3b29f559873");
    CHECK(*cashaddr_encode("bitcoincash", 0, hash) == "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a");
    CHECK(*cashaddr_encode("bitcoincash", 1, hash) == "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq");
    CHECK(*cashaddr_encode("bitcoincash", 2, hash) == "bitcoincash:zpm2qsznhks23z7629mms6s4cwef74vcwvrqekrq9w");
    for (const char* text : {"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
                             "BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A",
                             "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"}) {
        CAPTURE(text);
        auto c = cashaddr_decode(text, "bitcoincash");
        REQUIRE(c.ok());
        CHECK(c->prefix == "bitcoincash");
        CHECK(c->type == 0);
        CHECK(c->hash == hash);
    }
}

TEST_CASE("spec checksum strings decode as format") {
    CHECK(cashaddr_decode("bchtest:testnetaddress4d6njnut", "").ok() == false);  // valid checksum, no version byte fit
    CHECK(cashaddr_decode("prefix:x64nx6hz", "").error().code != Errc::address_checksum);
    CHECK(cashaddr_decode("PREFIX:X64NX6HZ", "").error().code != Errc::address_checksum);
    CHECK(cashaddr_decode("p:gpf8m4h7", "").error().code != Errc::address_checksum);
}

TEST_CASE("invalid strings from the reference implementation's tests") {
    for (const char* bad : {"prefix:x32nx6hz", "prEfix:x64nx6hz", "prefix:x64nx6Hz", "pref1x:6m8cxv73", "prefix:",
                            ":u9wsx07j", "bchreg:555555555555555555x55555555555555555555555555udxmlmrz",
                            "bchreg:555555555555555555555555555555551555555555555udxmlmrz", "pre:fix:x32nx6hz",
                            "prefixx64nx6hz"}) {
        CAPTURE(bad);
        CHECK_FALSE(cashaddr_decode(bad, "bitcoincash").ok());
    }
    CHECK(cashaddr_decode("prEfix:x64nx6hz", "").error().code == Errc::address_mixed_case);
    CHECK(cashaddr_decode("prefix:x32nx6hz", "").error().message == "CashAddr payload too short");
    CHECK(cashaddr_decode("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6c", "").error().code ==
          Errc::address_checksum);
    CHECK(cashaddr_decode("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdxba", "").error().message ==
          "invalid CashAddr character 'b' at position 52");
    // A byte that is not printable ASCII (here the first of a two-byte character) is shown in hex, never alone.
    CHECK(cashaddr_decode("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx\xc9\x8c", "").error().message ==
          "invalid CashAddr character byte 0xc9 at position 52");
}

TEST_CASE("a checksum valid under one prefix is not valid under another") {
    CHECK(cashaddr_decode("bchtest:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "").error().code == Errc::address_checksum);
    CHECK(cashaddr_decode("qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "bchtest").error().code == Errc::address_checksum);
}

TEST_CASE("every hash size, and types up to 15, round trip") {
    for (std::size_t size : {20u, 24u, 28u, 32u, 40u, 48u, 56u, 64u})
        for (int t : {0, 1, 3, 15}) {
            const auto type = static_cast<std::uint8_t>(t);
            const Bytes hash(size, static_cast<std::uint8_t>(size + type));
            auto text = cashaddr_encode("bchreg", type, hash);
            REQUIRE(text.ok());
            auto back = cashaddr_decode(*text, "");
            REQUIRE(back.ok());
            CHECK(back->type == type);
            CHECK(back->hash == hash);
        }
    CHECK(cashaddr_encode("bitcoincash", 16, Bytes(20)).error().code == Errc::invalid_argument);
    CHECK(cashaddr_encode("bitcoincash", 0, Bytes(21)).error().code == Errc::invalid_argument);
}

}
