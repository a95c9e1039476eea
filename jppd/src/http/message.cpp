#include "http/message.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace jppd::http {

std::string_view Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return {};
}

std::size_t Request::header_count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& header : headers) n += header.first == name;
    return n;
}

std::string Request::media_type() const {
    std::string_view value = header("content-type");
    value = value.substr(0, value.find(';'));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    std::string type(value);
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    return type;
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 417: return "Expectation Failed";
        case 421: return "Misdirected Request";
        case 426: return "Upgrade Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

namespace {

// The Date header changes once a second; formatting it per response would cost more than the rest of a GET.
std::string_view http_date() {
    thread_local std::time_t cached_second = 0;
    thread_local char text[40] = {};
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    if (now != cached_second) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_second = now;
    }
    return text;
}

}  // namespace

std::string serialize(const Response& response, bool keep_alive, bool head_only) {
    std::string out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += reason_phrase(response.status);
    out += "\r\nServer: jppd\r\nDate: ";
    out += http_date();
    out += "\r\n";
    if (!response.content_type.empty()) {
        out += "Content-Type: ";
        out += response.content_type;
        out += "\r\n";
    }
    // 1xx, 204 and 304 carry no body and no Content-Length.
    if (response.status >= 200 && response.status != 204 && response.status != 304) {
        out += "Content-Length: ";
        out += std::to_string(response.body.size());
        out += "\r\n";
    }
    for (const auto& [name, value] : response.headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!keep_alive || response.close) out += "Connection: close\r\n";
    out += "\r\n";
    if (!head_only) out += response.body;
    return out;
}

}  // namespace jppd::http

namespace jppd::http {

Response json_error(int status, std::string_view code, std::string_view message) {
    Response r;
    r.status = status;
    r.content_type = "application/json; charset=utf-8";
    const std::string quoted = json_quote(message);
    r.body = "{\"code\":" + json_quote(code) + ",\"message\":" + quoted + ",\"detail\":" + quoted + "}";
    return r;
}

}  // namespace jppd::http
