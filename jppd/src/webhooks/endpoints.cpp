#include "webhooks/endpoints.hpp"

#include <jpp/webhook_signature.hpp>

#include "webhooks/url_policy.hpp"

namespace jppd::webhooks {

jpp::Result<std::uint32_t> parse_event_types(const std::vector<std::string>& names) {
    if (names.empty()) return all_event_types;
    std::uint32_t types = 0;
    for (const std::string& name : names) {
        const auto type = jpp::event_type_from_name(name);
        if (!type) {
            std::string known;
            for (const std::string& n : event_type_names(all_event_types)) known += (known.empty() ? "" : ", ") + n;
            return jpp::make_error(jpp::Errc::invalid_argument,
                                   "events: unknown event type '" + name + "' (known: " + known + ")");
        }
        types |= 1u << static_cast<unsigned>(*type);
    }
    return types;
}

std::vector<std::string> event_type_names(std::uint32_t types) {
    std::vector<std::string> names;
    for (unsigned t = 0; t <= static_cast<unsigned>(jpp::event_type_last); ++t)
        if (types & (1u << t)) names.emplace_back(jpp::event_type_name(static_cast<jpp::EventType>(t)));
    return names;
}

jpp::Result<jpp::WebhookEndpoint> make_endpoint(std::int64_t merchant_id, std::string_view url, std::uint32_t types,
                                                bool allow_private, jpp::Timestamp now) {
    if (jpp::Status s = check_webhook_url(url, allow_private); !s) return s.error();
    if (types == 0 || (types & ~all_event_types) != 0)
        return jpp::make_error(jpp::Errc::invalid_argument, "events: at least one known event type");
    jpp::WebhookEndpoint endpoint;
    endpoint.id = "we_" + jpp::InvoiceId::generate().hex().substr(0, 16);
    endpoint.merchant_id = merchant_id;
    endpoint.url = std::string(url);
    endpoint.secret = jpp::generate_webhook_secret();
    endpoint.events = types;
    endpoint.created = now;
    return endpoint;
}

}  // namespace jppd::webhooks
