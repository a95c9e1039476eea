#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "webhooks/dispatcher.hpp"
#include "webhooks/endpoints.hpp"
#include "webhooks/url_policy.hpp"

using namespace jppd::webhooks;

namespace {

bool public_address(const std::string& text) {
    sockaddr_in6 v6{};
    sockaddr_in v4{};
    if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        return is_public_address(reinterpret_cast<const sockaddr*>(&v6));
    }
    REQUIRE(inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1);
    v4.sin_family = AF_INET;
    return is_public_address(reinterpret_cast<const sockaddr*>(&v4));
}

}  // namespace

TEST_SUITE("webhooks") {

TEST_CASE("only public addresses, unless the operator allows private ones") {
    for (const char* pub : {"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
                            "192.167.255.255", "2606:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8",
                            "64:ff9b::808:808", "2002:0808:0808::1"})
        CHECK_MESSAGE(public_address(pub), pub);
    for (const char* priv : {"0.0.0.0", "10.0.0.1", "100.64.0.1", "127.0.0.1", "127.255.255.254", "169.254.169.254",
                             "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.0.2.1", "198.18.0.1", "224.0.0.1",
                             "255.255.255.255", "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
                             "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "::127.0.0.1",
                             "2002:7f00:0001::1"})
        CHECK_FALSE_MESSAGE(public_address(priv), priv);
}

TEST_CASE("webhook URLs: http(s) with a host, no credentials; private hosts only when allowed") {
    for (const char* ok : {"https://shop.example.com/hook", "http://shop.example.com:8080/a?b=c", "https://8.8.8.8/x",
                           "https://[2606:4700::1111]/x"})
        CHECK_MESSAGE(check_webhook_url(ok, false).ok(), ok);
    for (const char* bad : {"", "shop.example.com/hook", "ftp://shop.example.com/", "file:///etc/passwd",
                            "https://user:pw@shop.example.com/", "https://user@shop.example.com/", "https:///x",
                            "https://shop.example.com/a b", "gopher://x/", "https://shop.example.com/\n"})
        CHECK_MESSAGE(check_webhook_url(bad, true).error().code == jpp::Errc::invalid_argument, bad);
    for (const char* priv : {"http://127.0.0.1:9/x", "http://localhost/x", "http://LOCALHOST./x",
                             "http://a.localhost/x", "http://[::1]/x", "http://10.1.2.3/", "http://169.254.169.254/",
                             "http://[::ffff:192.168.0.1]/", "http://0x7f000001/", "http://2130706433/"}) {
        auto refused = check_webhook_url(priv, false);
        CHECK_MESSAGE(!refused.ok(), priv);
        CHECK_MESSAGE(check_webhook_url(priv, true).ok(), priv);
    }
    CHECK_FALSE(check_webhook_url("https://x.example/" + std::string(max_url_bytes, 'a'), true).ok());
}

TEST_CASE("event type lists and endpoints") {
    CHECK(*parse_event_types({}) == all_event_types);
    CHECK(*parse_event_types({"payment_received"}) == 1u);
    CHECK(event_type_names(*parse_event_types({"invoice_cancelled", "invoice_created"})) ==
          std::vector<std::string>{"invoice_created", "invoice_cancelled"});
    auto unknown = parse_event_types({"payment_received", "paid"});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("'paid'") != std::string::npos);

    auto made = make_endpoint(3, "https://shop.example/hook", all_event_types, false, jpp::Timestamp{});
    REQUIRE(made.ok());
    CHECK(made->id.size() == 3 + 16);
    CHECK(made->id.rfind("we_", 0) == 0);
    CHECK(made->secret.size() == 6 + 64);
    CHECK(made->merchant_id == 3);
    CHECK(make_endpoint(3, "https://shop.example/hook", all_event_types, false, jpp::Timestamp{})->secret !=
          made->secret);
    CHECK_FALSE(make_endpoint(3, "http://127.0.0.1/", all_event_types, false, jpp::Timestamp{}).ok());
    CHECK_FALSE(make_endpoint(3, "https://shop.example/hook", 0, false, jpp::Timestamp{}).ok());
}

TEST_CASE("retry schedules") {
    CHECK(*parse_retry_schedule("10,60,600") ==
          std::vector<std::chrono::seconds>{std::chrono::seconds(10), std::chrono::seconds(60),
                                            std::chrono::seconds(600)});
    CHECK(parse_retry_schedule("")->empty());  // no retries: a failure is final
    for (const char* bad : {"10,", ",10", "10,,60", "-1", "1.5", "x", "86401", "10 ,60"})
        CHECK_FALSE_MESSAGE(parse_retry_schedule(bad).ok(), bad);
    std::string many;
    for (int i = 0; i < 101; ++i) many += (i ? ",1" : "1");
    CHECK_FALSE(parse_retry_schedule(many).ok());
}

TEST_CASE("the delivery body: the envelope and the merchant's view of the invoice") {
    jpp::Invoice invoice;
    invoice.id = *jpp::InvoiceId::parse("00112233445566778899aabbccddeeff");
    invoice.metadata = R"({"customer":"c-9"})";
    invoice.order_id = "17";
    jpp::WebhookDelivery delivery;
    delivery.id = "dlv_1";
    delivery.redelivery_of = "dlv_0";
    delivery.event.id = "evt_1";
    delivery.event.type = jpp::EventType::invoice_created;
    delivery.event.created = *jpp::parse_rfc3339("2026-12-02T04:36:16Z");
    const std::string body = delivery_body(delivery, invoice, jpp::JsonContext{"https://pay.example", {}});
    CHECK(body.rfind(R"({"id":"evt_1","delivery_id":"dlv_1","redelivery_of":"dlv_0","type":"invoice_created",)"
                     R"("created":"2026-12-02T04:36:16Z","invoice":{"payment_id":"00112233445566778899aabbccddeeff")",
                     0) == 0);
    CHECK(body.find(R"("order_id":"17","metadata":{"customer":"c-9"},"cancelled_at":null}})") != std::string::npos);
    auto parsed = jpp::parse_json(body);
    CHECK(parsed.ok());
}

}  // TEST_SUITE
