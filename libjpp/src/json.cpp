#include "jpp/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>
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
// Iterative: no recursion over the text. Numbers as text: converted here (number_node), exactly, rather than by
// RapidJSON 1.1's own conversion, whose precise mode has undefined behaviour on some inputs ("0e400" and the like).
constexpr unsigned parse_flags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;
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

void optional_time(JsonWriter& w, const char* name, const std::optional<Timestamp>& time) {
    key(w, name);
    if (time) string(w, to_rfc3339(*time));
    else w.Null();
}

// Where the payment's transaction stands, as the chain follower last saw it.
void write_payment_chain(JsonWriter& w, const PaymentChain& chain) {
    key(w, "confirmations");
    w.Uint(chain.confirmations);
    key(w, "block_height");
    if (chain.block_height) w.Int64(*chain.block_height);
    else w.Null();
    key(w, "block_hash");
    if (chain.block_hash) string(w, chain.block_hash->hex());
    else w.Null();
    optional_time(w, "confirmed_at", chain.confirmed);
    optional_time(w, "reversed_at", chain.reversed);
}

// The public invoice; with `merchant_view`, also what only its merchant may read.
void write_invoice(JsonWriter& w, const Invoice& invoice, const JsonContext& context, bool merchant_view = false) {
    w.StartObject();
    key(w, "payment_id");
    string(w, invoice.id.hex());
    key(w, "payment_url");
    string(w, payment_url(context, invoice.id));
    key(w, "payment_uri");
    string(w, payment_uri(context, invoice));
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
    key(w, "required_confirmations");
    w.Uint(invoice.required_confirmations);
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
        write_payment_chain(w, p.chain);
        key(w, "source");
        string(w, std::string(payment_source_name(p.source)));
        key(w, "overpaid_by");
        w.Int64(p.overpaid_by);
        key(w, "late");
        w.Bool(p.late);
        w.EndObject();
    }
    key(w, "underpayments");
    w.StartArray();
    for (const Underpayment& u : invoice.underpayments) {
        w.StartObject();
        key(w, "txid");
        string(w, u.txid.hex());
        key(w, "amount");
        w.Int64(u.amount);
        key(w, "seen_at");
        string(w, to_rfc3339(u.seen));
        w.EndObject();
    }
    w.EndArray();
    key(w, "merchant_data");
    // Stored as compact JSON produced by parse_create_invoice, so it can be embedded as it is.
    const std::string& data = invoice.merchant_data.empty() ? std::string("null") : invoice.merchant_data;
    w.RawValue(data.data(), data.size(), rapidjson::kObjectType);
    if (merchant_view) {
        key(w, "order_id");
        if (invoice.order_id) string(w, *invoice.order_id);
        else w.Null();
        key(w, "metadata");
        const std::string& metadata = invoice.metadata.empty() ? std::string("null") : invoice.metadata;
        w.RawValue(metadata.data(), metadata.size(), rapidjson::kObjectType);
        key(w, "cancelled_at");
        if (invoice.cancelled) string(w, to_rfc3339(*invoice.cancelled));
        else w.Null();
    }
    w.EndObject();
}

