#include "http/request_parser.hpp"

#include <http_parser.h>

#include <algorithm>
#include <climits>

namespace jppd::http {

namespace {

void lowercase(std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
}

std::string trimmed(const std::string& s) {
    const auto begin = s.find_first_not_of(" \t");
    if (begin == std::string::npos) return {};
    return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

// http_parser calls plain functions with the parser; `data` points back at us.
struct RequestParser::Callbacks {
    static RequestParser& self(http_parser* p) { return *static_cast<RequestParser*>(p->data); }

    static bool count_header_bytes(RequestParser& r, std::size_t n) {
        r.header_bytes_ += n;
        if (r.header_bytes_ <= r.limits_.max_header_bytes) return true;
        r.fail(431, "request line and headers exceed " + std::to_string(r.limits_.max_header_bytes) + " bytes");
        return false;
    }

    static int on_message_begin(http_parser* p) {
        self(p).started_ = true;
        return 0;
    }
    static int on_url(http_parser* p, const char* at, std::size_t n) {
        auto& r = self(p);
        if (!count_header_bytes(r, n)) return 1;
        r.request_.target.append(at, n);
        return 0;
    }
    static int on_header_field(http_parser* p, const char* at, std::size_t n) {
        auto& r = self(p);
        if (!count_header_bytes(r, n)) return 1;
        if (r.in_value_ || r.request_.headers.empty()) r.request_.headers.emplace_back();
        r.in_value_ = false;
        r.request_.headers.back().first.append(at, n);
        return 0;
    }
    static int on_header_value(http_parser* p, const char* at, std::size_t n) {
        auto& r = self(p);
        if (!count_header_bytes(r, n)) return 1;
        if (r.request_.headers.empty()) r.request_.headers.emplace_back();
        r.in_value_ = true;
        r.request_.headers.back().second.append(at, n);
        return 0;
    }
    static int on_headers_complete(http_parser* p) {
        auto& r = self(p);
        if (p->http_major != 1) {
            r.fail(505, "only HTTP/1.0 and HTTP/1.1 are served");
            return -1;  // 1 and 2 mean "no body" to http_parser
        }
        auto& req = r.request_;
        req.method = http_method_str(static_cast<http_method>(p->method));
        for (auto& [name, value] : req.headers) {
            lowercase(name);
            value = trimmed(value);
        }
        req.path = req.target.substr(0, req.target.find('?'));
        req.keep_alive = http_should_keep_alive(p) != 0;
        req.upgrade = p->upgrade != 0;
        if (p->content_length != ULLONG_MAX && p->content_length > r.limits_.max_body_bytes) {
            r.fail(413, "request body of " + std::to_string(p->content_length) + " bytes exceeds the limit of " +
                            std::to_string(r.limits_.max_body_bytes));
            return -1;  // 1 and 2 mean "no body" to http_parser
        }
        r.expect_continue_ = iequals(req.header("expect"), "100-continue");
        if (!req.header("expect").empty() && !r.expect_continue_) {
            r.fail(417, "the only expectation served is 100-continue");
            return -1;  // 1 and 2 mean "no body" to http_parser
        }
        r.headers_done_ = true;
        return 0;
    }
    static int on_body(http_parser* p, const char* at, std::size_t n) {
        auto& r = self(p);
        r.body_started_ = true;
        if (r.request_.body.size() + n > r.limits_.max_body_bytes) {
            r.fail(413, "request body exceeds the limit of " + std::to_string(r.limits_.max_body_bytes) + " bytes");
            return 1;
        }
        r.request_.body.append(at, n);
        return 0;
    }
    static int on_message_complete(http_parser* p) {
        if (self(p).state_ == State::failed) return -1;
        self(p).state_ = State::complete;
        http_parser_pause(p, 1);  // stop here: what follows is the next request
        return 0;
    }

    static const http_parser_settings& settings() {
        static const http_parser_settings s = [] {
            http_parser_settings v{};
            v.on_message_begin = on_message_begin;
            v.on_url = on_url;
            v.on_header_field = on_header_field;
            v.on_header_value = on_header_value;
            v.on_headers_complete = on_headers_complete;
            v.on_body = on_body;
            v.on_message_complete = on_message_complete;
            return v;
        }();
        return s;
    }
};

RequestParser::RequestParser(ParserLimits limits) : limits_(limits), parser_(std::make_unique<http_parser>()) {
    reset();
}

RequestParser::~RequestParser() = default;

void RequestParser::reset() {
    http_parser_init(parser_.get(), HTTP_REQUEST);
    parser_->data = this;
    request_ = Request{};
    state_ = State::need_more;
    started_ = headers_done_ = body_started_ = expect_continue_ = in_value_ = false;
    header_bytes_ = 0;
    error_status_ = 0;
    error_message_.clear();
}

void RequestParser::fail(int status, std::string message) {
    state_ = State::failed;
    error_status_ = status;
    error_message_ = std::move(message);
}

bool RequestParser::wants_continue() const noexcept {
    return state_ == State::need_more && headers_done_ && expect_continue_ && !body_started_;
}

std::size_t RequestParser::feed(const char* data, std::size_t size) {
    if (state_ != State::need_more) return 0;
    const std::size_t used = http_parser_execute(parser_.get(), &Callbacks::settings(), data, size);
    if (state_ == State::need_more) {
        const auto err = static_cast<http_errno>(parser_->http_errno);
        if (err != HPE_OK && err != HPE_PAUSED) fail(400, std::string("malformed request: ") + http_errno_description(err));
    }
    return used;
}

Request RequestParser::take() {
    Request out = std::move(request_);
    reset();
    return out;
}

}  // namespace jppd::http
