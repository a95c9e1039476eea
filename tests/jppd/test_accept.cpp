#include <doctest/doctest.h>

#include "api/invoice_page.hpp"
#include "http/accept.hpp"

using jppd::http::negotiate;

TEST_CASE("Accept negotiation: quality, then specificity, then the server's order") {
    const std::vector<std::string_view> offered{"application/json", "text/html"};
    CHECK(negotiate("", offered) == 0u);
    CHECK(negotiate("*/*", offered) == 0u);
    CHECK(negotiate("application/json", offered) == 0u);
    CHECK(negotiate("text/html", offered) == 1u);
    CHECK(negotiate("TEXT/HTML; charset=utf-8", offered) == 1u);
    // What browsers send.
    CHECK(negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
                    offered) == 1u);
    // What axios sends: JSON is named, HTML only through */*.
    CHECK(negotiate("application/json, text/plain, */*", offered) == 0u);
    CHECK(negotiate("text/*", offered) == 1u);
    CHECK(negotiate("text/html;q=0.5, application/json;q=0.4", offered) == 1u);
    CHECK(negotiate("*/*;q=0.1, application/json;q=0", offered) == 1u);  // q=0 means "not this"
    CHECK_FALSE(negotiate("application/payment-request", offered).has_value());
    CHECK_FALSE(negotiate("image/png, text/plain", offered).has_value());
    CHECK_FALSE(negotiate("*/*;q=0", offered).has_value());
}

TEST_CASE("satoshis as BCH, exactly") {
    CHECK(jppd::api::format_bch(0) == "0");
    CHECK(jppd::api::format_bch(1) == "0.00000001");
    CHECK(jppd::api::format_bch(10000) == "0.0001");
    CHECK(jppd::api::format_bch(100000000) == "1");
    CHECK(jppd::api::format_bch(123456789) == "1.23456789");
    CHECK(jppd::api::format_bch(2100000000000000) == "21000000");
}
