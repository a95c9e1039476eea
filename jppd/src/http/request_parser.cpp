#include "http/request_parser.hpp"

#include <llhttp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>

namespace jppd::http {

namespace {

void lowercase(std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
}

std::string_view trimmed(std::string_view s) {
    const auto begin = s.find_first_not_of(" \t");
    if (begin == std::string_view::npos) return {};
    return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Whether the Transfer-Encoding lines, taken together, say exactly "chunked": the only coding served. Anything else
// ("gzip, chunked", "chunked, chunked", "identity") leaves a body we cannot read as the client meant it.
bool only_chunked(const Request& request) {
    std::size_t codings = 0;
    bool chunked = false;
    for (const auto& [name, value] : request.headers) {
        if (name != "transfer-encoding") continue;
        std::string_view rest = value;
        while (true) {
            const auto comma = rest.find(',');
            const std::string_view item = trimmed(rest.substr(0, comma));
            if (!item.empty()) {
                ++codings;
                chunked = iequals(item, "chunked");
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return codings == 1 && chunked;
}

// An absolute-form target ("http://host:port/path?query") as a path and the authority that stands for Host
// (RFC 9112 section 3.2.2). False when it is not one, or not a usable one.
bool split_absolute_form(std::string_view target, std::string& authority, std::string& origin_form) {
    std::string_view rest;
    if (starts_with_nocase(target, "http://")) rest = target.substr(7);
    else if (starts_with_nocase(target, "https://")) rest = target.substr(8);
    else return false;
    const auto end = rest.find_first_of("/?#");
    authority = std::string(rest.substr(0, end));
    if (authority.empty() || authority.find('@') != std::string::npos) return false;  // no user info
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    rest = rest.substr(0, rest.find('#'));
    origin_form = rest.empty() || rest[0] != '/' ? "/" + std::string(rest) : std::string(rest);
    return true;
}

}  // namespace

// llhttp calls plain functions with the parser; `data` points back at us.
struct RequestParser::Callbacks {
    static RequestParser& self(llhttp_t* p) { return *static_cast<RequestParser*>(p->data); }

    static bool count_header_bytes(RequestParser& r, std::size_t n) {
        r.header_bytes_ += n;
        if (r.header_bytes_ <= r.limits_.max_header_bytes) return true;
        r.fail(431, "request line and headers exceed " + std::to_string(r.limits_.max_header_bytes) + " bytes");
        return false;
    }

    static int on_message_begin(llhttp_t* p) {
        self(p).started_ = true;
        return 0;
    }
    static int on_url(llhttp_t* p, const char* at, std::size_t n) {
        auto& r = self(p);
        if (!count_header_bytes(r, n)) return -1;
        r.request_.target.append(at, n);
        return 0;
    }
    static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
        auto& r = self(p);
        if (!count_header_bytes(r, n)) return -1;
        start_header(r);
        if (!r.in_trailer_) r.request_.headers.back().first.append(at, n);
        return 0;
    }
    static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
        auto& r = self(p);
        if (!count_header_bytes(r, n)) return -1;
        start_header(r);  // a value with no name before it: an empty name, which check_head refuses
        if (!r.in_trailer_) r.request_.headers.back().second.append(at, n);
        return 0;
    }
    static int on_header_value_complete(llhttp_t* p) {
        self(p).header_started_ = false;  // the next piece of a header begins another
        return 0;
    }
    // The header this piece belongs to: the one begun, or a new one.
    static void start_header(RequestParser& r) {
        if (r.header_started_) return;
        r.header_started_ = true;
        r.in_trailer_ = r.headers_done_;
        if (!r.in_trailer_) r.request_.headers.emplace_back();
    }
    static int on_headers_complete(llhttp_t* p) {
        auto& r = self(p);
        return r.check_head() ? 0 : -1;  // 1 and 2 would mean "no body" to llhttp
    }
    static int on_body(llhttp_t* p, const char* at, std::size_t n) {
        auto& r = self(p);
        r.body_started_ = true;
        if (r.request_.body.size() + n > r.limits_.max_body_bytes) {
            r.fail(413, "request body exceeds the limit of " + std::to_string(r.limits_.max_body_bytes) + " bytes");
            return -1;
        }
        if (!r.grow_body(n)) return -1;
        r.request_.body.append(at, n);
        return 0;
    }
    static int on_message_complete(llhttp_t* p) {
        auto& r = self(p);
        if (r.state_ == State::failed) return -1;
        r.state_ = State::complete;
        return HPE_PAUSED;  // stop here: what follows is the next request
    }

    static const llhttp_settings_t& settings() {
        static const llhttp_settings_t s = [] {
            llhttp_settings_t v;
            llhttp_settings_init(&v);
            v.on_message_begin = on_message_begin;
            v.on_url = on_url;
            v.on_header_field = on_header_field;
            v.on_header_value = on_header_value;
            v.on_header_value_complete = on_header_value_complete;
            v.on_headers_complete = on_headers_complete;
            v.on_body = on_body;
            v.on_message_complete = on_message_complete;
            return v;
        }();
        return s;
    }
};

RequestParser::RequestParser(ParserLimits limits, BodyBudget* budget)
    : limits_(limits), budget_(budget), parser_(std::make_unique<llhttp_t>()) {
    reset();
}

RequestParser::~RequestParser() { release_body(); }

void RequestParser::reset() {
    release_body();
    llhttp_init(parser_.get(), HTTP_REQUEST, &Callbacks::settings());
    parser_->data = this;
    request_ = Request{};
    declared_length_.reset();
    state_ = State::need_more;
    started_ = headers_done_ = body_started_ = expect_continue_ = header_started_ = in_trailer_ = false;
    head_scanned_ = after_cr_ = false;
    line_length_ = 0;
    lines_ = 0;
    header_bytes_ = 0;
    error_status_ = 0;
    error_message_.clear();
}

void RequestParser::fail(int status, std::string message) {
    if (state_ == State::failed) return;  // the first reason stands
    state_ = State::failed;
    error_status_ = status;
    error_message_ = std::move(message);
}

void RequestParser::release_body() {
    if (budget_ && body_reserved_ > 0) budget_->release(body_reserved_);
    body_reserved_ = 0;
}

bool RequestParser::grow_body(std::size_t more) {
    std::string& body = request_.body;
    const std::size_t needed = body.size() + more;
    if (needed <= body_reserved_) return true;
    // Doubling, from 4 KiB, up to what the request declared or the limit: a client holds about what it has sent.
    const std::size_t ceiling = std::max(declared_length_ ? *declared_length_ : limits_.max_body_bytes, needed);
    const std::size_t target = std::max(needed, std::min(std::max<std::size_t>(body_reserved_ * 2, 4096), ceiling));
    if (budget_ && !budget_->try_reserve(target - body_reserved_)) {
        fail(503, "the server is reading too many request bodies at once; retry shortly");
        return false;
    }
    // A fresh buffer of exactly that size (growing the old one could round up), the bytes so far moved over.
    std::string grown;
    grown.reserve(target);
    grown.append(body);
    body.swap(grown);
    body_reserved_ = target;
    if (body.capacity() > body_reserved_) {  // an allocator's rounding is memory too
        if (budget_) budget_->add(body.capacity() - body_reserved_);
        body_reserved_ = body.capacity();
    }
    return true;
}

bool RequestParser::check_head() {
    const llhttp_t* p = parser_.get();
    if (p->http_major != 1) {
        fail(505, "only HTTP/1.0 and HTTP/1.1 are served");
        return false;
    }
    auto& req = request_;
    req.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    for (auto& [name, value] : req.headers) {
        if (name.empty()) {
            fail(400, "malformed request: a header has no name");
            return false;
        }
        lowercase(name);
        value = std::string(trimmed(value));
    }
    if (p->method == HTTP_CONNECT) {
        fail(400, "CONNECT is not served: this is not a proxy");
        return false;
    }

    // The request target: a path, "*" for OPTIONS, or an absolute URI whose authority replaces Host.
    std::string authority, origin_form;
    if (split_absolute_form(req.target, authority, origin_form)) {
        req.target = std::move(origin_form);
        std::erase_if(req.headers, [](const auto& h) { return h.first == "host"; });
        req.headers.emplace_back("host", std::move(authority));
    } else if (req.target == "*" ? p->method != HTTP_OPTIONS : req.target.empty() || req.target[0] != '/') {
        fail(400, "malformed request: the target must be a path");
        return false;
    }
    req.path = req.target.substr(0, req.target.find('?'));

    // Framing (RFC 9112 section 6): one way to tell where the body ends, or 400.
    const std::size_t te = req.header_count("transfer-encoding");
    if (te > 0) {
        if (p->http_minor == 0) {
            fail(400, "malformed request: Transfer-Encoding is not allowed in HTTP/1.0");
            return false;
        }
        if (req.header_count("content-length") > 0) {
            fail(400, "malformed request: both Content-Length and Transfer-Encoding");
            return false;
        }
        if (!only_chunked(req)) {
            fail(400, "malformed request: the only transfer coding accepted is chunked, once");
            return false;
        }
    }
    if (req.header_count("content-length") > 1) {
        fail(400, "malformed request: more than one Content-Length");
        return false;
    }
    // Host (RFC 9112 section 3.2): never more than one. (One is required in HTTP/1.1; the server checks that, with
    // the value: host_check.hpp.)
    if (req.header_count("host") > 1) {
        fail(400, "malformed request: more than one Host header");
        return false;
    }

    req.http_minor = p->http_minor;
    req.keep_alive = llhttp_should_keep_alive(p) != 0;
    req.upgrade = p->upgrade != 0;
    const bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
    if (has_length) declared_length_ = static_cast<std::size_t>(std::min<std::uint64_t>(p->content_length, SIZE_MAX));
    if (has_length && p->content_length > limits_.max_body_bytes) {
        fail(413, "request body of " + std::to_string(p->content_length) + " bytes exceeds the limit of " +
                      std::to_string(limits_.max_body_bytes));
        return false;
    }
    expect_continue_ = iequals(req.header("expect"), "100-continue");
    if (!req.header("expect").empty() && !expect_continue_) {
        fail(417, "the only expectation served is 100-continue");
        return false;
    }
    // A client that waits for 100 before sending is told now if its body cannot be taken.
    if (expect_continue_ && budget_ && has_length && p->content_length > budget_->available()) {
        fail(503, "the server is reading too many request bodies at once; retry shortly");
        return false;
    }
    headers_done_ = true;
    return true;
}

bool RequestParser::wants_continue() const noexcept {
    return state_ == State::need_more && headers_done_ && expect_continue_ && !body_started_;
}

const char* RequestParser::scan_head(const char* data, std::size_t size, std::size_t& at) {
    for (std::size_t i = 0; i < size && !head_scanned_; ++i) {
        const char c = data[i];
        at = i;
        if (after_cr_ != (c == '\n')) return "a line of the head does not end with CRLF";  // bare CR or bare LF
        after_cr_ = c == '\r';
        if (c == '\n') {
            if (line_length_ == 0 && lines_ > 0) head_scanned_ = true;  // the empty line: the head ends
            else if (line_length_ > 0) ++lines_;
            line_length_ = 0;
        } else if (line_length_ == 0 && lines_ > 0 && (c == ' ' || c == '\t')) {
            return "a header line is folded (obs-fold)";  // whitespace first: the line continues the one before
        } else if (c != '\r') {
            ++line_length_;
        }
    }
    return nullptr;
}

std::size_t RequestParser::feed(const char* data, std::size_t size) {
    if (state_ != State::need_more) return 0;
    // What llhttp lets through in the head, and other parsers read differently, is refused here (RFC 9112 sections
    // 2.2 and 5.2 allow it): a folded header line (obs-fold: CRLF then a space), which llhttp joins to the one
    // before, and a line end other than CRLF, where llhttp may even end the head (a CR then any byte).
    // llhttp is given the bytes before the first one refused here, so that whichever fault comes first in the
    // stream is the one reported, however the stream is split.
    const char* refused = nullptr;
    if (!head_scanned_) {
        std::size_t at = 0;
        refused = scan_head(data, size, at);
        if (refused) size = at;
    }
    const llhttp_errno_t err = llhttp_execute(parser_.get(), data, size);
    const char* stopped = llhttp_get_error_pos(parser_.get());
    const std::size_t used = stopped && stopped >= data && stopped <= data + size
                                 ? static_cast<std::size_t>(stopped - data)
                                 : size;
    if (err == HPE_OK) {
        if (refused) fail(400, std::string("malformed request: ") + refused);
        return size;
    }
    if (err == HPE_PAUSED && state_ == State::complete) return used;  // a request ended before the refused byte
    if (state_ != State::failed) {
        const char* reason = llhttp_get_error_reason(parser_.get());
        const std::string why = reason ? reason : llhttp_errno_name(err);
        if (err == HPE_PAUSED_H2_UPGRADE)
            fail(505, "only HTTP/1.0 and HTTP/1.1 are served (not the HTTP/2 preface)");
        else if (err == HPE_INVALID_VERSION && why == "Invalid HTTP version")  // well formed, not 1.0 or 1.1
            fail(505, "only HTTP/1.0 and HTTP/1.1 are served");
        else
            fail(400, "malformed request: " + why);
    }
    return used;
}

Request RequestParser::take() {
    Request out = std::move(request_);
    if (budget_ && body_reserved_ > 0) {
        const std::size_t bytes = body_reserved_;
        BodyBudget* budget = budget_;
        out.body_memory = std::shared_ptr<void>(nullptr, [budget, bytes](void*) { budget->release(bytes); });
        body_reserved_ = 0;
    }
    reset();
    return out;
}

}  // namespace jppd::http
