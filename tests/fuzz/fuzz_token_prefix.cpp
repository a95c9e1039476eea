// Any bytes after 0xef: a prefix that reads re-encodes to exactly the bytes it consumed.
#include <algorithm>
#include <cstdlib>
#include <vector>

#include "jpp/token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> field{jpp::token_prefix_byte};
    field.insert(field.end(), data, data + size);
    jpp::Reader reader(field);
    const auto token = jpp::read_token_prefix(reader);
    if (token.has_value() != reader.ok()) std::abort();
    if (!token) return 0;
    if (!jpp::check_token_structure(*token)) std::abort();
    jpp::Bytes encoded;
    jpp::Writer writer(encoded);
    jpp::write_token_prefix(writer, *token);
    if (encoded.size() != reader.offset() || encoded.size() != jpp::token_prefix_size(*token)) std::abort();
    if (!std::equal(encoded.begin(), encoded.end(), field.begin())) std::abort();
    return 0;
}
