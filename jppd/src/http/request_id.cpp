#include "http/request_id.hpp"

#include <openssl/rand.h>

#include <atomic>
#include <cstdint>

namespace jppd::http {

namespace {

// A bijection on 64 bits (splitmix64's finalizer): distinct counters give distinct ids.
std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

std::uint64_t random_start() {
    std::uint64_t seed = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed);  // on failure: 0, ids stay unique
    return seed;
}

}  // namespace

std::string make_request_id() {
    static std::atomic<std::uint64_t> counter{random_start()};
    const std::uint64_t id = mix(counter.fetch_add(1, std::memory_order_relaxed));
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i) out[static_cast<std::size_t>(i)] = hex[(id >> (60 - 4 * i)) & 15];
    return out;
}

bool acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace jppd::http
