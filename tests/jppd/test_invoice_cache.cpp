#include <doctest/doctest.h>

#include "api/invoice_cache.hpp"

using jppd::api::InvoiceCache;
using namespace std::chrono_literals;

namespace {

jpp::Invoice unpaid(jpp::Timestamp expires) {
    jpp::Invoice invoice;
    invoice.id = jpp::InvoiceId::generate();
    invoice.expires = expires;
    return invoice;
}

const jpp::Timestamp t0{std::chrono::seconds(1'800'000'000)};

}  // namespace

TEST_SUITE("invoice cache") {
    TEST_CASE("an unpaid invoice's answer is served until it changes") {
        InvoiceCache cache(100);
        const jpp::Invoice invoice = unpaid(t0 + 900s);
        CHECK_FALSE(cache.find(invoice.id, t0));
        cache.keep(invoice, cache.ticket(invoice.id), "{\"status\":\"new\"}", t0);
        CHECK(cache.find(invoice.id, t0 + 10s) == "{\"status\":\"new\"}");
        cache.invalidate(invoice.id);
        CHECK_FALSE(cache.find(invoice.id, t0 + 10s));
    }

    TEST_CASE("an answer read before a change is not kept after it") {
        InvoiceCache cache(100);
        const jpp::Invoice invoice = unpaid(t0 + 900s);
        const auto ticket = cache.ticket(invoice.id);  // the reader takes its ticket, then reads the store...
        cache.invalidate(invoice.id);                  // ...a payment commits and is announced...
        cache.keep(invoice, ticket, "{\"status\":\"new\"}", t0);  // ...and the reader's stale answer arrives
        CHECK_FALSE(cache.find(invoice.id, t0));
        cache.keep(invoice, cache.ticket(invoice.id), "{\"status\":\"new\"}", t0);  // a read after it is kept
        CHECK(cache.find(invoice.id, t0));
    }

    TEST_CASE("no answer outlives the invoice's expiry or the maximum age") {
        InvoiceCache cache(100, 60s);
        const jpp::Invoice soon = unpaid(t0 + 5s);
        cache.keep(soon, cache.ticket(soon.id), "new", t0);
        CHECK(cache.find(soon.id, t0 + 4s));
        CHECK_FALSE(cache.find(soon.id, t0 + 5s));  // expired from then on
        const jpp::Invoice later = unpaid(t0 + 900s);
        cache.keep(later, cache.ticket(later.id), "new", t0);
        CHECK(cache.find(later.id, t0 + 59s));
        CHECK_FALSE(cache.find(later.id, t0 + 60s));
        const jpp::Invoice gone = unpaid(t0 - 1s);  // already expired: its status is read fresh each time
        cache.keep(gone, cache.ticket(gone.id), "expired", t0);
        CHECK_FALSE(cache.find(gone.id, t0));
    }

    TEST_CASE("paid invoices are not kept: their confirmations change without an event") {
        InvoiceCache cache(100);
        jpp::Invoice invoice = unpaid(t0 + 900s);
        invoice.payment = jpp::Payment{};
        cache.keep(invoice, cache.ticket(invoice.id), "paid", t0);
        CHECK_FALSE(cache.find(invoice.id, t0));
    }

    TEST_CASE("an answer larger than an entry may be is not kept") {
        InvoiceCache cache(100);
        const jpp::Invoice invoice = unpaid(t0 + 900s);
        cache.keep(invoice, cache.ticket(invoice.id), std::string(InvoiceCache::max_entry_bytes + 1, 'x'), t0);
        CHECK_FALSE(cache.find(invoice.id, t0));
        cache.keep(invoice, cache.ticket(invoice.id), std::string(InvoiceCache::max_entry_bytes, 'x'), t0);
        CHECK(cache.find(invoice.id, t0));
    }

    TEST_CASE("the capacity holds, and 0 keeps nothing") {
        InvoiceCache cache(32);
        std::vector<jpp::Invoice> invoices;
        for (int i = 0; i < 1000; ++i) {
            invoices.push_back(unpaid(t0 + 900s));
            cache.keep(invoices.back(), cache.ticket(invoices.back().id), "x", t0);
        }
        int kept = 0;
        for (const auto& invoice : invoices) kept += cache.find(invoice.id, t0) ? 1 : 0;
        CHECK(kept > 0);
        CHECK(kept <= 32);
        InvoiceCache none(0);
        none.keep(invoices[0], none.ticket(invoices[0].id), "x", t0);
        CHECK_FALSE(none.find(invoices[0].id, t0));
    }
}
