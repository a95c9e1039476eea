#include "api/errors.hpp"

#include <jpp/json.hpp>

#include "log.hpp"

namespace jppd::api {

using jpp::Errc;

int http_status(Errc code) noexcept {
    switch (code) {
        case Errc::invoice_not_found:
        case Errc::not_found: return 404;
        case Errc::unauthorized: return 401;
        case Errc::forbidden: return 403;
        case Errc::payment_in_progress:
        case Errc::idempotency_conflict:
        case Errc::order_id_conflict:
        case Errc::invoice_not_cancellable: return 409;
        case Errc::chain_unavailable:
        case Errc::store_failure: return 503;
        case Errc::ok:
        case Errc::invalid_argument:
        case Errc::signing_failed:
        case Errc::invalid_private_key: return 500;
        default: return 400;
    }
}

namespace {

// A node's reject reason ("insufficient fee", "txn-mempool-conflict", "bad-txns-inputs-missingorspent"): short
// printable ASCII naming no URL and no file.
bool shareable_reason(std::string_view text) {
    if (text.empty() || text.size() > 300 || text.find("://") != std::string_view::npos) return false;
    for (const char c : text)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

std::string logged(std::string_view context, const jpp::Error& error) {
    return (context.empty() ? std::string() : std::string(context) + ": ") + std::string(jpp::errc_name(error.code)) +
           ": " + error.describe();
}

}  // namespace

std::string public_message(const jpp::Error& error, std::string_view context) {
    switch (error.code) {
        case Errc::store_failure:
            log_warn(logged(context, error));
            return "The payment server cannot read or record invoices now; try again shortly";
        case Errc::chain_unavailable:
            log_warn(logged(context, error));
            return "The payment server cannot reach the network now; try again shortly";
        case Errc::broadcast_rejected:
            log_info(logged(context, error));
            if (shareable_reason(error.message)) return error.message;
            return "The network rejected the transaction";
        default: break;
    }
    if (http_status(error.code) >= 500) {
        log_error(logged(context, error));
        return "Internal error";
    }
    return error.message;
}

namespace {

// The general body with `extra` (already JSON members, ending in a comma) in front. The message may quote what the
// client sent: it is made valid UTF-8 first, like every text jppd answers with.
http::Response build(const jpp::Error& error, const std::string& shown, const std::string& extra) {
    const std::string message = jpp::to_valid_utf8(shown);
    const int status = http_status(error.code);
    http::Response r;
    r.status = status;
    r.content_type = "application/json; charset=utf-8";
    r.body = "{" + extra + "\"code\":" + http::json_quote(jpp::errc_name(error.code)) +
             ",\"message\":" + http::json_quote(message) +
             ",\"detail\":" + http::json_quote(status == 404 ? "Not found." : message);
    if (error.offset != jpp::Error::no_offset) r.body += ",\"offset\":" + std::to_string(error.offset);
    r.body += "}";
    if (status == 503) r.with_header("Retry-After", "5");
    return r;
}

}  // namespace

http::Response error_response(const jpp::Error& error, std::string_view context) {
    return build(error, public_message(error, context), "");
}

http::Response verify_error_response(const jpp::Error& error, std::string_view context) {
    const std::string message = jpp::to_valid_utf8(public_message(error, context));
    if (error.code == Errc::invoice_not_found) return build(error, message, "");
    return build(error, message, "\"valid\":false,\"error\":" + http::json_quote(message) + ",");
}

http::Response pay_error_response(const jpp::Error& error, std::string_view context) {
    const std::string message = jpp::to_valid_utf8(public_message(error, context));
    if (error.code == Errc::invoice_not_found) return build(error, message, "");
    return build(error, message, "\"non_field_errors\":[" + http::json_quote(message) + "],");
}

void count_payment(metrics::Protocol protocol, const jpp::Error* failure) {
    metrics::payment(protocol, failure == nullptr                      ? metrics::PaymentOutcome::accepted
                               : http_status(failure->code) >= 500 ? metrics::PaymentOutcome::failed
                                                                   : metrics::PaymentOutcome::rejected);
}

bool is_json_request(const http::Request& request) {
    const std::string type = request.media_type();
    return type.empty() || type == "application/json";
}

http::Response unsupported_media_type() {
    return http::json_error(415, "unsupported_media_type", "send the body as Content-Type: application/json");
}

http::Response not_acceptable(const std::vector<std::string_view>& offered) {
    std::string list;
    for (const auto type : offered) list += (list.empty() ? "" : ", ") + std::string(type);
    return http::json_error(406, "not_acceptable", "none of the Accept header's types is offered here; offered: " + list);
}

}  // namespace jppd::api
