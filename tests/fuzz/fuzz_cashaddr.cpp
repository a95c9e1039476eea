// Any text: CashAddr decoding never crashes, and what decodes re-encodes to the same address in lower case.
#include <cstdlib>
#include <string>

#include "jpp/address.hpp"
#include "jpp/cashaddr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto content = jpp::cashaddr_decode(text, "bitcoincash");
    if (content) {
        auto again = jpp::cashaddr_encode(content->prefix, content->type, content->hash);
        if (!again) std::abort();
        std::string lower = text;
        for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (text.find(':') == std::string::npos) lower = "bitcoincash:" + lower;
        if (*again != lower) std::abort();
    }
    auto address = jpp::decode_address(text, jpp::Network::main);
    if (address) {
        // Whatever form it came in, the destination survives a trip through CashAddr and bytecode.
        auto back = jpp::decode_address(jpp::encode_cashaddr(*address), jpp::Network::main);
        if (!back || !(*back == *address)) std::abort();
        auto from_script = jpp::address_from_locking_bytecode(jpp::locking_bytecode(*address), jpp::Network::main,
                                                              address->token_aware);
        if (!from_script || !(*from_script == *address)) std::abort();
    }
    return 0;
}
