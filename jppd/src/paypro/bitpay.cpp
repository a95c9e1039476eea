#include "paypro/bitpay.hpp"

#include <jpp/address.hpp>
#include <jpp/json.hpp>
#include <jpp/transaction.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <optional>

#include "api/errors.hpp"
#include "api/invoice_page.hpp"
#include "paypro/response_signer.hpp"

namespace jppd::paypro {

namespace {

using jpp::Errc;
// ASCII output: non-ASCII text is escaped, so the signed bytes are the same whatever charset a client assumes.
using Writer = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::ASCII<>>;

// The texts of the protocol's error table; bitcore-wallet-client maps several of them to its own error codes by
// substring, Electron Cash shows them to the user.
constexpr std::string_view not_found_text = "This invoice was not found or has been archived";
constexpr std::string_view closed_text = "Invoice no longer accepting payments";
constexpr std::string_view unparsable_text =
    "We were unable to parse your payment. Please try again or contact your wallet provider";
constexpr std::string_view tx_count_text = "Request must include exactly one (1) transaction";
constexpr std::string_view not_hex_text =
    "Your transaction was an in an invalid format, it must be a hexadecimal string";
constexpr std::string_view bad_tx_text =
    "We were unable to parse the transaction you sent. Please try again or contact your wallet provider";
constexpr std::string_view wrong_address_text =
    "The transaction you sent does not have any output to the bitcoin address on the invoice";
constexpr std::string_view broadcast_text = "Error broadcasting payment to network";
constexpr std::string_view content_type_text = "Unsupported Content-Type for payment";
constexpr std::string_view no_network_text = "The payment server cannot reach the network; try again shortly";
constexpr std::string_view in_progress_text =
    "Another payment for this invoice is being processed; try again shortly";
constexpr std::string_view no_store_text = "The payment server cannot record payments now; try again shortly";

// A body holds one transaction of at most the standard size, as hex, plus a little JSON around it.
constexpr std::size_t max_body_bytes = 2 * jpp::max_standard_transaction_size + 16 * 1024;

struct Failure {
    int status = 400;
    std::string code;  // machine-readable, stable
    std::string text;  // what the protocol's clients recognise
    std::string detail;  // what exactly was wrong, when the text is generic
};

http::Response failure_response(BitpayVersion version, const Failure& given) {
    // The texts may quote what the client sent: made valid UTF-8 first.
    Failure f = given;
    f.text = jpp::to_valid_utf8(f.text);
    f.detail = jpp::to_valid_utf8(f.detail);
    http::Response r;
    r.status = f.status;
    if (version == BitpayVersion::v1) {
        // Electron Cash shows a 400's body verbatim after "Bad Request: ".
        r.content_type = "text/plain; charset=utf-8";
        r.body = f.detail.empty() ? f.text : f.text + " (" + f.detail + ")";
    } else {
        // bitcore reads msg, Paytaca error or msg, others message.
        const std::string text = http::json_quote(f.text);
        r.content_type = "application/json; charset=utf-8";
        r.body = "{\"code\":" + http::json_quote(f.code) + ",\"msg\":" + text + ",\"message\":" + text +
                 ",\"error\":" + text;
        if (!f.detail.empty()) r.body += ",\"detail\":" + http::json_quote(f.detail);
        r.body += "}";
    }
    if (f.status == 503) r.with_header("Retry-After", "5");
    return r;
}

// ISO 8601 in UTC with milliseconds, as BitPay writes times ("2019-11-05T17:05:31.000Z").
std::string wire_time(jpp::Timestamp t) {
    std::string text = jpp::to_rfc3339(t);
    text.insert(text.size() - 1, ".000");
    return text;
}

bool is_decode_error(Errc code) {
    return (code >= Errc::truncated && code <= Errc::invalid_token_prefix) ||
           (code >= Errc::tx_undersize && code <= Errc::tx_bad_coinbase);
}

// An invoice output no transaction output pays: say whether the address is missing altogether or only the
// amount is wrong, the two cases wallets tell apart.
Failure output_failure(const jpp::Error& error, const jpp::Invoice& invoice, std::string_view tx_hex) {
    Failure f{400, std::string(jpp::errc_name(error.code)), error.message, ""};
    auto tx = jpp::decode_transaction_hex(tx_hex);
    if (!tx) return f;
    std::int64_t asked = 0;
    for (const auto& wanted : invoice.outputs) {
        bool present = false;
        for (const auto& o : tx->outputs) present = present || o.locking_bytecode == wanted.locking_bytecode;
        if (!present) return {400, f.code, std::string(wrong_address_text), error.message};
        asked += wanted.amount;
    }
    std::int64_t sent = 0;
    for (const auto& o : tx->outputs) {
        for (const auto& wanted : invoice.outputs) {
            if (o.locking_bytecode == wanted.locking_bytecode) {
                sent += o.value;
                break;
            }
        }
    }
    if (sent == asked) return f;  // the amounts add up; a token or a split is wrong, which the message says
    return {400, f.code,
            "The amount on the transaction (" + api::format_bch(sent) + " BCH) does not match the amount requested (" +
                api::format_bch(asked) + " BCH). This payment will not be accepted.",
            error.message};
}

Failure failure_from(const jpp::Error& error, const jpp::InvoiceId& id, const jpp::Invoice* invoice = nullptr,
                     std::string_view tx_hex = {}) {
    const std::string code(jpp::errc_name(error.code));
    switch (error.code) {
        case Errc::invoice_not_found: return {404, code, std::string(not_found_text), ""};
        case Errc::invoice_expired:
        case Errc::invoice_already_paid: return {400, code, std::string(closed_text), error.message};
        case Errc::invalid_hex: return {400, code, std::string(not_hex_text), ""};
        case Errc::json_invalid:
        case Errc::json_too_deep:
        case Errc::json_duplicate_key: return {400, code, std::string(unparsable_text), error.message};
        case Errc::payment_output_missing:
            if (invoice) return output_failure(error, *invoice, tx_hex);
            break;
        case Errc::payment_fee_too_low:
            return {400, code, "Transaction fee is below the current minimum threshold: " + error.message, ""};
        // The node's URL, the cookie's path and SQLite's words go to the log only (api::public_message).
        case Errc::broadcast_rejected:
            return {500, code, std::string(broadcast_text), api::public_message(error, "payment to " + id.hex())};
        case Errc::chain_unavailable:
            api::public_message(error, "invoice " + id.hex());
            return {503, code, std::string(no_network_text), ""};
        case Errc::store_failure:
            api::public_message(error, "invoice " + id.hex());
            return {503, code, std::string(no_store_text), ""};
        case Errc::payment_in_progress: return {503, code, std::string(in_progress_text), ""};
        default:
            if (is_decode_error(error.code)) return {400, code, std::string(bad_tx_text), error.message};
            break;
    }
    return {api::http_status(error.code), code, api::public_message(error, "invoice " + id.hex()), ""};
}

// The invoice, if it still takes payments.
std::optional<Failure> check_open(const api::ApiContext& api, const jpp::Result<jpp::Invoice>& invoice,
                                  const jpp::InvoiceId& id) {
    if (!invoice) return failure_from(invoice.error(), id);
    switch (invoice->status_at(api.clock.now())) {
        case jpp::InvoiceStatus::open: return std::nullopt;
        case jpp::InvoiceStatus::paid:
        case jpp::InvoiceStatus::confirmed:
        case jpp::InvoiceStatus::reversed:
            return Failure{400, "invoice_already_paid", std::string(closed_text), "the invoice is paid"};
        case jpp::InvoiceStatus::expired:
            return Failure{400, "invoice_expired", std::string(closed_text),
                           "the invoice expired at " + jpp::to_rfc3339(invoice->expires)};
        case jpp::InvoiceStatus::cancelled:
            return Failure{400, "invoice_cancelled", std::string(closed_text), "the merchant cancelled the invoice"};
    }
    return std::nullopt;
}

http::Response success(const api::ApiContext& api, std::string body) {
    http::Response r;
    // JSON whatever the step: bitcore's HTTP client cannot read application/payment-* bodies as text.
    r.content_type = "application/json; charset=utf-8";
    r.body = std::move(body);
    if (api.signer) api.signer->sign(r);
    return r;
}

void key(Writer& w, std::string_view name) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())); }
void string(Writer& w, std::string_view value) {
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
// A fee rate as a number, written as an integer when it is one (1, not 1.0, as BitPay sends it).
void fee_rate(Writer& w, double rate) {
    if (std::floor(rate) == rate && std::fabs(rate) < 1e15) w.Int64(static_cast<std::int64_t>(rate));
    else w.Double(rate);
}

std::string output_address(const jpp::Invoice& invoice, const jpp::InvoiceOutput& output) {
    // Prefixed CashAddr, token-aware (z.../r...) when the output carries tokens; never legacy, which
    // bitcore-lib-cash rejects.
    auto address =
        jpp::address_from_locking_bytecode(output.locking_bytecode, invoice.network, output.token.has_value());
    return address ? jpp::encode_cashaddr(*address) : output.address;
}

void write_outputs(Writer& w, const jpp::Invoice& invoice) {
    w.StartArray();
    for (const auto& o : invoice.outputs) {
        w.StartObject();
        key(w, "amount");
        w.Int64(o.amount);
        key(w, "address");
        string(w, output_address(invoice, o));
        if (!o.description.empty()) {
            key(w, "description");
            string(w, o.description);
        }
        if (o.token) {
            // Paytaca's extension for CashTokens, also in Watchtower's invoices.
            key(w, "token");
            const std::string token = jpp::token_to_json(*o.token);
            w.RawValue(token.data(), token.size(), rapidjson::kObjectType);
        }
        w.EndObject();
    }
    w.EndArray();
}

// The members every step's answer starts with.
void write_header(Writer& w, const jpp::Invoice& invoice, const std::string& payment_url) {
    key(w, "time");
    string(w, wire_time(invoice.time));
    key(w, "expires");
    string(w, wire_time(invoice.expires));
    key(w, "memo");
    string(w, invoice.memo.empty() ? "Payment request for invoice " + invoice.id.hex() : invoice.memo);
    key(w, "paymentUrl");
    string(w, payment_url);
    key(w, "paymentId");
    string(w, invoice.id.hex());
}

// BCH on the invoice's network: "main", "test" or "regtest", the names bitcore maps to its own.
void write_chain(Writer& w, const jpp::Invoice& invoice) {
    key(w, "chain");
    string(w, "BCH");
    key(w, "currency");
    string(w, "BCH");
    key(w, "network");
    string(w, jpp::network_name(invoice.network));
}

std::string payment_options(const jpp::Invoice& invoice, const std::string& payment_url) {
    rapidjson::StringBuffer out;
    Writer w(out);
    w.StartObject();
    write_header(w, invoice, payment_url);
    key(w, "paymentOptions");
    w.StartArray();
    w.StartObject();
    write_chain(w, invoice);
    key(w, "estimatedAmount");
    w.Int64(invoice.total_amount());
    key(w, "requiredFeeRate");
    fee_rate(w, invoice.required_fee_per_byte);
    key(w, "minerFee");
    w.Int(0);
    key(w, "decimals");
    w.Int(8);
    key(w, "selected");
    w.Bool(false);
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return out.GetString();
}

std::string v2_payment_request(const jpp::Invoice& invoice, const std::string& payment_url) {
    rapidjson::StringBuffer out;
    Writer w(out);
    w.StartObject();
    write_header(w, invoice, payment_url);
    write_chain(w, invoice);
    // One instruction holding every output: what the spec, Edge and Paytaca read (bitcore pays outputs[0] of each
    // instruction, so only single-output invoices suit it).
    key(w, "instructions");
    w.StartArray();
    w.StartObject();
    key(w, "type");
    string(w, "transaction");
    key(w, "requiredFeeRate");
    fee_rate(w, invoice.required_fee_per_byte);
    key(w, "outputs");
    write_outputs(w, invoice);
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return out.GetString();
}

std::string v1_payment_request(const jpp::Invoice& invoice, const std::string& payment_url) {
    rapidjson::StringBuffer out;
    Writer w(out);
    w.StartObject();
    key(w, "network");
    string(w, jpp::network_name(invoice.network));
    key(w, "currency");
    string(w, "BCH");
    // The spec's prose names requiredFeeRate (bitcore, Electron Cash), its example requiredFeePerByte (Paytaca).
    key(w, "requiredFeeRate");
    fee_rate(w, invoice.required_fee_per_byte);
    key(w, "requiredFeePerByte");
    fee_rate(w, invoice.required_fee_per_byte);
    key(w, "outputs");
    write_outputs(w, invoice);
    write_header(w, invoice, payment_url);
    w.EndObject();
    return out.GetString();
}

// {"payment": <the request, as received>, "memo": memo}. The request is written back from its parse (without
// recursion, whatever its shape): the same members and strings (the transactions exactly), without the
// insignificant whitespace, non-ASCII escaped like the rest of the answer.
std::string echo(const jpp::JsonValue& request, std::string_view memo) {
    const std::string payment = jpp::to_json(request, true);
    rapidjson::StringBuffer out;
    Writer w(out);
    w.StartObject();
    key(w, "payment");
    w.RawValue(payment.data(), payment.size(), rapidjson::kObjectType);
    key(w, "memo");
    string(w, memo);
    w.EndObject();
    return out.GetString();
}

// Through the library's one JSON reader, with the native API's depth limit and this protocol's size limit.
std::optional<Failure> parse_body(std::string_view body, const jpp::JsonLimits& api_limits,
                                  std::optional<jpp::JsonDocument>& doc) {
    auto parsed = jpp::parse_json(body, {max_body_bytes, api_limits.max_depth});
    if (!parsed) {
        const jpp::Error& e = parsed.error();
        if (e.code == Errc::json_too_large)
            return Failure{400, "payment_too_large", "Payment too large",
                           "the body exceeds " + std::to_string(max_body_bytes) + " bytes"};
        return Failure{400, std::string(jpp::errc_name(e.code)), std::string(unparsable_text), e.describe()};
    }
    doc.emplace(std::move(*parsed));
    if (!doc->root().is_object())
        return Failure{400, "json_invalid", std::string(unparsable_text), "the body is not a JSON object"};
    return std::nullopt;
}

// chain and currency, when given, must name BCH (bitcore upper-cases them, others may not); currency defaults
// to chain.
std::optional<Failure> check_currency(const jpp::JsonValue& body) {
    for (const char* name : {"chain", "currency"}) {
        const auto m = body.find(name);
        if (!m || m->is_null()) continue;
        if (!m->is_string())
            return Failure{400, "json_invalid", std::string(unparsable_text),
                           std::string(name) + ": expected a string"};
        std::string value(m->as_string().substr(0, 16));
        for (auto& c : value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (value != "BCH") {
            // Shown back: printable ASCII only.
            for (auto& c : value)
                if (c < 0x20 || c > 0x7e) c = '?';
            return Failure{400, "unsupported_currency",
                           "This invoice is priced in BCH, not " + value + ". Please try with a BCH wallet instead",
                           ""};
        }
    }
    return std::nullopt;
}

// The one transaction's hex: transactions[0].tx in v2, transactions[0] in v1's payment.
std::optional<Failure> one_transaction(const jpp::JsonValue& body, BitpayVersion version, std::string& hex) {
    const auto m = body.find("transactions");
    if (!m || !m->is_array())
        return Failure{400, "json_invalid", std::string(unparsable_text), "transactions: expected an array"};
    if (m->size() != 1) return Failure{400, "transaction_count", std::string(tx_count_text), ""};
    const jpp::JsonValue entry = (*m)[0];
    std::optional<jpp::JsonValue> tx = entry;
    if (version == BitpayVersion::v2) {
        tx = entry.find("tx");
        if (!tx) return Failure{400, "json_invalid", std::string(unparsable_text), "transactions[0].tx is missing"};
    }
    if (!tx->is_string()) return Failure{400, "invalid_hex", std::string(not_hex_text), ""};
    hex.assign(tx->as_string());
    return std::nullopt;
}

BitpayVersion version_of(const http::Request& request, std::string_view media_type, const jpp::JsonValue* body) {
    if (media_type == "application/payment-request" || media_type == "application/payment-verification")
        return BitpayVersion::v2;
    if (media_type == "application/verify-payment") return BitpayVersion::v1;
    // application/payment: v1 sends the transactions as strings, v2 as objects; clients on the v1 path send no
    // x-paypro-version.
    if (body) {
        const auto m = body->find("transactions");
        if (m && m->is_array() && m->size() > 0) return (*m)[0].is_string() ? BitpayVersion::v1 : BitpayVersion::v2;
    }
    return request.header("x-paypro-version") == "2" ? BitpayVersion::v2 : BitpayVersion::v1;
}

}  // namespace

http::Response bitpay_get(const api::ApiContext& api, const jpp::InvoiceId& id, BitpayVersion version,
                          const std::string& payment_url) {
    auto invoice = api.service.get(id);
    if (auto closed = check_open(api, invoice, id)) return failure_response(version, *closed);
    return success(api, version == BitpayVersion::v2 ? payment_options(*invoice, payment_url)
                                                     : v1_payment_request(*invoice, payment_url));
}

bool is_bitpay_post(std::string_view media_type) {
    return media_type == "application/payment-request" || media_type == "application/payment-verification" ||
           media_type == "application/verify-payment" || media_type == "application/payment";
}

http::Response bitpay_post(const api::ApiContext& api, const jpp::InvoiceId& id, const http::Request& request,
                           const std::string& payment_url) {
    const std::string type = request.media_type();
    std::optional<jpp::JsonDocument> doc;
    const auto unparsable = parse_body(request.body, api.json_limits, doc);
    const jpp::JsonValue* body = nullptr;
    std::optional<jpp::JsonValue> root;
    if (!unparsable) body = &root.emplace(doc->root());
    const BitpayVersion version = version_of(request, type, body);
    if (unparsable) return failure_response(version, *unparsable);
    if (auto wrong = check_currency(*body)) return failure_response(version, *wrong);

    // An unknown invoice is named first, whatever else is wrong with the request.
    auto invoice = api.service.get(id);
    if (!invoice) return failure_response(version, failure_from(invoice.error(), id));

    if (type == "application/payment-request") {
        // Choosing the payment option; asked again before each later step by some wallets, so it is repeatable.
        if (auto closed = check_open(api, invoice, id)) return failure_response(version, *closed);
        return success(api, v2_payment_request(*invoice, payment_url));
    }

    std::string hex;
    if (type == "application/verify-payment") {
        const auto m = body->find("unsignedTransaction");
        if (!m) return failure_response(version, {400, "json_invalid", std::string(unparsable_text),
                                                  "unsignedTransaction is missing"});
        if (!m->is_string()) return failure_response(version, {400, "invalid_hex", std::string(not_hex_text), ""});
        hex.assign(m->as_string());
    } else if (auto bad = one_transaction(*body, version, hex)) {
        return failure_response(version, *bad);
    }

    if (type == "application/payment") {
        jpp::PayRequest pay;
        pay.raw_tx_hex = hex;
        auto paid = api.service.pay(id, pay);
        api::count_payment(metrics::Protocol::bitpay, paid ? nullptr : &paid.error());
        if (!paid) return failure_response(version, failure_from(paid.error(), id, &*invoice, hex));
        return success(api, echo(*body, api.dev_mode
                                            ? "Transaction received and recorded (development server: not broadcast)"
                                            : "Transaction received and broadcast. The invoice is paid."));
    }

    // Verification: the transaction may be unsigned or signed (Electron Cash sends the signed one); it is
    // checked, never broadcast.
    auto verdict = api.service.verify(id, hex);
    if (!verdict) return failure_response(version, failure_from(verdict.error(), id, &*invoice, hex));
    return success(api, echo(*body, "Payment appears valid"));
}

http::Response unsupported_payment_type(const http::Request& request) {
    const BitpayVersion version = request.header("x-paypro-version") == "2" ? BitpayVersion::v2 : BitpayVersion::v1;
    return failure_response(version, {400, "unsupported_media_type", std::string(content_type_text),
                                      "send application/payment-request, application/payment-verification, "
                                      "application/verify-payment, application/payment or "
                                      "application/bitcoincash-payment"});
}

}  // namespace jppd::paypro
