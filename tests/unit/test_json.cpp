#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <pthread.h>

#include <cmath>
#include <limits>

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

TEST_CASE("parse_json: one reader, every limit with its own code") {
    auto doc = parse_json(R"({"a":[1,-2,18446744073709551615,2.5,"x\u00e9",true,null,{}],"b":{"c":"d"}})");
    REQUIRE(doc.ok());
    const JsonValue root = doc->root();
    REQUIRE(root.is_object());
    CHECK(root.size() == 2);
    CHECK(root.key(0) == "a");
    const JsonValue a = *root.find("a");
    CHECK(a.size() == 8);
    CHECK(a[0].as_int64() == 1);
    CHECK(a[1].as_int64() == -2);
    CHECK(a[2].kind() == JsonValue::Kind::big_integer);
    CHECK_FALSE(a[2].is_int64());
    CHECK(a[3].as_double() == 2.5);
    CHECK(a[4].as_string() == "x\xc3\xa9");
    CHECK(a[5].as_bool());
    CHECK(a[6].is_null());
    CHECK(a[7].is_object());
    CHECK(root.find("b")->find("c")->as_string() == "d");
    CHECK_FALSE(root.find("z").has_value());
    CHECK(to_json(root) == R"({"a":[1,-2,18446744073709551615,2.5,"xé",true,null,{}],"b":{"c":"d"}})");
    CHECK(to_json(root, true) == R"({"a":[1,-2,18446744073709551615,2.5,"x\u00E9",true,null,{}],"b":{"c":"d"}})");

    JsonLimits limits;
    limits.max_bytes = 100;
    limits.max_depth = 3;
    CHECK(parse_json(std::string(101, ' '), limits).error().code == Errc::json_too_large);
    CHECK(parse_json("[[[1]]]", limits).ok());
    CHECK(parse_json("[[[[1]]]]", limits).error().code == Errc::json_too_deep);
    CHECK(parse_json(R"({"a":{"b":[]}})", limits).ok());
    CHECK(parse_json(R"({"a":{"b":[{}]}})", limits).error().code == Errc::json_too_deep);

    // Duplicate keys, anywhere, however spelled (escapes decoded first); the same key in two objects is fine.
    CHECK(parse_json(R"({"a":1,"a":2})").error().code == Errc::json_duplicate_key);
    CHECK(parse_json(R"({"a":1,"\u0061":2})").error().code == Errc::json_duplicate_key);
    CHECK(parse_json(R"([{"x":{"k":1,"j":2,"k":3}}])").error().code == Errc::json_duplicate_key);
    CHECK(parse_json(R"([{"k":1},{"k":1}])").ok());
    std::string many = "{";
    for (int i = 0; i < 5000; ++i) many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
    CHECK(parse_json(many + "}").ok());
    CHECK(parse_json(many + ",\"k4321\":1}").error().code == Errc::json_duplicate_key);

    // UTF-8: raw bytes and escapes alike, surrogates and overlong forms refused.
    for (const char* bad : {"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"caf\xc3\"",
                            R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")", "{\"\xff\":1}"}) {
        CAPTURE(bad);
        const auto r = parse_json(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Errc::json_invalid);
    }
    CHECK(parse_json(R"("\ud83d\ude00")")->root().as_string() == "\xf0\x9f\x98\x80");
    CHECK(parse_json("\"\xf0\x9f\x98\x80\"").ok());

    CHECK(JsonDocument().root().is_null());  // an empty document holds null, never nothing

    // Numbers: integers exactly, doubles correctly rounded, written back as they were read.
    const auto numbers = parse_json("[0,-0,0e300,1e-400,-1e-400,18446744073709551616,-9223372036854775808,"
                                    "-9223372036854775809,0.1,1.7976931348623157e308,5e-324,1.0]");
    REQUIRE(numbers.ok());
    const JsonValue n = numbers->root();
    CHECK(n[0].as_int64() == 0);
    CHECK(n[2].kind() == JsonValue::Kind::real);
    CHECK(n[2].as_double() == 0);
    CHECK(n[3].as_double() == 0);
    CHECK(std::signbit(n[4].as_double()));
    CHECK(n[5].as_double() == 18446744073709551616.0);
    CHECK(n[6].as_int64() == std::numeric_limits<std::int64_t>::min());
    CHECK(n[7].kind() == JsonValue::Kind::real);
    CHECK(n[8].as_double() == 0.1);
    CHECK(n[9].as_double() == std::numeric_limits<double>::max());
    CHECK(n[10].as_double() == std::numeric_limits<double>::denorm_min());
    CHECK(to_json(n) == "[0,0,0.0,0.0,-0.0,18446744073709553000.0,-9223372036854775808,-9223372036854776000.0,0.1,"
                        "1.7976931348623157e308,5e-324,1.0]");
    CHECK(parse_json("1e400").error().code == Errc::json_invalid);
    CHECK(parse_json("0e400").error().code == Errc::json_invalid);  // RapidJSON's grammar: the exponent alone
    CHECK(parse_json("-1e309").error().code == Errc::json_invalid);
    CHECK(parse_json(std::string(400, '9')).error().code == Errc::json_invalid);
    CHECK(parse_json("0." + std::string(400, '0') + "1")->root().as_double() == 0);

    // What a text is wrong with comes before what it asks too much: a deep or duplicate-keyed text that is also
    // malformed (or not UTF-8 further on) is json_invalid.
    CHECK(parse_json("[[[[[[", limits).error().code == Errc::json_invalid);
    CHECK(parse_json("[[[[1]]]] x", limits).error().code == Errc::json_invalid);
    CHECK(parse_json("[[[[\"\xff\"]]]]", limits).error().code == Errc::json_invalid);
    CHECK(parse_json(R"({"a":1,"a":2)").error().code == Errc::json_invalid);
    CHECK(parse_json("[{\"a\":1,\"a\":2},\"\xc3\"]").error().code == Errc::json_invalid);
    const auto deep = parse_json("[[[[1]]]]", limits);
    CHECK(deep.error().message == "JSON nested deeper than 3 levels");
    CHECK(deep.error().offset == 3);  // the bracket that opens the fourth level

    for (const char* bad : {"", " ", "[1,]", "{\"a\"}", "1 2", "[1] x", "nul", "\xef\xbb\xbf{}"}) {
        CAPTURE(bad);
        CHECK(parse_json(bad).error().code == Errc::json_invalid);
    }
}

