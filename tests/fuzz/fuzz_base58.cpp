// Any text: base58 decoding never crashes; decoded bytes re-encode to the same text; base58check agrees.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "jpp/base58.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto bytes = jpp::base58_decode(text);
    if (bytes && jpp::base58_encode(*bytes) != text) std::abort();
    auto payload = jpp::base58check_decode(text);
    if (payload && jpp::base58check_encode(*payload) != text) std::abort();
    // And the other direction: any bytes encode to text that decodes back to them.
    const jpp::ByteView raw(data, size);
    auto round = jpp::base58_decode(jpp::base58_encode(raw));
    if (size <= 128 && (!round || !std::equal(round->begin(), round->end(), data, data + size))) std::abort();
    return 0;
}
