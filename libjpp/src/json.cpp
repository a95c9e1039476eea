#include "jpp/json.hpp"

#include <cmath>
#include <limits>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#pragma GCC diagnostic pop

namespace jpp {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
// Integers beyond this lose precision in JavaScript clients, so they are written as decimal strings.
constexpr std::int64_t max_safe_integer = 9007199254740991;

void key(JsonWriter& w, const char* name) { w.Key(name); }
void string(JsonWriter& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void write_token(JsonWriter& w, const TokenData& token) {
    w.StartObject();
    key(w, "category");
    string(w, to_display_hex(token.category));
    key(w, "amount");
    if (token.amount <= max_safe_integer) w.Int64(token.amount);
    else string(w, std::to_string(token.amount));
    if (token.nft) {
        key(w, "nft");
        w.StartObject();
        key(w, "capability");
        string(w, std::string(nft_capability_name(token.nft->capability)));
        key(w, "commitment");
        string(w, to_hex(token.nft->commitment));
        w.EndObject();
    }
    w.EndObject();
}

void write_invoice(JsonWriter& w, const Invoice& invoice, const JsonContext& context) {
    w.StartObject();
    key(w, "payment_id");
    string(w, invoice.id.hex());
    key(w, "payment_url");
    string(w, payment_url(context, invoice.id));
    key(w, "payment_uri");
    string(w, payment_uri(context, invoice.id));
    key(w, "network");
    string(w, std::string(network_name(invoice.network)));
    key(w, "currency");
    string(w, invoice.currency);
    key(w, "required_fee_per_byte");
    w.Double(invoice.required_fee_per_byte);
    key(w, "memo");
    string(w, invoice.memo);
    key(w, "time");
    string(w, to_rfc3339(invoice.time));
    key(w, "expires");
    string(w, to_rfc3339(invoice.expires));
    key(w, "status");
    string(w, std::string(invoice_status_name(invoice.status_at(context.now))));
    key(w, "total_amount");
    w.Int64(invoice.total_amount());
    key(w, "outputs");
    w.StartArray();
    for (const InvoiceOutput& o : invoice.outputs) {
        w.StartObject();
        key(w, "amount");
        w.Int64(o.amount);
        key(w, "address");
        string(w, o.address);
        key(w, "description");
        string(w, o.description);
        if (o.token) {
            key(w, "token");
            write_token(w, *o.token);
        }
        w.EndObject();
    }
    w.EndArray();
    key(w, "payment");
    if (!invoice.payment) {
        w.Null();
    } else {
        const Payment& p = *invoice.payment;
        w.StartObject();
        key(w, "txid");
        string(w, p.txid.hex());
        key(w, "memo");
        string(w, p.memo);
        key(w, "paid_at");
        string(w, to_rfc3339(p.paid_at));
        key(w, "refund_to");
        w.StartArray();
        for (const RefundOutput& r : p.refund_to) {
            w.StartObject();
            key(w, "amount");
            w.Int64(r.amount);
            key(w, "address");
            string(w, r.address);
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
    }
    key(w, "merchant_data");
    // Stored as compact JSON produced by parse_create_invoice, so it can be embedded as it is.
    const std::string& data = invoice.merchant_data.empty() ? std::string("null") : invoice.merchant_data;
    w.RawValue(data.data(), data.size(), rapidjson::kObjectType);
    w.EndObject();
}

std::string trimmed_base(const std::string& url) {
    std::string base = url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

// Counts nesting while a SAX pass reads the text, and stops the parse as soon as it is too deep: the DOM parse
// that follows never sees a document it would take unbounded effort to build.
struct DepthGuard : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthGuard> {
    unsigned depth = 0, max_depth = 0;
    bool too_deep = false;
    bool Default() { return true; }
    bool StartObject() { return enter(); }
    bool StartArray() { return enter(); }
    bool EndObject(rapidjson::SizeType) { --depth; return true; }
    bool EndArray(rapidjson::SizeType) { --depth; return true; }
    bool enter() {
        if (++depth > max_depth) too_deep = true;
        return !too_deep;
    }
};

Error json_error(const std::string& message) { return make_error(Errc::json_invalid, message); }

Result<rapidjson::Document> parse_any(std::string_view body, const JsonLimits& limits) {
    if (body.size() > limits.max_bytes)
        return json_error("request body of " + std::to_string(body.size()) + " bytes exceeds the limit of " +
                          std::to_string(limits.max_bytes));
    DepthGuard guard;
    guard.max_depth = limits.max_depth;
    rapidjson::MemoryStream stream(body.data(), body.size());
    rapidjson::Reader reader;
    const rapidjson::ParseResult sax = reader.Parse<parse_flags>(stream, guard);
    if (guard.too_deep) return json_error("JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
    if (sax.IsError())
        return make_error(Errc::json_invalid, std::string("malformed JSON: ") + rapidjson::GetParseError_En(sax.Code()) +
                                                  " (at byte " + std::to_string(sax.Offset()) + ")",
                          sax.Offset());
    rapidjson::Document doc;
    doc.Parse<parse_flags>(body.data(), body.size());
    if (doc.HasParseError()) return json_error("malformed JSON");
    return doc;
}

Result<rapidjson::Document> parse(std::string_view body, const JsonLimits& limits) {
    auto doc = parse_any(body, limits);
    if (doc && !doc->IsObject()) return json_error("the request body must be a JSON object");
    return doc;
}

std::string compact(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    value.Accept(w);
    return std::string(buffer.GetString(), buffer.GetSize());
}

// Optional string fields: absent and null both mean empty.
Result<std::string> optional_string(const rapidjson::Value& object, const char* name, const std::string& path) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || it->value.IsNull()) return std::string();
    if (!it->value.IsString()) return json_error(path + name + ": expected a string");
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result<std::int64_t> satoshis(const rapidjson::Value& object, const char* name, const std::string& path) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd()) return json_error(path + name + ": required");
    if (!it->value.IsInt64()) return json_error(path + name + ": expected an integer number of satoshis");
    return it->value.GetInt64();
}

Result<TokenData> parse_token(const rapidjson::Value& v, const std::string& path) {
    if (!v.IsObject()) return json_error(path + ": expected an object");
    TokenData token;
    const auto category = v.FindMember("category");
    if (category == v.MemberEnd() || !category->value.IsString())
        return json_error(path + ".category: expected 64 hex digits");
    auto hash = hash256_from_display_hex(category->value.GetString());
    if (!hash) return json_error(path + ".category: " + hash.error().message);
    token.category = *hash;
    const auto amount = v.FindMember("amount");
    if (amount != v.MemberEnd() && !amount->value.IsNull()) {
        if (amount->value.IsInt64()) {
            token.amount = amount->value.GetInt64();
        } else if (amount->value.IsString()) {
            const auto parsed = parse_token_amount({amount->value.GetString(), amount->value.GetStringLength()});
            if (!parsed) return json_error(path + ".amount: expected an integer or a decimal string");
            token.amount = *parsed;
        } else {
            return json_error(path + ".amount: expected an integer or a decimal string");
        }
        if (token.amount < 0) return json_error(path + ".amount: must not be negative");
    }
    const auto nft = v.FindMember("nft");
    if (nft != v.MemberEnd() && !nft->value.IsNull()) {
        if (!nft->value.IsObject()) return json_error(path + ".nft: expected an object");
        Nft parsed;
        const auto capability = nft->value.FindMember("capability");
        if (capability != nft->value.MemberEnd()) {
            if (!capability->value.IsString()) return json_error(path + ".nft.capability: expected a string");
            auto c = nft_capability_from_name(capability->value.GetString());
            if (!c) return json_error(path + ".nft.capability: expected none, mutable or minting");
            parsed.capability = *c;
        }
        auto commitment = optional_string(nft->value, "commitment", path + ".nft.");
        if (!commitment) return std::move(commitment).error();
        auto bytes = from_hex(*commitment);
        if (!bytes) return json_error(path + ".nft.commitment: " + bytes.error().message);
        parsed.commitment = std::move(*bytes);
        token.nft = std::move(parsed);
    }
    if (token.amount == 0 && !token.nft) return json_error(path + ": a token needs an amount, an nft, or both");
    return token;
}

}  // namespace

std::string token_to_json(const TokenData& token) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    write_token(w, token);
    return out.GetString();
}

