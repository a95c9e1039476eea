// Incremental HTTP/1.x request parsing over llhttp (built from Debian's node-llhttp sources), with our limits and
// RFC 9112's framing rules on top. Bytes go in as they arrive; a complete request comes out; bytes after it
// (pipelining) are left unconsumed.
//
// Refused with 400, as RFC 9112 asks, rather than guessed at: whitespace between a field name and its colon, a
// Transfer-Encoding other than exactly "chunked" (say "gzip, chunked"; in HTTP/1.0 at all), Content-Length and
// Transfer-Encoding together, more than one Content-Length, more than one Host, line folding (obs-fold), bare CR or
// LF line ends, an empty field name, a request target that is not a path (or "*" for OPTIONS, or an absolute
// http(s) URI, whose authority then stands for Host), and CONNECT. (An HTTP/1.1 request without Host is refused by
// the server, which checks the value too: host_check.hpp.)
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "http/body_budget.hpp"
#include "http/message.hpp"

struct llhttp__internal_s;  // llhttp_t (C), kept out of this header

namespace jppd::http {

struct ParserLimits {
    std::size_t max_header_bytes = 16 * 1024;  // request line and headers together
    std::size_t max_body_bytes = 512 * 1024;
};

class RequestParser {
public:
    enum class State { need_more, complete, failed };

    // `budget` (optional, shared by every connection's parser) bounds the memory bodies being read may hold.
    explicit RequestParser(ParserLimits limits, BodyBudget* budget = nullptr);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Consumes bytes up to the end of the current request (or all of them); returns how many it took.
    std::size_t feed(const char* data, std::size_t size);

    State state() const noexcept { return state_; }
    bool started() const noexcept { return started_; }  // part of a request has arrived
    // The headers asked for "Expect: 100-continue" and the body has not started: the client waits for 100.
    bool wants_continue() const noexcept;

    // After `failed`: the status to answer with (400, 413, 431, 503, 505 ...) and why, for the client. 503 means
    // the server's body budget is spent: the request may be retried shortly.
    int error_status() const noexcept { return error_status_; }
    const std::string& error_message() const noexcept { return error_message_; }

    // After `complete`: hands over the request and gets ready for the next one.
    Request take();

private:
    struct Callbacks;
    void reset();
    void fail(int status, std::string message);
    bool grow_body(std::size_t more);  // room for `more` body bytes, reserved from the budget first
    void release_body();
    bool check_head();  // once the headers are in: RFC 9112's rules and our limits
    // Why the head is refused (and `at` which byte), or null.
    const char* scan_head(const char* data, std::size_t size, std::size_t& at);

    ParserLimits limits_;
    BodyBudget* budget_;
    std::unique_ptr<llhttp__internal_s> parser_;
    Request request_;
    std::optional<std::size_t> declared_length_;  // Content-Length, when given
    std::size_t body_reserved_ = 0;  // bytes of budget request_.body's buffer holds
    State state_ = State::need_more;
    bool started_ = false;
    bool headers_done_ = false;
    bool body_started_ = false;
    bool expect_continue_ = false;
    bool header_started_ = false;  // pieces of the current header line have arrived (it is in request_.headers)
    bool in_trailer_ = false;   // the header being received is a chunked body's trailer: counted, not kept
    // The head as it streams past, for what llhttp accepts silently: a line folded into the one before, line ends
    // other than CRLF.
    bool head_scanned_ = false;  // up to the empty line that ends the head
    bool after_cr_ = false;
    std::size_t line_length_ = 0;
    unsigned lines_ = 0;
    std::size_t header_bytes_ = 0;
    int error_status_ = 0;
    std::string error_message_;
};

}  // namespace jppd::http
