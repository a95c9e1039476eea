#include "http/host_check.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "http/client_address.hpp"

namespace jppd::http {

namespace {

// RFC 3986 reg-name: unreserved, pct-encoded, sub-delims.
bool reg_name_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || std::string_view("-._~%!$&'()*+,;=").find(c) != std::string_view::npos;
}

std::optional<asio::ip::address> ip_literal(const std::string& host) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec || (address.is_v6() && address.to_v6().scope_id() != 0)) return std::nullopt;
    return unmapped(address);
}

std::string with_port(const std::string& host, bool v6, const std::optional<std::uint16_t>& port) {
    std::string out = v6 ? "[" + host + "]" : host;
    if (port) out += ":" + std::to_string(*port);
    return out;
}

}  // namespace

bool split_host_port(std::string_view text, std::string& host, std::optional<std::uint16_t>& port) {
    port.reset();
    std::string_view name, rest;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return false;
        name = text.substr(1, close - 1);
        rest = text.substr(close + 1);
        if (name.empty() || name.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
            return false;
        if (!rest.empty() && rest.front() != ':') return false;
    } else {
        const auto colon = text.find(':');
        name = text.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
        if (name.empty() || !std::all_of(name.begin(), name.end(), reg_name_char)) return false;
    }
    if (!rest.empty()) {
        const std::string_view digits = rest.substr(1);
        if (!digits.empty()) {
            unsigned value = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (ec != std::errc() || end != digits.data() + digits.size() || value > 65535) return false;
            port = static_cast<std::uint16_t>(value);
        }
    }
    host.assign(name);
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    if (text.front() == '[') {
        if (!ip_literal(host) || !ip_literal(host)->is_v6()) return false;
    } else if (host.size() > 1 && host.back() == '.') {
        host.pop_back();  // "example.com." is example.com
    }
    return true;
}

std::optional<HostPolicy> HostPolicy::make(std::string_view public_url, std::string_view listen_host,
                                           std::uint16_t bound_port, const std::vector<std::string>& allowed,
                                           std::string& error) {
    HostPolicy policy;
    policy.configured_ = true;

    // The public URL's authority.
    std::uint16_t default_port = 0;
    std::string_view rest;
    const auto lower = [](std::string_view s) {
        std::string out(s);
        std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
        return out;
    };
    if (lower(public_url.substr(0, 7)) == "http://") {
        default_port = 80;
        rest = public_url.substr(7);
    } else if (lower(public_url.substr(0, 8)) == "https://") {
        default_port = 443;
        rest = public_url.substr(8);
    } else {
        error = "the public URL must start with http:// or https://: " + std::string(public_url);
        return std::nullopt;
    }
    std::string host;
    std::optional<std::uint16_t> port;
    if (!split_host_port(rest.substr(0, rest.find_first_of("/?#")), host, port)) {
        error = "the public URL has no usable host: " + std::string(public_url);
        return std::nullopt;
    }
    const auto add = [&policy](const std::string& h, std::optional<std::uint16_t> p) {
        if (auto address = ip_literal(h)) policy.rules_.push_back({Kind::address, {}, *address, p});
        else policy.rules_.push_back({Kind::name, h, {}, p});
    };
    const auto add_bound = [&policy](Kind kind, const asio::ip::address& address, std::uint16_t p) {
        for (const auto& rule : policy.rules_)  // the default public URL is the listen address
            if (rule.kind == kind && rule.address == address && rule.port == p) return;
        policy.rules_.push_back({kind, {}, address, p});
    };
    add(host, port ? port : std::optional<std::uint16_t>(default_port));

    // The listen address.
    std::string listen(listen_host);
    if (listen.size() >= 2 && listen.front() == '[' && listen.back() == ']')
        listen = listen.substr(1, listen.size() - 2);
    if (const auto bound = ip_literal(listen)) {
        if (bound->is_unspecified()) add_bound(Kind::any_address, {}, bound_port);
        else add_bound(Kind::address, *bound, bound_port);
        if (bound->is_loopback() || bound->is_unspecified()) add_bound(Kind::loopback, {}, bound_port);
    }

    for (const auto& value : allowed) {
        if (value == "*") {
            policy.rules_.push_back({Kind::anything, {}, {}, std::nullopt});
            continue;
        }
        if (!split_host_port(value, host, port)) {
            error = "--allowed-host " + value + ": expected NAME, NAME:PORT, [IPv6], [IPv6]:PORT or *";
            return std::nullopt;
        }
        add(host, port);
    }
    return policy;
}

bool HostPolicy::matches(const Rule& rule, const std::string& host, const std::optional<asio::ip::address>& address,
                         const std::optional<std::uint16_t>& port) const {
    if (rule.port && (port ? *port != *rule.port : *rule.port != 80 && *rule.port != 443)) return false;
    switch (rule.kind) {
        case Kind::anything: return true;
        case Kind::name: return !address && host == rule.name;
        case Kind::address: return address && *address == rule.address;
        case Kind::any_address: return address.has_value();
        case Kind::loopback: return address ? address->is_loopback() : host == "localhost";
    }
    return false;
}

bool HostPolicy::allows(std::string_view host_header) const {
    if (!configured_) return true;
    std::string host;
    std::optional<std::uint16_t> port;
    if (!split_host_port(host_header, host, port)) return false;
    const auto address = ip_literal(host);
    return std::any_of(rules_.begin(), rules_.end(),
                       [&](const Rule& rule) { return matches(rule, host, address, port); });
}

std::optional<Response> HostPolicy::check(const Request& request) const {
    if (request.header_count("host") == 0) {
        if (request.http_minor == 0) return std::nullopt;  // HTTP/1.0 had no Host; browsers always send one
        Response r = json_error(400, "malformed_request", "an HTTP/1.1 request needs a Host header");
        r.close = true;  // not a client to keep talking to
        return r;
    }
    if (!configured_) return std::nullopt;
    const std::string_view value = request.header("host");
    std::string host;
    std::optional<std::uint16_t> port;
    if (!split_host_port(value, host, port)) {
        Response r = json_error(400, "malformed_request", "the Host header is not a host name or address");
        r.close = true;
        return r;
    }
    if (allows(value)) return std::nullopt;
    std::string shown(value.substr(0, 100));
    return json_error(421, "host_not_allowed",
                      "this server does not answer for the host '" + shown +
                          "'; use its public URL (an operator can allow more names with --allowed-host)");
}

std::string HostPolicy::describe() const {
    if (!configured_) return "any";
    std::string out;
    for (const auto& rule : rules_) {
        if (!out.empty()) out += ", ";
        switch (rule.kind) {
            case Kind::anything: out += "any host"; break;
            case Kind::name: out += with_port(rule.name, false, rule.port); break;
            case Kind::address: out += with_port(rule.address.to_string(), rule.address.is_v6(), rule.port); break;
            case Kind::any_address: out += with_port("any address", false, rule.port); break;
            case Kind::loopback: out += with_port("localhost", false, rule.port) + " (and loopback addresses)"; break;
        }
    }
    return out;
}

}  // namespace jppd::http
