// A host program using the installed libjpp: decode a transaction and print its id.
#include <cstdio>
#include <string>

#include <jpp/transaction.hpp>

int main() {
    // Bitcoin's genesis coinbase transaction.
    const std::string hex =
        "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d01044554"
        "68652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e642062"
        "61696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828"
        "e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000";
    auto tx = jpp::decode_transaction_hex(hex);
    if (!tx) {
        std::fprintf(stderr, "decode failed: %s\n", tx.error().describe().c_str());
        return 1;
    }
    const std::string txid = jpp::transaction_id(*tx).hex();
    std::printf("txid %s\n", txid.c_str());
    return txid == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b" ? 0 : 1;
}