namespace {

// Runs `body` on a thread with a 64 KB stack: a recursion over 100,000 levels would overflow it.
void on_small_stack(void (*body)()) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t thread;
    REQUIRE(pthread_create(&thread, &attr, [](void* f) -> void* { reinterpret_cast<void (*)()>(f)(); return nullptr; },
                           reinterpret_cast<void*>(body)) == 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
}

bool deep_ok = false;

}  // namespace

TEST_CASE("parse_json and to_json never recurse: 100,000 levels on a 64 KB stack") {
    deep_ok = false;
    on_small_stack([] {
        std::string deep;
        for (int i = 0; i < 50000; ++i) deep += "[{\"k\":";
        deep += "1";
        for (int i = 0; i < 50000; ++i) deep += "}]";
        JsonLimits unlimited;
        unlimited.max_bytes = 1 << 22;
        unlimited.max_depth = 1000000;
        auto doc = parse_json(deep, unlimited);
        // And with the usual limits, refused early.
        const auto refused = parse_json(deep, JsonLimits{1 << 22, 16});
        deep_ok = doc.ok() && to_json(doc->root()) == deep && to_json(doc->root(), true) == deep &&
                  !refused.ok() && refused.error().code == Errc::json_too_deep;
    });
    CHECK(deep_ok);
}

