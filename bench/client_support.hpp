// What the benchmark clients that talk to jppd over HTTP share: percentiles, a field of a JSON answer, and the
// benchmark's fixed keys.
#pragma once

#include <jpp/hash.hpp>
#include <jpp/signer.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

inline double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(rank, v.size() - 1)];
}

// The string value of "name" in a compact JSON object, as jppd writes them.
inline std::string json_field(const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":\"";
    const auto at = json.find(key);
    if (at == std::string::npos) throw std::runtime_error("no " + name + " in " + json.substr(0, 200));
    return json.substr(at + key.size(), json.find('"', at + key.size()) - at - key.size());
}

// A key derived from a fixed seed ("bench payer", "bench merchant"): the same in every run.
inline jpp::PrivateKey key_of(const std::string& seed) {
    const auto key = jpp::PrivateKey::from_bytes(
        jpp::sha256(jpp::ByteView(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size())));
    if (!key) throw std::runtime_error("bad benchmark key");
    return *key;
}

}  // namespace bench