std::string payment_url(const JsonContext& context, const InvoiceId& id) {
    return trimmed_base(context.public_url) + "/jpp/invoices/" + id.hex() + "/";
}

std::string payment_uri(const JsonContext& context, const InvoiceId& id) {
    return "bitcoincash:?r=" + trimmed_base(context.public_url) + "/jpp/i/bitpay/" + id.hex() + "/";
}

std::string invoice_to_json(const Invoice& invoice, const JsonContext& context) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    write_invoice(w, invoice, context);
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string event_to_json(const Event& event, const JsonContext& context) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    key(w, "type");
    string(w, std::string(event_type_name(event.type)));
    key(w, "invoice");
    write_invoice(w, event.invoice, context);
    if (event.type == EventType::payment_received && event.invoice.payment) {
        const Payment& p = *event.invoice.payment;
        key(w, "txid");
        string(w, p.txid.hex());
        key(w, "paid_at");
        string(w, to_rfc3339(p.paid_at));
        key(w, "memo");
        string(w, p.memo.empty() ? event.invoice.memo : p.memo);
    } else if (event.type == EventType::invoice_expired) {
        key(w, "expires");
        string(w, to_rfc3339(event.invoice.expires));
    }
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

Result<CreateInvoiceRequest> parse_create_invoice(std::string_view body, const JsonLimits& limits) {
    auto doc = parse(body, limits);
    if (!doc) return std::move(doc).error();
    CreateInvoiceRequest request;
    const auto outputs = doc->FindMember("outputs");
    if (outputs == doc->MemberEnd() || !outputs->value.IsArray())
        return json_error("outputs: expected an array of {amount, address}");
    std::size_t i = 0;
    for (const auto& o : outputs->value.GetArray()) {
        const std::string path = "outputs[" + std::to_string(i++) + "].";
        if (!o.IsObject()) return json_error(path.substr(0, path.size() - 1) + ": expected an object");
        OutputRequest output;
        auto amount = satoshis(o, "amount", path);
        if (!amount) return std::move(amount).error();
        output.amount = *amount;
        const auto address = o.FindMember("address");
        if (address == o.MemberEnd() || !address->value.IsString()) return json_error(path + "address: expected a string");
        output.address.assign(address->value.GetString(), address->value.GetStringLength());
        auto description = optional_string(o, "description", path);
        if (!description) return std::move(description).error();
        output.description = std::move(*description);
        const auto token = o.FindMember("token");
        if (token != o.MemberEnd() && !token->value.IsNull()) {
            auto parsed = parse_token(token->value, path + "token");
            if (!parsed) return std::move(parsed).error();
            output.token = std::move(*parsed);
        }
        request.outputs.push_back(std::move(output));
    }
    auto memo = optional_string(*doc, "memo", "");
    if (!memo) return std::move(memo).error();
    request.memo = std::move(*memo);
    const auto fee = doc->FindMember("required_fee_per_byte");
    if (fee != doc->MemberEnd() && !fee->value.IsNull()) {
        if (!fee->value.IsNumber()) return json_error("required_fee_per_byte: expected a number");
        request.required_fee_per_byte = fee->value.GetDouble();
    }
    const auto expires_in = doc->FindMember("expires_in");
    if (expires_in != doc->MemberEnd() && !expires_in->value.IsNull()) {
        if (!expires_in->value.IsInt64()) return json_error("expires_in: expected an integer number of seconds");
        request.lifetime = std::chrono::seconds(expires_in->value.GetInt64());
    }
    const auto merchant = doc->FindMember("merchant_data");
    if (merchant != doc->MemberEnd()) request.merchant_data = compact(merchant->value);
    return request;
}

