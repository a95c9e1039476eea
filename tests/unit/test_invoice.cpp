#include <doctest/doctest.h>

#include <set>

#include "jpp/invoice.hpp"

using namespace jpp;
using namespace std::chrono;

TEST_SUITE("invoice") {

TEST_CASE("invoice ids are random version-4 UUIDs shown as 32 hex digits") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const InvoiceId id = InvoiceId::generate();
        const std::string hex = id.hex();
        CHECK(hex.size() == 32);
        CHECK(hex[12] == '4');                                        // version
        CHECK(std::string("89ab").find(hex[16]) != std::string::npos);  // variant
        seen.insert(hex);
    }
    CHECK(seen.size() == 1000);
}

TEST_CASE("ids parse from 32 digits or the dashed form, either case") {
    auto plain = InvoiceId::parse("0123456789abcdef0123456789ABCDEF");
    REQUIRE(plain.ok());
    CHECK(plain->hex() == "0123456789abcdef0123456789abcdef");
    auto dashed = InvoiceId::parse("01234567-89ab-cdef-0123-456789abcdef");
    REQUIRE(dashed.ok());
    CHECK(*dashed == *plain);
    for (const char* bad : {"", "0123", "0123456789abcdef0123456789abcdeg", "0123456789abcdef0123456789abcdef0",
                            "01234567-89ab-cdef-0123456789abcdef-", "0123456789-ab-cdef-0123-456789abcdef"}) {
        CAPTURE(bad);
        CHECK(InvoiceId::parse(bad).error().code == Errc::invalid_argument);
    }
    CHECK(InvoiceId::parse("abc").error().message == "invoice id: expected 32 hex digits, got 3 characters");
}

TEST_CASE("status: open until expiry, paid forever once paid") {
    Invoice invoice;
    invoice.time = Timestamp(seconds(1000));
    invoice.expires = Timestamp(seconds(2800));
    CHECK(invoice.status_at(Timestamp(seconds(2799))) == InvoiceStatus::open);
    CHECK(invoice.status_at(Timestamp(seconds(2800))) == InvoiceStatus::expired);
    invoice.payment = Payment{};
    CHECK(invoice.status_at(Timestamp(seconds(99999))) == InvoiceStatus::paid);
    CHECK(invoice_status_name(InvoiceStatus::expired) == "expired");
}

TEST_CASE("total amount") {
    Invoice invoice;
    invoice.outputs.push_back(InvoiceOutput{1000, "a", {}, "", std::nullopt});
    invoice.outputs.push_back(InvoiceOutput{2500, "b", {}, "", std::nullopt});
    CHECK(invoice.total_amount() == 3500);
}

}
