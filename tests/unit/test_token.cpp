#include <doctest/doctest.h>

#include <string>

#include "jpp/token.hpp"

using namespace jpp;

namespace {

// A category whose wire bytes are 0x01, 0x02 ... 0x20; shown to people reversed (20 1f ... 01).
Hash256 sample_category() {
    Hash256 c{};
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = static_cast<std::uint8_t>(i + 1);
    return c;
}
const std::string category_wire = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

std::string encode_hex(const TokenData& token) {
    Bytes out;
    Writer w(out);
    write_token_prefix(w, token);
    CHECK(out.size() == token_prefix_size(token));
    return to_hex(out);
}

struct Decoded {
    std::optional<TokenData> token;
    Error error;
    std::size_t consumed = 0;
};

Decoded decode_hex(const std::string& hex) {
    auto bytes = from_hex(hex);
    REQUIRE(bytes.ok());
    Reader r(*bytes);
    Decoded d;
    d.token = read_token_prefix(r);
    d.error = r.error();
    d.consumed = r.offset();
    CHECK(d.token.has_value() == r.ok());
    return d;
}

}  // namespace

TEST_SUITE("token") {

TEST_CASE("fungible-only prefix: bitfield 0x10 and a CompactSize amount") {
    TokenData t{sample_category(), 1000, std::nullopt};
    CHECK(encode_hex(t) == "ef" + category_wire + "10" + "fde803");
    auto d = decode_hex("ef" + category_wire + "10fde803" + "76a9");  // followed by locking bytecode
    REQUIRE(d.token);
    CHECK(*d.token == t);
    CHECK(d.consumed == 1 + 32 + 1 + 3);
    CHECK(to_display_hex(d.token->category).substr(0, 4) == "201f");
}

TEST_CASE("NFT prefixes: empty commitment clears the length bit; capability in the low nibble") {
    TokenData immutable{sample_category(), 0, Nft{NftCapability::none, {}}};
    CHECK(encode_hex(immutable) == "ef" + category_wire + "20");
    TokenData mut{sample_category(), 0, Nft{NftCapability::mutable_, {0xca, 0xfe}}};
    CHECK(encode_hex(mut) == "ef" + category_wire + "61" + "02cafe");
    TokenData minting_ft{sample_category(), 5, Nft{NftCapability::minting, {0x00}}};
    CHECK(encode_hex(minting_ft) == "ef" + category_wire + "72" + "0100" + "05");
    for (const TokenData& t : {immutable, mut, minting_ft}) {
        auto d = decode_hex(encode_hex(t));
        REQUIRE(d.token);
        CHECK(*d.token == t);
    }
}

TEST_CASE("largest amount and long commitments parse; the limit is checked separately") {
    TokenData max_ft{sample_category(), max_token_amount, std::nullopt};
    CHECK(encode_hex(max_ft) == "ef" + category_wire + "10" + "ffffffffffffffff7f");
    CHECK(decode_hex(encode_hex(max_ft)).token == max_ft);

    TokenData long_nft{sample_category(), 0, Nft{NftCapability::none, Bytes(253, 0xab)}};
    auto d = decode_hex(encode_hex(long_nft));
    REQUIRE(d.token);
    CHECK(d.token->nft->commitment.size() == 253);
    CHECK(check_token_data(long_nft).error().code == Errc::tx_token_commitment_too_long);
    CHECK(check_token_data(long_nft).error().message ==
          "NFT commitment of 253 bytes exceeds the consensus limit of 128");

    TokenData c128{sample_category(), 0, Nft{NftCapability::none, Bytes(128, 1)}};
    TokenData c41{sample_category(), 0, Nft{NftCapability::none, Bytes(41, 1)}};
    CHECK(check_token_data(c128).ok());
    CHECK(check_token_data(c41).ok());
    CHECK_FALSE(check_token_data(c41, max_commitment_length_2023).ok());
    CHECK(check_token_data(TokenData{sample_category(), 0, Nft{NftCapability::none, Bytes(40, 1)}},
                           max_commitment_length_2023)
              .ok());
}

TEST_CASE("every structural rule of the CHIP is enforced, with the offending offset") {
    struct Case { std::string suffix; const char* why; std::size_t offset; };
    const Case cases[] = {
        {"90" "01", "reserved bit 0x80 is set", 33},
        {"00", "encodes neither an NFT nor an amount", 33},
        {"01", "encodes neither an NFT nor an amount", 33},
        {"23", "NFT capability 3 is not defined", 33},
        {"2f", "NFT capability 15 is not defined", 33},
        {"11" "01", "capability set without an NFT", 33},
        {"50" "01" "00" "01", "commitment length set without an NFT", 33},
        {"60" "00", "token commitment length is 0", 34},
        {"10" "00", "token amount 0 is outside 1..9223372036854775807", 34},
        {"10" "ffffffffffffffffff", "token amount 18446744073709551615 is outside", 34},
        {"10" "ff0000000000000080", "token amount 9223372036854775808 is outside", 34},
        {"10" "fd0100", "non-minimal CompactSize encoding of token amount", 34},
        {"60" "fd0100" "00", "non-minimal CompactSize encoding of token commitment length", 34},
        {"60" "05" "0102", "unexpected end of data", 35},
        {"10", "unexpected end of data reading token amount", 34},
    };
    for (const auto& c : cases) {
        CAPTURE(c.suffix);
        auto d = decode_hex("ef" + category_wire + c.suffix);
        REQUIRE_FALSE(d.token);
        CHECK(d.error.message.find(c.why) != std::string::npos);
        CHECK(d.error.offset == c.offset);
        CHECK((d.error.code == Errc::invalid_token_prefix || d.error.code == Errc::non_canonical_size ||
               d.error.code == Errc::truncated));
    }
}

TEST_CASE("a prefix needs 33 bytes after 0xef") {
    auto d = decode_hex("ef" + category_wire);  // no bitfield
    REQUIRE_FALSE(d.token);
    CHECK(d.error.code == Errc::invalid_token_prefix);
    CHECK(d.error.message == "token prefix needs a 32-byte category and a bitfield, only 32 bytes follow 0xef");
    CHECK(decode_hex("ef").error.code == Errc::invalid_token_prefix);
    CHECK(decode_hex("00" + category_wire + "10").error.message == "token prefix must start with 0xef");
}

TEST_CASE("structure check for encoders") {
    CHECK(check_token_structure(TokenData{sample_category(), 0, std::nullopt}).error().code ==
          Errc::invalid_token_prefix);
    CHECK(check_token_structure(TokenData{sample_category(), -1, std::nullopt}).error().message ==
          "token amount is negative");
    CHECK(check_token_structure(TokenData{sample_category(), 1, std::nullopt}).ok());
}

TEST_CASE("capability names") {
    CHECK(nft_capability_name(NftCapability::mutable_) == "mutable");
    CHECK(nft_capability_from_name("minting") == NftCapability::minting);
    CHECK(nft_capability_from_name("none") == NftCapability::none);
    CHECK_FALSE(nft_capability_from_name("Minting").has_value());
}

TEST_CASE("token amounts as decimal text: digits only, nothing around them, at most INT64_MAX") {
    CHECK(parse_token_amount("0") == 0);
    CHECK(parse_token_amount("1000") == 1000);
    CHECK(parse_token_amount("0042") == 42);
    CHECK(parse_token_amount("9223372036854775807") == max_token_amount);
    for (const char* bad : {"", " 1", "\t1", "\n1", "\r1", "\v1", "\f1", "1 ", "1\n", "+1", "-1", "1e3", "1.0", "0x10",
                            "9223372036854775808", "18446744073709551616", "99999999999999999999999", "１"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_token_amount(bad).has_value());
    }
    CHECK_FALSE(parse_token_amount(std::string_view("12\0" "3", 4)).has_value());
}

}
