#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "service_fixture.hpp"

using namespace jpp;
using namespace std::chrono;
using namespace jpp::testing;

namespace {

CreateInvoiceRequest one_output(std::int64_t amount, std::string address) {
    CreateInvoiceRequest request;
    request.outputs.push_back(OutputRequest{amount, std::move(address), "", std::nullopt});
    return request;
}

}  // namespace

TEST_SUITE("service") {

TEST_CASE("create: an open invoice with normalized outputs, stored") {
    Fixture f;
    const Invoice invoice = f.create();
    CHECK(invoice.network == Network::main);
    CHECK(invoice.currency == "BCH");
    CHECK(invoice.required_fee_per_byte == 1.0);
    CHECK(invoice.expires - invoice.time == minutes(30));
    CHECK(invoice.outputs[0].address == merchant);
    CHECK(to_hex(invoice.outputs[0].locking_bytecode) == "76a91476a04053bda0a88bda5177b86a15c3b29f55987388ac");
    CHECK_FALSE(invoice.payment.has_value());
    CHECK(f.service->get(invoice.id)->id == invoice.id);
    CHECK(f.service->get(InvoiceId::generate()).error().code == Errc::invoice_not_found);
}

TEST_CASE("create: every rule, and the message names the field") {
    Fixture f;
    struct Case { CreateInvoiceRequest request; std::string message; };
    std::vector<Case> cases;
    cases.push_back({CreateInvoiceRequest{}, "outputs: at least one output is required"});
    cases.push_back({one_output(545, merchant), "outputs[0].amount: 545 sat is below the dust threshold of 546 sat for this output"});
    cases.push_back({one_output(max_money + 1, merchant), "outputs[0].amount: 2100000000000001 sat is more than 21,000,000 BCH"});
    cases.push_back({one_output(1000, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6b"), "outputs[0].address: "});
    cases.push_back({one_output(1000, "bchtest:qpm2qsznhks23z7629mms6s4cwef74vcwvqcw003ap"), "outputs[0].address: "});
    CreateInvoiceRequest token_to_plain = one_output(1000, merchant);
    token_to_plain.outputs[0].token = TokenData{Hash256{}, 10, std::nullopt};
    cases.push_back({token_to_plain, "outputs[0].address: tokens can only be sent to a token-aware address"});
    CreateInvoiceRequest long_memo = one_output(1000, merchant);
    long_memo.memo = std::string(1001, 'm');
    cases.push_back({long_memo, "memo: longer than 1000 bytes"});
    CreateInvoiceRequest fee = one_output(1000, merchant);
    fee.required_fee_per_byte = -1;
    cases.push_back({fee, "required_fee_per_byte: must be between 0 and 1000 sat/byte"});
    CreateInvoiceRequest lifetime = one_output(1000, merchant);
    lifetime.lifetime = seconds(0);
    cases.push_back({lifetime, "expires_in: must be between 1 and"});
    CreateInvoiceRequest not_json = one_output(1000, merchant);
    not_json.merchant_data = "{oops";
    cases.push_back({not_json, "merchant_data: not a single valid JSON value"});
    CreateInvoiceRequest many;
    for (int i = 0; i < 101; ++i) many.outputs.push_back(OutputRequest{1000, merchant, "", std::nullopt});
    cases.push_back({many, "outputs: 101 outputs exceed the limit of 100"});
    for (const Case& c : cases) {
        auto result = f.service->create(c.request);
        CAPTURE(c.message);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == Errc::invoice_invalid);
        CHECK(result.error().message.find(c.message) == 0);
    }
}

TEST_CASE("create: tokens to a token-aware address, with the token dust threshold") {
    Fixture f;
    CreateInvoiceRequest request = one_output(650, "bitcoincash:zpm2qsznhks23z7629mms6s4cwef74vcwvrqekrq9w");
    request.outputs[0].token = TokenData{Hash256{}, 10, std::nullopt};
    auto dust = f.service->create(request);
    REQUIRE_FALSE(dust.ok());
    CHECK(dust.error().message.find("below the dust threshold of 651 sat") != std::string::npos);
    request.outputs[0].amount = 651;
    auto ok = f.service->create(request);
    REQUIRE_MESSAGE(ok.ok(), ok.error().message);
    CHECK(ok->outputs[0].address == "bitcoincash:zpm2qsznhks23z7629mms6s4cwef74vcwvrqekrq9w");
}

TEST_CASE("verify then pay: broadcast, recorded once, published after commit") {
    Fixture f;
    const Invoice invoice = f.create();
    const std::string hex = f.paying(invoice);
    auto verdict = f.service->verify(invoice.id, hex);
    REQUIRE_MESSAGE(verdict.ok(), verdict.error().message);
    CHECK(verdict->inputs_checked);
    CHECK(f.chain.broadcasts().empty());
    CHECK(f.events.empty());

    f.bus.subscribe(invoice.id, [&](const Event& e) {
        // By the time subscribers hear of it, the store has it.
        auto stored = f.store->find(e.invoice.id);
        CHECK((stored.ok() && stored->has_value() && (*stored)->payment.has_value()));
    });
    PayRequest request{hex, "thanks", {}};
    auto paid = f.service->pay(invoice.id, request);
    REQUIRE_MESSAGE(paid.ok(), paid.error().message);
    REQUIRE(paid->payment.has_value());
    CHECK(paid->payment->memo == "thanks");
    CHECK(paid->payment->paid_at == f.clock.now());
    CHECK(to_hex(paid->payment->raw_transaction) == hex);
    CHECK(f.chain.broadcasts().size() == 1);
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].type == EventType::payment_received);
    CHECK(f.events[0].invoice.payment->txid == paid->payment->txid);

    // The same transaction again: success, one payment, no second event.
    auto again = f.service->pay(invoice.id, request);
    REQUIRE(again.ok());
    CHECK(again->payment->txid == paid->payment->txid);
    CHECK(f.events.size() == 1);
    // Another transaction: refused.
    auto other = f.service->pay(invoice.id, PayRequest{f.paying(invoice), "", {}});
    CHECK(other.error().code == Errc::invoice_already_paid);
    // Verifying answers as paying does: the paying transaction again is fine, another one is refused.
    auto reverify = f.service->verify(invoice.id, hex);
    REQUIRE_MESSAGE(reverify.ok(), reverify.error().message);
    CHECK(reverify->message == "this transaction paid the invoice");
    CHECK(f.service->verify(invoice.id, f.paying(invoice)).error().code == Errc::invoice_already_paid);
}

TEST_CASE("pay refuses underpayment, expiry, bad hex; a failed broadcast records nothing") {
    Fixture f;
    const Invoice invoice = f.create();
    auto under = f.service->pay(invoice.id, PayRequest{f.pay_tx({Output{9000, invoice.outputs[0].locking_bytecode, std::nullopt}}), "", {}});
    CHECK(under.error().code == Errc::payment_output_missing);
    CHECK(under.error().message.find("the transaction does not pay invoice output 0: 10000 sat (0.0001 BCH) to " + std::string(merchant)) == 0);

    CHECK(f.service->pay(invoice.id, PayRequest{"zz", "", {}}).error().code == Errc::invalid_hex);
    CHECK(f.service->pay(invoice.id, PayRequest{"0100", "", {}}).error().code == Errc::truncated);

    const std::string hex = f.paying(invoice);
    f.chain.fail_next_broadcasts(1, make_error(Errc::broadcast_rejected, "the node rejected the transaction"));
    CHECK(f.service->pay(invoice.id, PayRequest{hex, "", {}}).error().code == Errc::broadcast_rejected);
    CHECK_FALSE(f.service->get(invoice.id)->payment.has_value());
    CHECK_FALSE(f.store->find_intent(invoice.id)->has_value());  // refused for good: nothing is pending
    CHECK(f.events.empty());

    f.clock.advance(minutes(30));
    auto late = f.service->pay(invoice.id, PayRequest{hex, "", {}});
    CHECK(late.error().code == Errc::invoice_expired);
    CHECK(late.error().message == "invoice expired at " + to_rfc3339(invoice.expires));
}

TEST_CASE("one transaction settles at most one invoice") {
    Fixture f;
    const Invoice first = f.create();
    const Invoice second = f.create();  // same amount, same address
    const std::string hex = f.paying(first);
    REQUIRE(f.service->pay(first.id, PayRequest{hex, "", {}}).ok());
    auto reuse = f.service->pay(second.id, PayRequest{hex, "", {}});
    CHECK(reuse.error().code == Errc::payment_tx_used);
    CHECK_FALSE(f.service->get(second.id)->payment.has_value());
}

TEST_CASE("refund_to is validated and kept") {
    Fixture f;
    const Invoice invoice = f.create();
    auto bad = f.service->pay(invoice.id, PayRequest{f.paying(invoice), "", {RefundOutput{0, "nonsense"}}});
    CHECK(bad.error().message.find("refund_to[0].address: ") == 0);
    auto ok = f.service->pay(invoice.id, PayRequest{f.paying(invoice), "", {RefundOutput{0, merchant}}});
    REQUIRE(ok.ok());
    CHECK(f.service->get(invoice.id)->payment->refund_to == std::vector<RefundOutput>{RefundOutput{0, merchant}});
}

TEST_CASE("expired invoices are announced once") {
    Fixture f;
    const Invoice stale = f.create();
    const Invoice paid = f.create(20000);
    REQUIRE(f.service->pay(paid.id, PayRequest{f.paying(paid), "", {}}).ok());
    f.events.clear();
    CHECK(*f.service->announce_expired() == 0);
    f.clock.advance(minutes(31));
    CHECK(*f.service->announce_expired() == 1);
    CHECK(*f.service->announce_expired() == 0);
    REQUIRE(f.events.size() == 1);
    CHECK(f.events[0].type == EventType::invoice_expired);
    CHECK(f.events[0].invoice.id == stale.id);
}

TEST_CASE("racing wallets: exactly one payment wins") {
    Fixture f;
    const Invoice invoice = f.create();
    std::vector<std::string> txs;
    for (int i = 0; i < 8; ++i) txs.push_back(f.paying(invoice));
    std::atomic<int> wins{0}, refused{0};
    std::vector<std::thread> threads;
    for (const std::string& hex : txs)
        threads.emplace_back([&, hex] {
            auto r = f.service->pay(invoice.id, PayRequest{hex, "", {}});
            if (r.ok()) ++wins;
            else if (r.error().code == Errc::invoice_already_paid) ++refused;
        });
    for (auto& t : threads) t.join();
    CHECK(wins == 1);
    CHECK(refused == 7);
    CHECK(f.events.size() == 1);
    CHECK(f.chain.broadcasts().size() == 1);
}

}
