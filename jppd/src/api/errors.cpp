#include "api/errors.hpp"

namespace jppd::api {

using jpp::Errc;

int http_status(Errc code) noexcept {
    switch (code) {
        case Errc::invoice_not_found: return 404;
        case Errc::payment_in_progress: return 409;
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

// The general body with `extra` (already JSON members, ending in a comma) in front.
http::Response build(const jpp::Error& error, const std::string& extra) {
    const int status = http_status(error.code);
    const std::string& message = error.message;
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

http::Response error_response(const jpp::Error& error) { return build(error, ""); }

http::Response verify_error_response(const jpp::Error& error) {
    if (error.code == Errc::invoice_not_found) return build(error, "");
    return build(error, "\"valid\":false,\"error\":" + http::json_quote(error.message) + ",");
}

http::Response pay_error_response(const jpp::Error& error) {
    if (error.code == Errc::invoice_not_found) return build(error, "");
    return build(error, "\"non_field_errors\":[" + http::json_quote(error.message) + "],");
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