std::string trimmed_base(const std::string& url) {
    std::string base = url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

Error json_error(const std::string& message) { return make_error(Errc::json_invalid, message); }

// Strict UTF-8 (RFC 3629): the length of the sequence starting at s[0], or 0 when it is not a valid one (overlong
// forms, surrogates and anything above U+10FFFF included).
std::size_t utf8_sequence(const unsigned char* s, std::size_t left) {
    const unsigned char c = s[0];
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return 0;
    if (left <= n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (std::size_t k = 2; k <= n; ++k)
        if ((s[k] & 0xC0) != 0x80) return 0;
    return n + 1;
}

bool valid_utf8(const char* text, std::size_t size) {
    const auto* s = reinterpret_cast<const unsigned char*>(text);
    for (std::size_t i = 0; i < size;) {
        const std::size_t n = utf8_sequence(s + i, size - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

}  // namespace

// Builds a JsonDocument from the reader's events, with an explicit stack of the open arrays and objects; stops
// the reader at the first limit broken.
struct JsonAccess {
    using Node = JsonDocument::Node;
    using Kind = JsonValue::Kind;

    // After a limit is broken, the rest of the text is still read, building nothing, so that a text that is
    // also malformed (or not UTF-8) is reported as json_invalid, whatever limit it breaks first.
    struct Builder : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Builder> {
        struct Open {
            std::uint32_t node;
            std::size_t first_pending;  // where its items (or key, value pairs) start in `pending`
        };
        JsonDocument& doc;
        const rapidjson::MemoryStream& stream;
        unsigned max_depth;
        std::vector<Open> open;
        std::vector<std::uint32_t> pending;  // the finished children of the open containers, innermost last
        Errc failure = Errc::ok;
        std::string failure_message;
        std::size_t failure_offset = Error::no_offset;

        Builder(JsonDocument& d, const rapidjson::MemoryStream& s, unsigned depth)
            : doc(d), stream(s), max_depth(depth) {
            doc.nodes_.clear();  // the root is the first value read
        }

        bool skipping() const { return failure != Errc::ok; }
        // A limit: noted, and the text read on. Not UTF-8: the end.
        bool fail(Errc code, std::string message) {
            failure = code;
            failure_message = std::move(message);
            failure_offset = stream.Tell();
            open.clear();
            pending.clear();
            return code != Errc::json_invalid;
        }
        bool add(Node node) {
            if (skipping()) return true;
            const auto index = static_cast<std::uint32_t>(doc.nodes_.size());
            doc.nodes_.push_back(node);
            if (!open.empty()) pending.push_back(index);
            return true;
        }
        bool add_number(Kind kind, std::int64_t i, std::uint64_t u, double d) {
            Node node;
            node.kind = kind;
            if (kind == Kind::integer) node.integer = i;
            else if (kind == Kind::big_integer) node.big_integer = u;
            else node.real = d;
            return add(node);
        }

        bool Null() { return add(Node{}); }
        bool Bool(bool b) {
            Node node;
            node.kind = Kind::boolean;
            node.boolean = b;
            return add(node);
        }
        // A number, as the reader checked it against JSON's grammar (which also refuses the integers and
        // exponents too large for a double): an int64 when it is an integer that fits, a uint64 above that, a
        // double otherwise (correctly rounded; below the smallest double, zero).
        bool RawNumber(const char* s, rapidjson::SizeType length, bool) {
            if (skipping()) return true;
            const char* end = s + length;
            const bool integer = std::find_if(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == end;
            if (integer) {
                std::int64_t i = 0;
                if (auto r = std::from_chars(s, end, i); r.ec == std::errc() && r.ptr == end)
                    return add_number(Kind::integer, i, 0, 0);
                std::uint64_t u = 0;
                if (auto r = std::from_chars(s, end, u); r.ec == std::errc() && r.ptr == end)
                    return add_number(Kind::big_integer, 0, u, 0);
            }
            double d = 0;
            const auto r = std::from_chars(s, end, d);
            if (r.ec == std::errc::result_out_of_range && r.ptr == end) {
                if (decimal_order(s, end) > 0) return fail(Errc::json_invalid, "a number too big for a double");
                d = *s == '-' ? -0.0 : 0.0;
            } else if (r.ec != std::errc() || r.ptr != end) {
                return fail(Errc::json_invalid, "malformed number");
            }
            return add_number(Kind::real, 0, 0, d);
        }
        // The power of ten of a number's first significant digit (only its sign matters here), the exponent
        // saturated.
        static long long decimal_order(const char* s, const char* end) {
            long long before_point = 0, first = -1, digits = 0;
            bool point = false;
            const char* p = s;
            for (; p != end && *p != 'e' && *p != 'E'; ++p) {
                if (*p == '.') point = true;
                else if (*p >= '0' && *p <= '9') {
                    if (first < 0 && *p != '0') first = digits;
                    ++digits;
                    if (!point) ++before_point;
                }
            }
            long long exponent = 0;
            if (p != end) {
                ++p;
                const bool negative = p != end && *p == '-';
                if (p != end && (*p == '-' || *p == '+')) ++p;
                for (; p != end; ++p) exponent = std::min<long long>(exponent * 10 + (*p - '0'), 1'000'000'000);
                if (negative) exponent = -exponent;
            }
            return before_point - 1 - (first < 0 ? 0 : first) + exponent;
        }
        bool String(const char* s, rapidjson::SizeType length, bool) {
            if (!valid_utf8(s, length)) return fail(Errc::json_invalid, "not valid UTF-8");
            if (skipping()) return true;
            Node node;
            node.kind = Kind::string;
            node.first = static_cast<std::uint32_t>(doc.strings_.size());
            node.count = length;
            doc.strings_.append(s, length);
            return add(node);
        }
        bool Key(const char* s, rapidjson::SizeType length, bool copy) { return String(s, length, copy); }
        bool start(Kind kind) {
            if (skipping()) return true;
            if (open.size() >= max_depth)
                return fail(Errc::json_too_deep, "JSON nested deeper than " + std::to_string(max_depth) + " levels");
            Node node;
            node.kind = kind;
            const auto index = static_cast<std::uint32_t>(doc.nodes_.size());
            add(node);
            open.push_back(Open{index, pending.size()});
            return true;
        }
        bool StartObject() { return start(Kind::object); }
        bool StartArray() { return start(Kind::array); }
        bool end() {
            if (skipping()) return true;
            const Open o = open.back();
            open.pop_back();
            Node& node = doc.nodes_[o.node];
            const std::size_t n = pending.size() - o.first_pending;
            node.first = static_cast<std::uint32_t>(doc.links_.size());
            node.count = static_cast<std::uint32_t>(node.kind == Kind::object ? n / 2 : n);
            doc.links_.insert(doc.links_.end(), pending.begin() + static_cast<std::ptrdiff_t>(o.first_pending),
                              pending.end());
            pending.resize(o.first_pending);
            if (node.kind == Kind::object && node.count > 1) {
                if (auto twice = duplicate_key(doc.nodes_[o.node]))
                    return fail(Errc::json_duplicate_key, "an object has the key \"" + *twice + "\" twice");
            }
            return true;
        }
        bool EndObject(rapidjson::SizeType) { return end(); }
        bool EndArray(rapidjson::SizeType) { return end(); }

        std::string_view text(std::uint32_t string_node) const {
            const Node& n = doc.nodes_[string_node];
            return std::string_view(doc.strings_).substr(n.first, n.count);
        }
        // Sorted, so that an object of many members costs n log n, not n squared.
        std::optional<std::string> duplicate_key(const Node& object) const {
            std::vector<std::string_view> keys;
            keys.reserve(object.count);
            for (std::uint32_t i = 0; i < object.count; ++i) keys.push_back(text(doc.links_[object.first + 2 * i]));
            std::sort(keys.begin(), keys.end());
            const auto twice = std::adjacent_find(keys.begin(), keys.end());
            if (twice == keys.end()) return std::nullopt;
            // Shown printable and short: the key is the client's.
            std::string shown;
            for (const char c : twice->substr(0, 64))
                shown += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
            return shown;
        }
    };

    static const Node& node(JsonValue v) { return v.document_->nodes_[v.node_]; }
    static const JsonDocument& document(JsonValue v) { return *v.document_; }
    static JsonValue value(JsonValue v, std::uint32_t node) { return JsonValue(v.document_, node); }
    static std::uint32_t link(JsonValue v, std::size_t i) {
        return v.document_->links_[node(v).first + static_cast<std::uint32_t>(i)];
    }

    template <class Writer>
    static void write(Writer& w, JsonValue root) {
        struct Open {
            std::uint32_t node;
            std::uint32_t next = 0;  // the next link to write
        };
        const JsonDocument& doc = document(root);
        std::vector<Open> open;
        // Writes one value; a container is opened and its contents follow from the loop below.
        const auto write_value = [&](std::uint32_t index) {
            const Node& n = doc.nodes_[index];
            switch (n.kind) {
                case Kind::null: w.Null(); break;
                case Kind::boolean: w.Bool(n.boolean); break;
                case Kind::integer: w.Int64(n.integer); break;
                case Kind::big_integer: w.Uint64(n.big_integer); break;
                case Kind::real: w.Double(n.real); break;
                case Kind::string:
                    w.String(doc.strings_.data() + n.first, static_cast<rapidjson::SizeType>(n.count));
                    break;
                case Kind::array:
                    w.StartArray();
                    open.push_back(Open{index});
                    break;
                case Kind::object:
                    w.StartObject();
                    open.push_back(Open{index});
                    break;
            }
        };
        write_value(root.node_);
        while (!open.empty()) {
            Open& top = open.back();
            const Node& n = doc.nodes_[top.node];
            const std::uint32_t links = n.kind == Kind::object ? 2 * n.count : n.count;
            if (top.next == links) {
                if (n.kind == Kind::object) w.EndObject();
                else w.EndArray();
                open.pop_back();
                continue;
            }
            const std::uint32_t child = doc.links_[n.first + top.next++];
            if (n.kind == Kind::object && top.next % 2 == 1) {
                const Node& k = doc.nodes_[child];
                w.Key(doc.strings_.data() + k.first, static_cast<rapidjson::SizeType>(k.count));
            } else {
                write_value(child);  // may push onto `open`: `top` is not used after this
            }
        }
    }
};

JsonValue::Kind JsonValue::kind() const noexcept { return JsonAccess::node(*this).kind; }

bool JsonValue::is_number() const noexcept {
    const Kind k = kind();
    return k == Kind::integer || k == Kind::big_integer || k == Kind::real;
}

bool JsonValue::as_bool() const noexcept { return kind() == Kind::boolean && JsonAccess::node(*this).boolean; }

std::int64_t JsonValue::as_int64() const noexcept {
    return kind() == Kind::integer ? JsonAccess::node(*this).integer : 0;
}

double JsonValue::as_double() const noexcept {
    const auto& n = JsonAccess::node(*this);
    switch (n.kind) {
        case Kind::integer: return static_cast<double>(n.integer);
        case Kind::big_integer: return static_cast<double>(n.big_integer);
        case Kind::real: return n.real;
        default: return 0;
    }
}

std::string_view JsonValue::as_string() const noexcept {
    const auto& n = JsonAccess::node(*this);
    if (n.kind != Kind::string) return {};
    return std::string_view(document_->strings_).substr(n.first, n.count);
}

std::size_t JsonValue::size() const noexcept {
    const auto& n = JsonAccess::node(*this);
    return n.kind == Kind::array || n.kind == Kind::object ? n.count : 0;
}

JsonValue JsonValue::operator[](std::size_t i) const noexcept { return JsonValue(document_, JsonAccess::link(*this, i)); }

std::string_view JsonValue::key(std::size_t i) const noexcept {
    return JsonValue(document_, JsonAccess::link(*this, 2 * i)).as_string();
}

JsonValue JsonValue::value(std::size_t i) const noexcept { return JsonValue(document_, JsonAccess::link(*this, 2 * i + 1)); }

std::optional<JsonValue> JsonValue::find(std::string_view name) const noexcept {
    if (kind() != Kind::object) return std::nullopt;
    for (std::size_t i = 0; i < size(); ++i)
        if (key(i) == name) return value(i);
    return std::nullopt;
}

std::string to_valid_utf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_sequence(s + i, text.size() - i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            ++i;
        } else {
            out.append(text.data() + i, n);
            i += n;
        }
    }
    return out;
}

Result<JsonDocument> parse_json(std::string_view text, const JsonLimits& limits) {
    // Offsets and lengths are kept in 32 bits.
    const std::size_t max_bytes = std::min<std::size_t>(limits.max_bytes, std::numeric_limits<std::uint32_t>::max() / 2);
    if (text.size() > max_bytes)
        return make_error(Errc::json_too_large, "a JSON text of " + std::to_string(text.size()) +
                                                    " bytes exceeds the limit of " + std::to_string(max_bytes));
    JsonDocument doc;
    rapidjson::MemoryStream stream(text.data(), text.size());
    JsonAccess::Builder builder(doc, stream, limits.max_depth);
    rapidjson::Reader reader;
    const rapidjson::ParseResult result = reader.Parse<parse_flags>(stream, builder);
    // Not UTF-8, then malformed, then the limits: what the text is wrong with first, what it asks too much second.
    if (builder.failure == Errc::json_invalid)
        return make_error(Errc::json_invalid, builder.failure_message, builder.failure_offset);
    if (result.IsError()) {
        const bool encoding = result.Code() == rapidjson::kParseErrorStringInvalidEncoding ||
                              result.Code() == rapidjson::kParseErrorStringUnicodeSurrogateInvalid;
        return make_error(Errc::json_invalid,
                          encoding ? std::string("not valid UTF-8")
                                   : std::string("malformed JSON: ") + rapidjson::GetParseError_En(result.Code()),
                          result.Offset());
    }
    if (builder.failure != Errc::ok) return make_error(builder.failure, builder.failure_message, builder.failure_offset);
    return doc;
}

std::string to_json(JsonValue value, bool ascii_only) {
    rapidjson::StringBuffer buffer;
    if (ascii_only) {
        rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::ASCII<>> w(buffer);
        JsonAccess::write(w, value);
    } else {
        JsonWriter w(buffer);
        JsonAccess::write(w, value);
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

Result<JsonDocument> parse(std::string_view body, const JsonLimits& limits) {
    auto doc = parse_json(body, limits);
    if (doc && !doc->root().is_object()) return json_error("the request body must be a JSON object");
    return doc;
}

// Optional string fields: absent and null both mean empty.
Result<std::string> optional_string(JsonValue object, const char* name, const std::string& path) {
    const auto v = object.find(name);
    if (!v || v->is_null()) return std::string();
    if (!v->is_string()) return json_error(path + name + ": expected a string");
    return std::string(v->as_string());
}

Result<std::int64_t> satoshis(JsonValue object, const char* name, const std::string& path) {
    const auto v = object.find(name);
    if (!v) return json_error(path + name + ": required");
    if (!v->is_int64()) return json_error(path + name + ": expected an integer number of satoshis");
    return v->as_int64();
}

Result<TokenData> parse_token(JsonValue v, const std::string& path) {
    if (!v.is_object()) return json_error(path + ": expected an object");
    TokenData token;
    const auto category = v.find("category");
    if (!category || !category->is_string()) return json_error(path + ".category: expected 64 hex digits");
    auto hash = hash256_from_display_hex(category->as_string());
    if (!hash) return json_error(path + ".category: " + hash.error().message);
    token.category = *hash;
    const auto amount = v.find("amount");
    if (amount && !amount->is_null()) {
        if (amount->is_int64()) {
            token.amount = amount->as_int64();
        } else if (amount->is_string()) {
            const auto parsed = parse_token_amount(amount->as_string());
            if (!parsed) return json_error(path + ".amount: expected an integer or a decimal string");
            token.amount = *parsed;
        } else {
            return json_error(path + ".amount: expected an integer or a decimal string");
        }
        if (token.amount < 0) return json_error(path + ".amount: must not be negative");
    }
    const auto nft = v.find("nft");
    if (nft && !nft->is_null()) {
        if (!nft->is_object()) return json_error(path + ".nft: expected an object");
        Nft parsed;
        const auto capability = nft->find("capability");
        if (capability) {
            if (!capability->is_string()) return json_error(path + ".nft.capability: expected a string");
            auto c = nft_capability_from_name(capability->as_string());
            if (!c) return json_error(path + ".nft.capability: expected none, mutable or minting");
            parsed.capability = *c;
        }
        auto commitment = optional_string(*nft, "commitment", path + ".nft.");
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

std::string payment_uri(const JsonContext& context, const Invoice& invoice) {
    const std::string request = trimmed_base(context.public_url) + "/jpp/i/bitpay/" + invoice.id.hex() + "/";
    if (!invoice.address_payable || invoice.outputs.size() != 1) return "bitcoincash:?r=" + request;
    const InvoiceOutput& only = invoice.outputs.front();
    // The URL goes in as it is: its characters (scheme, host, path of hex digits) are all allowed in a query.
    return only.address + "?amount=" + bch_text(only.amount) + "&r=" + request;
}

std::string invoice_to_json(const Invoice& invoice, const JsonContext& context) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    write_invoice(w, invoice, context);
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string merchant_invoice_to_json(const Invoice& invoice, const JsonContext& context) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    write_invoice(w, invoice, context, true);
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
    } else if (event.type == EventType::invoice_cancelled && event.invoice.cancelled) {
        key(w, "cancelled_at");
        string(w, to_rfc3339(*event.invoice.cancelled));
    } else if (event.type == EventType::payment_underpaid && !event.invoice.underpayments.empty()) {
        const Underpayment& u = event.invoice.underpayments.back();
        key(w, "txid");
        string(w, u.txid.hex());
        key(w, "amount");
        w.Int64(u.amount);
    } else if ((event.type == EventType::payment_confirmed || event.type == EventType::payment_reversed) &&
               event.invoice.payment) {
        const Payment& p = *event.invoice.payment;
        key(w, "txid");
        string(w, p.txid.hex());
        key(w, "confirmations");
        w.Uint(p.chain.confirmations);
        if (event.type == EventType::payment_confirmed) optional_time(w, "confirmed_at", p.chain.confirmed);
        else optional_time(w, "reversed_at", p.chain.reversed);
    }
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::size_t max_event_json_bytes(const ServiceConfig& config, std::size_t public_url_bytes) {
    // The shape at its largest with every variable text empty, written by event_to_json itself; the texts are
    // added after, each byte at its worst (a control character, written \u00XX).
    constexpr std::size_t worst_escape = 6;
    const Timestamp widest_time = parse_rfc3339("9999-12-31T23:59:59Z").value();
    Invoice invoice;
    invoice.network = config.network;
    invoice.required_fee_per_byte = -2.2250738585072014e-308;  // the longest text a double is written as
    invoice.time = widest_time;
    invoice.expires = widest_time;
    invoice.merchant_data = "null";
    TokenData token;
    token.amount = std::numeric_limits<std::int64_t>::max();  // written as a quoted decimal string
    token.nft = Nft{NftCapability::mutable_, Bytes(config.verify.rules.max_commitment_length, 0xff)};
    for (std::size_t i = 0; i < config.max_outputs; ++i)
        // 16 digits, as wide as an amount can be (at most max_money); their total is allowed for below.
        invoice.outputs.push_back(InvoiceOutput{1'000'000'000'000'000, "", {}, "", token});
    Invoice expired = invoice;
    Payment payment;
    payment.paid_at = widest_time;
    payment.chain.block_height = std::numeric_limits<std::int64_t>::min();
    payment.chain.block_hash = BlockHash{};
    payment.chain.confirmations = std::numeric_limits<std::uint32_t>::max();
    payment.chain.confirmed = widest_time;
    payment.chain.reversed = widest_time;
    payment.overpaid_by = std::numeric_limits<std::int64_t>::min();
    payment.late = false;  // "false" is wider than "true"
    for (std::size_t i = 0; i < config.max_underpayments; ++i)
        invoice.underpayments.push_back(Underpayment{TxId{}, std::numeric_limits<std::int64_t>::min(), widest_time});
    for (std::size_t i = 0; i < config.max_refund_outputs; ++i)
        payment.refund_to.push_back(RefundOutput{std::numeric_limits<std::int64_t>::min(), ""});
    invoice.payment = std::move(payment);
    const JsonContext context{"", widest_time};
    std::size_t shape = event_to_json(Event{EventType::invoice_expired, expired}, context).size();
    for (EventType type : {EventType::payment_received, EventType::payment_confirmed, EventType::payment_reversed,
                           EventType::payment_underpaid})
        shape = std::max(shape, event_to_json(Event{type, invoice}, context).size());
    // + 20: total_amount at its widest, an int64.
    const std::size_t texts = 3 * config.max_memo_bytes +  // the invoice's memo, the payment's, the event's
                              config.max_outputs * (config.max_address_bytes + config.max_description_bytes) +
                              config.max_refund_outputs * config.max_address_bytes +
                              2 * public_url_bytes;  // payment_url and payment_uri
    // + 256: room for fields that may grow (fractions of seconds in the times, say).
    return shape + 20 + 256 + worst_escape * texts + config.max_merchant_data_bytes;
}

Result<CreateInvoiceRequest> parse_create_invoice(std::string_view body, const JsonLimits& limits) {
    auto doc = parse(body, limits);
    if (!doc) return std::move(doc).error();
    const JsonValue root = doc->root();
    CreateInvoiceRequest request;
    const auto outputs = root.find("outputs");
    if (!outputs || !outputs->is_array()) return json_error("outputs: expected an array of {amount, address}");
    for (std::size_t i = 0; i < outputs->size(); ++i) {
        const JsonValue o = (*outputs)[i];
        const std::string path = "outputs[" + std::to_string(i) + "].";
        if (!o.is_object()) return json_error(path.substr(0, path.size() - 1) + ": expected an object");
        OutputRequest output;
        auto amount = satoshis(o, "amount", path);
        if (!amount) return std::move(amount).error();
        output.amount = *amount;
        const auto address = o.find("address");
        if (!address || !address->is_string()) return json_error(path + "address: expected a string");
        output.address = std::string(address->as_string());
        auto description = optional_string(o, "description", path);
        if (!description) return std::move(description).error();
        output.description = std::move(*description);
        const auto token = o.find("token");
        if (token && !token->is_null()) {
            auto parsed = parse_token(*token, path + "token");
            if (!parsed) return std::move(parsed).error();
            output.token = std::move(*parsed);
        }
        request.outputs.push_back(std::move(output));
    }
    auto memo = optional_string(root, "memo", "");
    if (!memo) return std::move(memo).error();
    request.memo = std::move(*memo);
    const auto fee = root.find("required_fee_per_byte");
    if (fee && !fee->is_null()) {
        if (!fee->is_number()) return json_error("required_fee_per_byte: expected a number");
        request.required_fee_per_byte = fee->as_double();
    }
    const auto confirmations = root.find("required_confirmations");
    if (confirmations && !confirmations->is_null()) {
        if (!confirmations->is_int64()) return json_error("required_confirmations: expected an integer");
        request.required_confirmations = confirmations->as_int64();
    }
    const auto expires_in = root.find("expires_in");
    if (expires_in && !expires_in->is_null()) {
        if (!expires_in->is_int64()) return json_error("expires_in: expected an integer number of seconds");
        request.lifetime = std::chrono::seconds(expires_in->as_int64());
    }
    if (const auto merchant = root.find("merchant_data")) request.merchant_data = to_json(*merchant);
    if (const auto metadata = root.find("metadata")) request.metadata = to_json(*metadata);
    const auto order_id = root.find("order_id");
    if (order_id && !order_id->is_null()) {
        if (!order_id->is_string()) return json_error("order_id: expected a string");
        request.order_id = std::string(order_id->as_string());
    }
    return request;
}

Result<PayRequest> parse_pay_request(std::string_view body, const JsonLimits& limits, const ServiceConfig& config) {
    auto doc = parse(body, limits);
    if (!doc) return std::move(doc).error();
    const JsonValue root = doc->root();
    PayRequest request;
    const auto raw = root.find("raw_tx_hex");
    if (!raw || !raw->is_string()) return json_error("raw_tx_hex: expected a hex string");
    request.raw_tx_hex = std::string(raw->as_string());
    auto memo = optional_string(root, "memo", "");
    if (!memo) return std::move(memo).error();
    request.memo = std::move(*memo);
    const auto refund = root.find("refund_to");
    if (refund && !refund->is_null()) {
        if (!refund->is_array()) return json_error("refund_to: expected an array of {amount, address}");
        // Bounded before anything is copied: every watcher of the invoice is sent the list.
        if (refund->size() > config.max_refund_outputs)
            return make_error(Errc::invoice_invalid, "refund_to: " + std::to_string(refund->size()) +
                                                         " entries exceed the limit of " +
                                                         std::to_string(config.max_refund_outputs));
        for (std::size_t i = 0; i < refund->size(); ++i) {
            const JsonValue r = (*refund)[i];
            const std::string path = "refund_to[" + std::to_string(i) + "].";
            if (!r.is_object()) return json_error(path.substr(0, path.size() - 1) + ": expected an object");
            auto amount = satoshis(r, "amount", path);
            if (!amount) return std::move(amount).error();
            if (*amount < 0 || *amount > max_money)
                return make_error(Errc::invoice_invalid, path + "amount: must be between 0 and " +
                                                             std::to_string(max_money) + " sat");
            const auto address = r.find("address");
            if (!address || !address->is_string()) return json_error(path + "address: expected a string");
            if (address->as_string().size() > config.max_address_bytes)
                return make_error(Errc::invoice_invalid, path + "address: longer than " +
                                                             std::to_string(config.max_address_bytes) + " bytes");
            request.refund_to.push_back(RefundOutput{*amount, std::string(address->as_string())});
        }
    }
    return request;
}

bool is_json_value(std::string_view text, const JsonLimits& limits) { return parse_json(text, limits).ok(); }

Result<std::string> parse_verify_request(std::string_view body, const JsonLimits& limits) {
    auto doc = parse(body, limits);
    if (!doc) return std::move(doc).error();
    const auto raw = doc->root().find("raw_tx_hex");
    if (!raw || !raw->is_string()) return json_error("raw_tx_hex: expected a hex string");
    return std::string(raw->as_string());
}

}  // namespace jpp
