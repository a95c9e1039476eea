// Webhook signatures, as Stripe makes them: each delivery carries "X-JPP-Signature: t=<unix seconds>,v1=<hex>",
// where the hex is HMAC-SHA256 keyed with the endpoint's whole secret ("whsec_..." as bytes) over "<t>.<body>".
// The receiver recomputes it over the exact body bytes, so it can refuse forgeries, and checks t, so it can refuse
// replays of an old delivery.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "jpp/clock.hpp"
#include "jpp/error.hpp"

namespace jpp {

// A new secret: "whsec_" and 64 lower-case hex digits, 256 random bits from OpenSSL's RAND_bytes (throws
// std::runtime_error if it has none).
std::string generate_webhook_secret();

// The header value for `body` sent at `at`: "t=1761222896,v1=<64 lower-case hex digits>". `at` is expected at or
// after 1970 (verify_webhook() takes no sign on t).
std::string sign_webhook(std::string_view secret, std::string_view body, Timestamp at);

// The longest header verify_webhook() reads, and the most digits it takes in t.
inline constexpr std::size_t max_webhook_signature_header = 4096;
inline constexpr std::size_t max_webhook_timestamp_digits = 18;

// Checks `header` against `body` and `secret`. The header is comma-separated key=value items (spaces around an
// item are allowed): exactly one t=, decimal digits only; one or more v1=, each 64 hex digits, of which one must
// match (a sender rotating its secret signs with both); other keys are ignored. The HMACs are compared in constant
// time, and t is checked only once one matches.
// signature_invalid: an empty secret, a header beyond max_webhook_signature_header, malformed, without v1, or with
// no v1 matching; signature_expired: an authentic signature whose t is more than `tolerance` from `now`, either way
// (a negative tolerance is taken as zero).
Status verify_webhook(std::string_view secret, std::string_view header, std::string_view body, Timestamp now,
                      std::chrono::seconds tolerance = std::chrono::seconds(300));

}  // namespace jpp
