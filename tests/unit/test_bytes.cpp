#include <doctest/doctest.h>

#include "jpp/bytes.hpp"

using namespace jpp;

TEST_SUITE("bytes") {

TEST_CASE("hex round trip, lower-case output, upper-case input accepted") {
    auto b = from_hex("00ff10AbCd");
    REQUIRE(b.ok());
    CHECK(*b == Bytes{0x00, 0xff, 0x10, 0xab, 0xcd});
    CHECK(to_hex(*b) == "00ff10abcd");
    CHECK(from_hex("")->empty());
    CHECK(to_hex({}) == "");
}

TEST_CASE("hex rejects odd length, prefixes, whitespace and foreign characters, with the position") {
    auto odd = from_hex("abc");
    REQUIRE_FALSE(odd.ok());
    CHECK(odd.error().code == Errc::invalid_hex);
    CHECK(odd.error().message.find("odd") != std::string::npos);

    auto prefixed = from_hex("0x00");
    REQUIRE_FALSE(prefixed.ok());
    CHECK(prefixed.error().offset == 1);

    auto space = from_hex("00 11");
    REQUIRE_FALSE(space.ok());
    CHECK(space.error().offset == 2);
    CHECK(space.error().message == "invalid hex character at position 2");

    CHECK_FALSE(from_hex("0g").ok());
    CHECK_FALSE(from_hex(std::string_view("\0\0", 2)).ok());
}

TEST_CASE("reader reads little-endian fields and tracks the offset") {
    const Bytes data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d};
    Reader r(data);
    CHECK(r.u8() == 0x01);
    CHECK(r.u32le() == 0x05040302u);
    CHECK(r.u64le() == 0x0d0c0b0a09080706ull);
    CHECK(r.ok());
    CHECK(r.at_end());
    CHECK(r.offset() == 13);
}

TEST_CASE("reader failure is sticky and names the offset") {
    const Bytes data{0x01, 0x02, 0x03};
    Reader r(data);
    CHECK(r.u8() == 1);
    CHECK(r.u32le() == 0);  // only two bytes left
    CHECK_FALSE(r.ok());
    CHECK(r.error().code == Errc::truncated);
    CHECK(r.error().offset == 1);
    CHECK(r.error().message.find("needed 4 bytes, 2 left") != std::string::npos);
    CHECK(r.u8() == 0);  // does not advance after the failure
    CHECK(r.offset() == 1);
    CHECK(r.bytes(1).empty());
    r.fail(Errc::trailing_bytes, "second");
    CHECK(r.error().code == Errc::truncated);  // the first error wins
}

TEST_CASE("CompactSize: every width decodes, and writer is minimal") {
    struct Case { const char* hex; std::uint64_t value; };
    const Case cases[] = {
        {"00", 0}, {"fc", 252}, {"fdfd00", 253}, {"fdffff", 0xffff}, {"fe00000100", 0x10000},
        {"feffffffff", 0xffffffff}, {"ff0000000001000000", 0x100000000}, {"ffffffffffffffffff", UINT64_MAX}};
    for (const auto& c : cases) {
        CAPTURE(c.hex);
        auto bytes = from_hex(c.hex);
        Reader r(*bytes);
        CHECK(r.compact_size("value", UINT64_MAX) == c.value);
        CHECK(r.ok());
        CHECK(r.at_end());
        Bytes out;
        Writer w(out);
        w.compact_size(c.value);
        CHECK(to_hex(out) == c.hex);
        CHECK(compact_size_length(c.value) == out.size());
    }
}

TEST_CASE("CompactSize rejects non-minimal encodings at the field's start") {
    for (const char* hex : {"fdfc00", "fd0000", "feffff0000", "ffffffffff00000000"}) {
        CAPTURE(hex);
        auto bytes = from_hex(std::string("00") + hex);
        Reader r(*bytes);
        r.u8();
        r.compact_size("input count", UINT64_MAX);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::non_canonical_size);
        CHECK(r.error().offset == 1);
        CHECK(r.error().message == "non-minimal CompactSize encoding of input count");
    }
}

TEST_CASE("CompactSize lengths are capped at 32 MiB by default") {
    auto at_cap = from_hex("fe00000002");
    Reader ok(*at_cap);
    CHECK(ok.compact_size("length") == max_compact_size);
    CHECK(ok.ok());
    auto above = from_hex("fe01000002");
    Reader r(*above);
    r.compact_size("length");
    CHECK(r.error().code == Errc::size_too_large);
}

TEST_CASE("CompactSize truncated") {
    auto bytes = from_hex("fe0100");
    Reader r(*bytes);
    r.compact_size("output count");
    CHECK(r.error().code == Errc::truncated);
    Reader empty(ByteView{});
    empty.compact_size("output count");
    CHECK(empty.error().code == Errc::truncated);
}

TEST_CASE("sized_bytes reads a length-prefixed field") {
    auto bytes = from_hex("03aabbccdd");
    Reader r(*bytes);
    CHECK(to_hex(r.sized_bytes("script")) == "aabbcc");
    CHECK(r.remaining() == 1);
    auto shorter = from_hex("05aabb");
    Reader s(*shorter);
    CHECK(s.sized_bytes("script").empty());
    CHECK(s.error().code == Errc::truncated);

    Bytes out;
    Writer w(out);
    w.sized_bytes(*from_hex("aabbcc"));
    w.u32le(0x01020304);
    w.u64le(1);
    CHECK(to_hex(out) == "03aabbcc040302010100000000000000");
}

TEST_CASE("errors describe themselves with the offset, and codes have stable names") {
    Error e{Errc::truncated, "unexpected end", 7};
    CHECK(e.describe() == "unexpected end (at byte 7)");
    CHECK(Error{Errc::invalid_hex, "bad", Error::no_offset}.describe() == "bad");
    CHECK(errc_name(Errc::truncated) == "truncated");
    CHECK(errc_name(Errc::tx_dust_output) == "tx_dust_output");
    CHECK(errc_name(Errc::ok) == "ok");
    for (int c = 0; c <= static_cast<int>(Errc::json_invalid); ++c)
        CHECK(errc_name(static_cast<Errc>(c)) != "unknown");
}

}
