// Making a webhook endpoint, the one way both the merchant API and `jppd webhook add` do it.
#pragma once

#include <jpp/store.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jppd::webhooks {

inline constexpr std::uint32_t all_event_types = (1u << (static_cast<unsigned>(jpp::event_type_last) + 1)) - 1;
inline constexpr std::size_t max_endpoints_per_merchant = 20;

// Event type names -> the bit set an endpoint keeps; empty: every type. invalid_argument naming an unknown one.
jpp::Result<std::uint32_t> parse_event_types(const std::vector<std::string>& names);
std::vector<std::string> event_type_names(std::uint32_t types);

// A new endpoint for the merchant (a fresh id "we_<16 hex>" and secret "whsec_<64 hex>"), after checking the URL
// (url_policy.hpp); nothing is stored.
jpp::Result<jpp::WebhookEndpoint> make_endpoint(std::int64_t merchant_id, std::string_view url, std::uint32_t types,
                                                bool allow_private, jpp::Timestamp now);

}  // namespace jppd::webhooks
