// Any bytes on a connection: the request parser never crashes, never takes more than it is given, and reads the
// same requests whether the bytes come at once or split at any point (the network splits them anywhere).
#include <cstdlib>
#include <string>
#include <vector>

#include "http/request_parser.hpp"

namespace {

struct Outcome {
    std::vector<std::string> requests;  // method, target and body of each complete request
    int error_status = 0;
    bool operator==(const Outcome&) const = default;
};

Outcome parse(const char* data, std::size_t size, std::size_t split) {
    jppd::http::RequestParser parser({1024, 4096});
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
                out.requests.push_back(request.method + " " + request.target + " " + request.body);
            } else if (used == 0) {
                break;
            }
        }
    }
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