Result<PayRequest> parse_pay_request(std::string_view body, const JsonLimits& limits) {
    auto doc = parse(body, limits);
    if (!doc) return std::move(doc).error();
    PayRequest request;
    const auto raw = doc->FindMember("raw_tx_hex");
    if (raw == doc->MemberEnd() || !raw->value.IsString()) return json_error("raw_tx_hex: expected a hex string");
    request.raw_tx_hex.assign(raw->value.GetString(), raw->value.GetStringLength());
    auto memo = optional_string(*doc, "memo", "");
    if (!memo) return std::move(memo).error();
    request.memo = std::move(*memo);
    const auto refund = doc->FindMember("refund_to");
    if (refund != doc->MemberEnd() && !refund->value.IsNull()) {
        if (!refund->value.IsArray()) return json_error("refund_to: expected an array of {amount, address}");
        std::size_t i = 0;
        for (const auto& r : refund->value.GetArray()) {
            const std::string path = "refund_to[" + std::to_string(i++) + "].";
            if (!r.IsObject()) return json_error(path.substr(0, path.size() - 1) + ": expected an object");
            auto amount = satoshis(r, "amount", path);
            if (!amount) return std::move(amount).error();
            const auto address = r.FindMember("address");
            if (address == r.MemberEnd() || !address->value.IsString())
                return json_error(path + "address: expected a string");
            request.refund_to.push_back(
                RefundOutput{*amount, std::string(address->value.GetString(), address->value.GetStringLength())});
        }
    }
    return request;
}

bool is_json_value(std::string_view text, const JsonLimits& limits) { return parse_any(text, limits).ok(); }

Result<std::string> parse_verify_request(std::string_view body, const JsonLimits& limits) {
    auto doc = parse(body, limits);
    if (!doc) return std::move(doc).error();
    const auto raw = doc->FindMember("raw_tx_hex");
    if (raw == doc->MemberEnd() || !raw->value.IsString()) return json_error("raw_tx_hex: expected a hex string");
    return std::string(raw->value.GetString(), raw->value.GetStringLength());
}

}  // namespace jpp
