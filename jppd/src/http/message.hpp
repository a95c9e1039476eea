// An HTTP/1.1 request as the parser delivers it, and the response a route hands back.
#pragma once


#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/stream.hpp"
#include "http/transport.hpp"
#include "json_text.hpp"

namespace jppd::http {

struct Request {
    std::string method;  // "GET", "POST" ...
    std::string target;  // as sent: path and query
    std::string path;    // the target without its query
    // Header names lowercased, values with surrounding whitespace trimmed; repeated headers stay separate.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int http_minor = 1;      // HTTP/1.1 or HTTP/1.0
    bool keep_alive = true;  // what the client's version and Connection header ask for
    bool upgrade = false;    // Connection: upgrade + Upgrade: ... (WebSocket)
    std::string remote;      // the peer, "127.0.0.1:54321", for the log
    // The client the per-client limits count against: the peer, or whom a trusted proxy names (PROXY protocol,
    // X-Forwarded-For). Set by the connection before the handler sees the request.
    asio::ip::address client;
    // The request's id (request_id.hpp), set by the connection: returned in X-Request-Id and named in the log.
    std::string id;
    // The body's share of the server's memory budget for request bodies, given back when the last copy of the
    // request is gone. Empty when there is no body or no budget.
    std::shared_ptr<void> body_memory;

    // The first header of that (lowercase) name, or "" when absent.
    std::string_view header(std::string_view name) const;
    // How many header lines have that (lowercase) name.
    std::size_t header_count(std::string_view name) const;
    // The media type of Content-Type, lowercased and without parameters ("application/json").
    std::string media_type() const;
};

struct Response {
    int status = 200;
    std::string content_type;  // empty: no body
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type / Length / Date / Server
    bool close = false;  // close the connection after sending (set for errors that leave the stream unusable)
    // The route that answered, as a template ("/jpp/invoices/{id}"), for metrics; a static string. Empty: none.
    std::string_view route;
    // Set on a 101 response: once it is written, the connection hands its transport, and the bytes it read past
    // the request, to the stream this makes (a WebSocket), and ends.
    std::function<std::shared_ptr<Stream>(Transport transport, std::string already_read)> upgrade;

    Response& with_header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

std::string_view reason_phrase(int status);

// The status line, headers and body, ready for the socket. `head_only` leaves the body out (HEAD requests).
std::string serialize(const Response& response, bool keep_alive, bool head_only);

}  // namespace jppd::http

namespace jppd::http {

using jppd::json_quote;

// The error body every part of the daemon answers with: {"code": ..., "message": ..., "detail": ...}.
// `code` is machine-readable and stable; `detail` repeats the message where Django REST framework clients
// (Watchtower's) look for it.
Response json_error(int status, std::string_view code, std::string_view message);

}  // namespace jppd::http