TEST_CASE("to_valid_utf8: what is not UTF-8 becomes U+FFFD, the rest is kept") {
    CHECK(to_valid_utf8("caf\xc3\xa9 \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK(to_valid_utf8("a\xc9" "b") == "a\xef\xbf\xbd" "b");
    CHECK(to_valid_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(to_valid_utf8("end\xe2\x82") == "end\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(to_valid_utf8(std::string("\0x", 2)) == std::string("\0x", 2));
}

TEST_CASE("refund_to is bounded in the pay request") {
    ServiceConfig config;
    std::string body = R"({"raw_tx_hex":"00","refund_to":[)";
    for (std::size_t i = 0; i < config.max_refund_outputs; ++i)
        body += std::string(i ? "," : "") + R"({"amount":1,"address":"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"})";
    auto ok = parse_pay_request(body + "]}", {}, config);
    REQUIRE_MESSAGE(ok.ok(), ok.error().message);
    CHECK(ok->refund_to.size() == config.max_refund_outputs);
    auto many = parse_pay_request(body + R"(,{"amount":1,"address":"x"}]})", {}, config);
    REQUIRE_FALSE(many.ok());
    CHECK(many.error().code == Errc::invoice_invalid);
    CHECK(many.error().message == "refund_to: 17 entries exceed the limit of 16");
    const auto long_address = parse_pay_request(
        R"({"raw_tx_hex":"00","refund_to":[{"amount":1,"address":")" + std::string(129, 'q') + "\"}]}", {}, config);
    CHECK(long_address.error().code == Errc::invoice_invalid);
    CHECK(long_address.error().message == "refund_to[0].address: longer than 128 bytes");
    CHECK(parse_pay_request(R"({"raw_tx_hex":"00","refund_to":[{"amount":2100000000000001,"address":"x"}]})")
              .error().code == Errc::invoice_invalid);
    CHECK(parse_pay_request(R"({"raw_tx_hex":"00","refund_to":[{"amount":-1,"address":"x"}]})").error().code ==
          Errc::invoice_invalid);
}

TEST_CASE("the largest possible event is within max_event_json_bytes") {
    ServiceConfig config;
    const std::string public_url = "https://" + std::string(56, 'p') + ".example";  // 64 bytes
    // The longest address there is (a token-aware P2SH32 on the main network), the longest texts, all of them
    // control characters (six bytes each in JSON), every list at its limit.
    Address p2sh32{Network::main, AddressKind::p2sh32, Bytes(32, 0x11), true};
    const std::string address = encode_cashaddr(p2sh32);
    CHECK(address.size() < config.max_address_bytes);
    const std::string worst_text(config.max_memo_bytes, '\x01');
    CreateInvoiceRequest request;
    request.memo = worst_text;
    request.required_fee_per_byte = 1.2345678901234567e-300;
    request.lifetime = config.max_invoice_lifetime;
    // merchant_data at its limit: a JSON string of control characters, as stored (already escaped).
    request.merchant_data = "\"" + std::string(config.max_merchant_data_bytes - 2, 'a') + "\"";
    for (std::size_t i = 0; i < config.max_outputs; ++i) {
        OutputRequest o;
        o.amount = max_money / static_cast<std::int64_t>(config.max_outputs);
        o.address = address;
        o.description = std::string(config.max_description_bytes, '\x1f');
        TokenData token;
        token.category.fill(0xab);
        token.amount = max_token_amount;
        token.nft = Nft{NftCapability::minting, Bytes(config.verify.rules.max_commitment_length, 0xcd)};
        o.token = token;
        request.outputs.push_back(std::move(o));
    }
    auto invoice = build_invoice(request, config, *parse_rfc3339("2999-12-31T23:59:59Z"));
    REQUIRE_MESSAGE(invoice.ok(), invoice.error().message);
    Invoice expired = *invoice;
    Payment payment;
    payment.txid.bytes.fill(0xee);
    payment.memo = std::string(config.max_memo_bytes, '\x02');
    payment.paid_at = invoice->expires;
    for (std::size_t i = 0; i < config.max_refund_outputs; ++i)
        payment.refund_to.push_back(RefundOutput{max_money, std::string(config.max_address_bytes, '\x03')});
    invoice->payment = payment;
    const JsonContext at{public_url, invoice->expires};
    const std::size_t paid = event_to_json(Event{EventType::payment_received, *invoice}, at).size();
    const std::size_t gone = event_to_json(Event{EventType::invoice_expired, expired}, at).size();
    const std::size_t bound = max_event_json_bytes(config, public_url.size());
    CAPTURE(paid);
    CAPTURE(gone);
    CAPTURE(bound);
    CHECK(paid <= bound);
    CHECK(gone <= bound);
    MESSAGE("largest events: paid " << paid << ", expired " << gone << "; bound " << bound);
    CHECK(paid > bound * 9 / 10);  // and the bound is not wildly above what can happen
}

}

