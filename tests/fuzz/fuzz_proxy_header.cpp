// Any bytes at the start of a trusted proxy's connection: the PROXY protocol parser (v1 and v2) never crashes,
// never takes more than it is given, stops where the header ends, and reads the same header whether the bytes come
// at once or split at any point.
#include <cstdlib>
#include <string>

#include "http/proxy_protocol.hpp"

namespace {

struct Outcome {
    int state = 0;
    std::size_t used = 0;
    std::string source;
    bool operator==(const Outcome&) const = default;
};

Outcome parse(const char* data, std::size_t size, std::size_t split) {
    jppd::http::ProxyHeaderParser parser;
    Outcome out;
    for (const std::size_t end : {split, size}) {
        while (out.used < end && parser.state() == jppd::http::ProxyHeaderParser::State::need_more) {
            const std::size_t took = parser.feed(data + out.used, end - out.used);
            if (took > end - out.used) std::abort();
            out.used += took;
            if (took == 0) break;
        }
    }
    out.state = static_cast<int>(parser.state());
    if (parser.state() == jppd::http::ProxyHeaderParser::State::done && parser.source())
        out.source = parser.source()->to_string();
    if (parser.state() == jppd::http::ProxyHeaderParser::State::failed && parser.error().empty()) std::abort();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto* text = reinterpret_cast<const char*>(data + 1);
    const std::size_t length = size - 1;
    const std::size_t split = length == 0 ? 0 : data[0] % (length + 1);
    const Outcome whole = parse(text, length, length);
    if (!(whole == parse(text, length, split))) std::abort();
    // The header is read to its end and no further: what follows is the client's.
    if (whole.state == static_cast<int>(jppd::http::ProxyHeaderParser::State::done) && whole.used == 0) std::abort();
    return 0;
}
