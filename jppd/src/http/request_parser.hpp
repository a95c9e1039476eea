// Incremental HTTP/1.x request parsing over Node's http_parser (Debian's libhttp-parser), with our limits.
// Bytes go in as they arrive; a complete request comes out; bytes after it (pipelining) are left unconsumed.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "http/message.hpp"

struct http_parser;  // Node's http_parser (C), kept out of this header

namespace jppd::http {

struct ParserLimits {
    std::size_t max_header_bytes = 16 * 1024;  // request line and headers together
    std::size_t max_body_bytes = 512 * 1024;
};

class RequestParser {
public:
    enum class State { need_more, complete, failed };

    explicit RequestParser(ParserLimits limits);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Consumes bytes up to the end of the current request (or all of them); returns how many it took.
    std::size_t feed(const char* data, std::size_t size);

    State state() const noexcept { return state_; }
    bool started() const noexcept { return started_; }  // part of a request has arrived
    // The headers asked for "Expect: 100-continue" and the body has not started: the client waits for 100.
    bool wants_continue() const noexcept;

    // After `failed`: the status to answer with (400, 413, 431, 505 ...) and why, for the client.
    int error_status() const noexcept { return error_status_; }
    const std::string& error_message() const noexcept { return error_message_; }

    // After `complete`: hands over the request and gets ready for the next one.
    Request take();

private:
    struct Callbacks;
    void reset();
    void fail(int status, std::string message);

    ParserLimits limits_;
    std::unique_ptr<::http_parser> parser_;
    Request request_;
    State state_ = State::need_more;
    bool started_ = false;
    bool headers_done_ = false;
    bool body_started_ = false;
    bool expect_continue_ = false;
    bool in_value_ = false;  // the last header callback was a value: the next field starts a new header
    std::size_t header_bytes_ = 0;
    int error_status_ = 0;
    std::string error_message_;
};

}  // namespace jppd::http
