#include <doctest/doctest.h>

#include "chain/rpc_json.hpp"

using jppd::chain::parse_bch_amount;

TEST_CASE("BCH amounts from node replies become satoshis exactly") {
    CHECK(parse_bch_amount("50") == 5'000'000'000);
    CHECK(parse_bch_amount("50.00000000") == 5'000'000'000);
    CHECK(parse_bch_amount("0.00001") == 1'000);
    CHECK(parse_bch_amount("1e-05") == 1'000);       // JavaScript's JSON.stringify(0.00001 / 1)
    CHECK(parse_bch_amount("1.5E-7") == 15);
    CHECK(parse_bch_amount("1e-8") == 1);
    CHECK(parse_bch_amount("0.1") == 10'000'000);    // not 9999999.999... as a double would give
    CHECK(parse_bch_amount("20999999.99999999") == 2'099'999'999'999'999);
    CHECK(parse_bch_amount("21000000") == 2'100'000'000'000'000);
    CHECK(parse_bch_amount("2.1e7") == 2'100'000'000'000'000);
    CHECK(parse_bch_amount("0") == 0);
    CHECK(parse_bch_amount("0.0") == 0);
    CHECK(parse_bch_amount("1.000000000") == 100'000'000);  // a ninth decimal that is zero is fine
}

TEST_CASE("amounts that are not whole satoshis or not amounts are refused") {
    CHECK_FALSE(parse_bch_amount("0.000000001"));
    CHECK_FALSE(parse_bch_amount("1e-9"));
    CHECK_FALSE(parse_bch_amount("21000000.00000001"));
    CHECK_FALSE(parse_bch_amount("1e100"));
    CHECK_FALSE(parse_bch_amount("1e99999"));
    CHECK_FALSE(parse_bch_amount("-1"));
    CHECK_FALSE(parse_bch_amount(""));
    CHECK_FALSE(parse_bch_amount("."));
    CHECK_FALSE(parse_bch_amount("1.2.3"));
    CHECK_FALSE(parse_bch_amount("1e"));
    CHECK_FALSE(parse_bch_amount("1 "));
    CHECK_FALSE(parse_bch_amount("0x10"));
    CHECK_FALSE(parse_bch_amount("NaN"));
}

TEST_CASE("node replies: real shapes read, absurd nesting refused before anything recurses over it") {
    jppd::chain::JsonReader json;
    REQUIRE(json.parse(R"({"result":{"chain":"regtest","blocks":101,"value":0.00010000},"error":null,"id":1})"));
    CHECK(jppd::chain::string_of(jppd::chain::member(*jppd::chain::member(json.root(), "result"), "chain")) ==
          "regtest");
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    CHECK_FALSE(json.parse(deep));
    CHECK_FALSE(json.parse(R"({"result":1,"result":2})"));
    CHECK_FALSE(json.parse("{\"result\":\"\xff\"}"));
}
