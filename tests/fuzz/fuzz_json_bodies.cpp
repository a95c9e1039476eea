// Any JSON text: the library's one reader (parse_json) never crashes, keeps its limits and its promises (what it
// accepts is UTF-8, written back by to_json as JSON it reads again to the same text, and ASCII when asked); the
// create, pay and verify parsers built on it never crash, a create request they accept either builds a valid
// invoice or is refused with an error value, and a pay request they accept keeps refund_to within its bound.
#include <cstdlib>
#include <string_view>

#include "jpp/json.hpp"
#include "jpp/service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const jpp::JsonLimits limits{4096, 16};
    if (auto doc = jpp::parse_json(body, limits)) {
        const std::string once = jpp::to_json(doc->root());
        auto again = jpp::parse_json(once, {1 << 20, 16});
        if (!again || jpp::to_json(again->root()) != once) std::abort();
        const std::string ascii = jpp::to_json(doc->root(), true);
        for (const char c : ascii)
            if (static_cast<unsigned char>(c) >= 0x80) std::abort();
        auto from_ascii = jpp::parse_json(ascii, {1 << 20, 16});
        if (!from_ascii || jpp::to_json(from_ascii->root()) != once) std::abort();
    } else {
        const jpp::Errc code = doc.error().code;
        if (code != jpp::Errc::json_invalid && code != jpp::Errc::json_too_deep && code != jpp::Errc::json_too_large &&
            code != jpp::Errc::json_duplicate_key)
            std::abort();
    }
    if (auto create = jpp::parse_create_invoice(body, limits)) {
        const jpp::Timestamp now(std::chrono::seconds(1700000000));
        auto invoice = jpp::build_invoice(*create, jpp::ServiceConfig{}, now);
        if (invoice) {
            if (invoice->outputs.empty() || invoice->total_amount() <= 0) std::abort();
            // What was built is shown as JSON without trouble.
            if (jpp::invoice_to_json(*invoice, {"https://pay.example.com", invoice->time}).empty()) std::abort();
        }
    } else if (create.error().message.empty()) {
        std::abort();
    }
    const jpp::ServiceConfig config;
    if (auto pay = jpp::parse_pay_request(body, limits, config)) {
        if (pay->refund_to.size() > config.max_refund_outputs) std::abort();
    } else if (pay.error().message.empty()) {
        std::abort();
    }
    if (auto verify = jpp::parse_verify_request(body, limits); !verify && verify.error().message.empty()) std::abort();
    return 0;
}
