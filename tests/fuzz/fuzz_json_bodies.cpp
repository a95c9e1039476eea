// Any request body for the native API: the create, pay and verify parsers never crash, and a create request
// they accept either builds a valid invoice or is refused with an error value.
#include <cstdlib>
#include <string_view>

#include "jpp/json.hpp"
#include "jpp/service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const jpp::JsonLimits limits{4096, 16};
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
    if (auto pay = jpp::parse_pay_request(body, limits); !pay && pay.error().message.empty()) std::abort();
    if (auto verify = jpp::parse_verify_request(body, limits); !verify && verify.error().message.empty()) std::abort();
    return 0;
}
