// Any bytes: decoding never crashes; what decodes re-encodes to exactly the input (the wire format has one
// encoding per transaction), the reusing decoder agrees, and the checks run on whatever decoded.
#include <algorithm>
#include <cstdlib>

#include "jpp/transaction.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const jpp::ByteView raw(data, size);
    auto tx = jpp::decode_transaction(raw);
    jpp::Transaction reused;
    reused.inputs.resize(3);
    const jpp::Status again = jpp::decode_transaction(raw, reused);
    if (tx.ok() != again.ok()) std::abort();
    if (!tx) return 0;
    if (!(reused == *tx)) std::abort();
    const jpp::Bytes encoded = jpp::encode_transaction(*tx);
    if (encoded.size() != size || !std::equal(encoded.begin(), encoded.end(), data)) std::abort();
    if (jpp::serialized_size(*tx) != size) std::abort();
    (void)jpp::check_consensus(*tx, {}, size);
    (void)jpp::check_standard(*tx, size);
    return 0;
}
