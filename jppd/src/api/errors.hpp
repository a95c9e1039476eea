// How the core's errors become HTTP responses: the status for each Errc, and the bodies Watchtower's clients read.
#pragma once

#include <jpp/error.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "metrics/metrics.hpp"

namespace jppd::api {

// 404 for an unknown invoice, 503 when the node or the database cannot be reached, 500 for what only a bug in
// the daemon can cause, 400 for everything a client sent wrong.
int http_status(jpp::Errc code) noexcept;

// What a client is told of an error: its message, except where the message holds what only the operator may
// see (the node's URL, the cookie file's path, SQLite's own words). store_failure, chain_unavailable and the
// daemon's internal errors get a fixed text and their message goes to the log, with `context` (the request's
// invoice, say); broadcast_rejected keeps the node's reason (public knowledge, and what a wallet needs to fix its
// transaction) when it is short printable text naming no URL.
std::string public_message(const jpp::Error& error, std::string_view context);

// {"code","message","detail"}: the general shape (detail is "Not found." on 404, as Django REST framework says).
// `context` names the request in the log, for errors whose message is not shown.
http::Response error_response(const jpp::Error& error, std::string_view context = {});
// /verify adds {"valid": false, "error": message}.
http::Response verify_error_response(const jpp::Error& error, std::string_view context = {});
// /pay adds {"non_field_errors": [message]}.
http::Response pay_error_response(const jpp::Error& error, std::string_view context = {});

// Counts a payment a wallet offered through `protocol`: accepted (`failure` null), rejected (the payer's fault), or
// failed (ours: the node or the database).
void count_payment(metrics::Protocol protocol, const jpp::Error* failure);

// 415 unless the body is declared JSON (or not declared at all).
bool is_json_request(const http::Request& request);
http::Response unsupported_media_type();
// 406, naming what the resource offers.
http::Response not_acceptable(const std::vector<std::string_view>& offered);

}  // namespace jppd::api
