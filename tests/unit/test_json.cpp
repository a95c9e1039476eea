#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include "jpp/json.hpp"

using namespace jpp;
using namespace std::chrono;

namespace {

Invoice sample_invoice() {
    Invoice invoice;
    invoice.id = *InvoiceId::parse("1234567890abcdef1234567890abcdef");
    invoice.memo = "Invoice description";
    invoice.required_fee_per_byte = 1.1;
    invoice.time = *parse_rfc3339("2025-10-23T12:00:00Z");
    invoice.expires = *parse_rfc3339("2025-10-23T12:30:00Z");
    invoice.merchant_data = R"({"order":42,"tags":["a","b"]})";
    invoice.outputs.push_back(InvoiceOutput{10000, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", {}, "", std::nullopt});
    return invoice;
}

const JsonContext context{"https://pay.example.com/", *parse_rfc3339("2025-10-23T12:15:00Z")};

rapidjson::Document parsed(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
}

}  // namespace

TEST_SUITE("json") {

TEST_CASE("invoice JSON: every field of the seed, with its JSON type") {
    const auto doc = parsed(invoice_to_json(sample_invoice(), context));
    CHECK(std::string(doc["payment_id"].GetString()) == "1234567890abcdef1234567890abcdef");
    CHECK(std::string(doc["payment_url"].GetString()) == "https://pay.example.com/jpp/invoices/1234567890abcdef1234567890abcdef/");
    CHECK(std::string(doc["payment_uri"].GetString()) ==
          "bitcoincash:?r=https://pay.example.com/jpp/i/bitpay/1234567890abcdef1234567890abcdef/");
    CHECK(std::string(doc["network"].GetString()) == "main");
    CHECK(std::string(doc["currency"].GetString()) == "BCH");
    CHECK(doc["required_fee_per_byte"].GetDouble() == 1.1);
    CHECK(std::string(doc["memo"].GetString()) == "Invoice description");
    CHECK(std::string(doc["time"].GetString()) == "2025-10-23T12:00:00Z");
    CHECK(std::string(doc["expires"].GetString()) == "2025-10-23T12:30:00Z");
    CHECK(std::string(doc["status"].GetString()) == "open");
    REQUIRE(doc["outputs"].IsArray());
    CHECK(doc["outputs"][0]["amount"].GetInt64() == 10000);
    CHECK(std::string(doc["outputs"][0]["address"].GetString()) == "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a");
    CHECK(doc["payment"].IsNull());
    CHECK(doc["merchant_data"]["order"].GetInt() == 42);
    CHECK(doc["merchant_data"]["tags"][1] == "b");
}

TEST_CASE("payment_received message: the seed's shape, memo falls back to the invoice memo") {
    Invoice invoice = sample_invoice();
    Payment payment;
    payment.txid.bytes.fill(0xab);
    payment.paid_at = *parse_rfc3339("2025-10-23T12:15:00Z");
    payment.refund_to.push_back(RefundOutput{0, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"});
    invoice.payment = payment;
    const auto doc = parsed(event_to_json(Event{EventType::payment_received, invoice}, context));
    CHECK(doc.MemberCount() == 5);
    CHECK(doc["type"] == "payment_received");
    CHECK(std::string(doc["txid"].GetString()) == payment.txid.hex());
    CHECK(doc["paid_at"] == "2025-10-23T12:15:00Z");
    CHECK(doc["memo"] == "Invoice description");
    CHECK(doc["invoice"]["payment"]["txid"] == doc["txid"]);
    CHECK(doc["invoice"]["payment"]["refund_to"][0]["amount"].GetInt64() == 0);
    CHECK(doc["invoice"]["status"] == "paid");

    invoice.payment->memo = "Payment memo";
    const auto with_memo = parsed(event_to_json(Event{EventType::payment_received, invoice}, context));
    CHECK(with_memo["memo"] == "Payment memo");

    const auto expired = parsed(event_to_json(Event{EventType::invoice_expired, sample_invoice()}, context));
    CHECK(expired["type"] == "invoice_expired");
    CHECK(expired["expires"] == "2025-10-23T12:30:00Z");
}

TEST_CASE("token outputs: display-order category, safe integers as numbers, larger ones as strings") {
    Invoice invoice = sample_invoice();
    TokenData token;
    token.category.fill(0x01);
    token.category[0] = 0xff;
    token.amount = 1000;
    token.nft = Nft{NftCapability::minting, {0xca, 0xfe}};
    invoice.outputs[0].token = token;
    auto doc = parsed(invoice_to_json(invoice, context));
    const auto& t = doc["outputs"][0]["token"];
    CHECK(std::string(t["category"].GetString()).substr(62) == "ff");
    CHECK(t["amount"].GetInt64() == 1000);
    CHECK(t["nft"]["capability"] == "minting");
    CHECK(t["nft"]["commitment"] == "cafe");
    invoice.outputs[0].token->amount = max_token_amount;
    doc = parsed(invoice_to_json(invoice, context));
    CHECK(doc["outputs"][0]["token"]["amount"] == "9223372036854775807");
}

TEST_CASE("create request: the seed's example body") {
    auto r = parse_create_invoice(R"({"outputs":[{"amount":10000,"address":"bitcoincash:qp..."}],"memo":"Test invoice"})");
    REQUIRE(r.ok());
    REQUIRE(r->outputs.size() == 1);
    CHECK(r->outputs[0].amount == 10000);
    CHECK(r->outputs[0].address == "bitcoincash:qp...");
    CHECK(r->memo == "Test invoice");
    CHECK(r->merchant_data == "null");
    CHECK_FALSE(r->lifetime.has_value());

    auto full = parse_create_invoice(R"({"outputs":[{"amount":1000,"address":"x","description":"d",
        "token":{"category":"0101010101010101010101010101010101010101010101010101010101010101","amount":"9223372036854775807",
        "nft":{"capability":"mutable","commitment":"cafe"}}}],"required_fee_per_byte":1.5,"expires_in":600,
        "merchant_data":{ "a" : [1, 2.5, null] },"unknown":true})");
    REQUIRE_MESSAGE(full.ok(), full.error().message);
    CHECK(full->outputs[0].token->amount == max_token_amount);
    CHECK(full->outputs[0].token->nft->capability == NftCapability::mutable_);
    CHECK(full->required_fee_per_byte == 1.5);
    CHECK(full->lifetime == seconds(600));
    CHECK(full->merchant_data == R"({"a":[1,2.5,null]})");
}

TEST_CASE("malformed requests: each names the field") {
    struct Case { const char* body; const char* message; };
    const Case cases[] = {
        {"", "malformed JSON"},
        {"[]", "the request body must be a JSON object"},
        {"{\"outputs\":1}", "outputs: expected an array"},
        {"{\"outputs\":[1]}", "outputs[0]: expected an object"},
        {"{\"outputs\":[{\"address\":\"a\"}]}", "outputs[0].amount: required"},
        {"{\"outputs\":[{\"amount\":1.5,\"address\":\"a\"}]}", "outputs[0].amount: expected an integer number of satoshis"},
        {"{\"outputs\":[{\"amount\":1e3,\"address\":\"a\"}]}", "outputs[0].amount: expected an integer"},
        {"{\"outputs\":[{\"amount\":\"1000\",\"address\":\"a\"}]}", "outputs[0].amount: expected an integer"},
        {"{\"outputs\":[{\"amount\":99999999999999999999,\"address\":\"a\"}]}", "outputs[0].amount: expected an integer"},
        {"{\"outputs\":[{\"amount\":1000,\"address\":5}]}", "outputs[0].address: expected a string"},
        {"{\"outputs\":[{\"amount\":1000,\"address\":\"a\",\"token\":{\"category\":\"00\"}}]}", "outputs[0].token.category: expected 64 hex digits"},
        {"{\"outputs\":[{\"amount\":1000,\"address\":\"a\",\"token\":{\"category\":\"0101010101010101010101010101010101010101010101010101010101010101\"}}]}",
         "outputs[0].token: a token needs an amount, an nft, or both"},
        // Token amounts as text: digits only (std::stoll skipped leading tabs and newlines).
        {"{\"outputs\":[{\"amount\":1000,\"address\":\"a\",\"token\":{\"category\":\"0101010101010101010101010101010101010101010101010101010101010101\",\"amount\":\" 5\"}}]}",
         "outputs[0].token.amount: expected an integer or a decimal string"},
        {"{\"outputs\":[{\"amount\":1000,\"address\":\"a\",\"token\":{\"category\":\"0101010101010101010101010101010101010101010101010101010101010101\",\"amount\":\"\\t5\"}}]}",
         "outputs[0].token.amount: expected an integer or a decimal string"},
        {"{\"outputs\":[{\"amount\":1000,\"address\":\"a\",\"token\":{\"category\":\"0101010101010101010101010101010101010101010101010101010101010101\",\"amount\":\"\\n5\"}}]}",
         "outputs[0].token.amount: expected an integer or a decimal string"},
        {"{\"outputs\":[{\"amount\":1000,\"address\":\"a\",\"token\":{\"category\":\"0101010101010101010101010101010101010101010101010101010101010101\",\"amount\":\"-5\"}}]}",
         "outputs[0].token.amount: expected an integer or a decimal string"},
        {"{\"outputs\":[{\"amount\":1000,\"address\":\"a\",\"token\":{\"category\":\"0101010101010101010101010101010101010101010101010101010101010101\",\"amount\":\"9223372036854775808\"}}]}",
         "outputs[0].token.amount: expected an integer or a decimal string"},
        {"{\"outputs\":[],\"memo\":7}", "memo: expected a string"},
        {"{\"outputs\":[],\"expires_in\":\"soon\"}", "expires_in: expected an integer number of seconds"},
        {"{\"outputs\":[],\"required_fee_per_byte\":\"1\"}", "required_fee_per_byte: expected a number"},
        {"{\"outputs\":[]", "malformed JSON"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.body);
        auto r = parse_create_invoice(c.body);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::json_invalid);
        CHECK(r.error().message.find(c.message) == 0);
    }
}

TEST_CASE("limits: size, depth (without recursion), encoding") {
    JsonLimits small;
    small.max_bytes = 10;
    CHECK(parse_create_invoice(std::string(11, ' '), small).error().message.find("exceeds the limit of 10") != std::string::npos);
    const std::string deep = "{\"outputs\":[],\"merchant_data\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
    JsonLimits big;
    big.max_bytes = 1 << 20;
    CHECK(parse_create_invoice(deep, big).error().message == "JSON nested deeper than 16 levels");
    CHECK(parse_create_invoice("{\"outputs\":[],\"memo\":\"\xff\xfe\"}").error().code == Errc::json_invalid);
    CHECK(parse_create_invoice(std::string("{\"outputs\":[],\"memo\":\"a\0b\"}", 27)).error().code == Errc::json_invalid);
}

TEST_CASE("pay and verify requests") {
    auto pay = parse_pay_request(R"({"raw_tx_hex":"0100","memo":null,"refund_to":[{"amount":0,"address":"x"}]})");
    REQUIRE(pay.ok());
    CHECK(pay->raw_tx_hex == "0100");
    CHECK(pay->memo.empty());
    CHECK(pay->refund_to.size() == 1);
    CHECK(parse_pay_request("{}").error().message == "raw_tx_hex: expected a hex string");
    CHECK(parse_pay_request(R"({"raw_tx_hex":"00","refund_to":[{"amount":-1.5,"address":"x"}]})").error().message.find("refund_to[0].amount") == 0);
    CHECK(*parse_verify_request(R"({"raw_tx_hex":"abcd"})") == "abcd");
    CHECK(parse_verify_request(R"({"raw_tx_hex":1})").error().code == Errc::json_invalid);
}

}
