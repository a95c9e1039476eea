// Any bytes on a connection: the request parser never crashes, never takes more than it is given, and reads the
// same requests whether the bytes come at once or split at any point (the network splits them anywhere). Each
// request is also put through what the server does with it next: the Host check (DNS rebinding) and, as from a
// trusted proxy, X-Forwarded-For; bodies are read within a small memory budget, so that 503 path runs too.
#include <cstdlib>
#include <string>
#include <vector>

#include "http/body_budget.hpp"
#include "http/client_address.hpp"
#include "http/host_check.hpp"
#include "http/request_parser.hpp"

namespace {

struct Outcome {
    std::vector<std::string> requests;  // method, target, body, Host verdict and client of each complete request
    int error_status = 0;
    bool operator==(const Outcome&) const = default;
};

const jppd::http::HostPolicy& host_policy() {
    static const jppd::http::HostPolicy policy = [] {
        std::string error;
        auto p = jppd::http::HostPolicy::make("https://pay.example.com", "127.0.0.1", 8000, {"x", "alias:81"}, error);
        if (!p) std::abort();
        return *p;
    }();
    return policy;
}

const jppd::http::TrustedProxies& proxies() {
    static const jppd::http::TrustedProxies trusted({*jppd::http::AddressRange::parse("127.0.0.0/8"),
                                                     *jppd::http::AddressRange::parse("10.0.0.0/8")});
    return trusted;
}

Outcome parse(const char* data, std::size_t size, std::size_t split) {
    jppd::http::BodyBudget budget(3000);
    jppd::http::RequestParser parser({1024, 4096}, &budget);
    Outcome out;
    std::size_t offset = 0;
    for (const std::size_t end : {split, size}) {
        while (offset < end) {
            const std::size_t used = parser.feed(data + offset, end - offset);
            if (used > end - offset) std::abort();
            offset += used;
            if (parser.state() == jppd::http::RequestParser::State::failed) {
                out.error_status = parser.error_status();
                if (out.error_status < 400 || out.error_status > 599) std::abort();
                return out;
            }
            if (parser.state() == jppd::http::RequestParser::State::complete) {
                const auto request = parser.take();
                if (request.header_count("host") > 1 || request.header_count("content-length") > 1) std::abort();
                const auto refused = host_policy().check(request);
                const auto client = jppd::http::forwarded_client(asio::ip::make_address("127.0.0.1"), request,
                                                                 proxies());
                out.requests.push_back(request.method + " " + request.target + " " + request.body + " " +
                                       std::to_string(refused ? refused->status : 200) + " " + client.to_string());
            } else if (used == 0) {
                break;
            }
        }
    }
    if (budget.used() > 3000 + 4096) std::abort();  // what is held stays within the budget (plus rounding)
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto* text = reinterpret_cast<const char*>(data + 1);
    const std::size_t length = size - 1;
    const std::size_t split = length == 0 ? 0 : data[0] % (length + 1);
    if (!(parse(text, length, length) == parse(text, length, split))) std::abort();
    return 0;
}
