// Does this transaction pay this invoice? The rules, and a verdict that says which one failed and why.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "jpp/invoice.hpp"
#include "jpp/transaction.hpp"

namespace jpp {

struct Verdict {
    Errc code = Errc::ok;
    std::string message;
    // True when the outputs the inputs spend were known: inputs covering outputs and the fee rate were checked.
    // False means those two checks were skipped, and the message says so even when the verdict is ok.
    bool inputs_checked = false;
    std::int64_t fee = 0;                         // when inputs_checked
    std::size_t size = 0;                         // serialized size the fee rate is judged on
    std::vector<std::size_t> matched_outputs;     // for each invoice output, the transaction output paying it

    bool ok() const noexcept { return code == Errc::ok; }
};

struct VerifyOptions {
    ConsensusRules rules;
    bool require_standard = true;  // the node would not relay it otherwise
};

// Checks, in order: consensus rules; standardness (unless disabled); every invoice output matched by a distinct
// transaction output with identical locking bytecode, exactly equal satoshis and equal token data (an untokened
// invoice output is never matched by a token output); extra outputs are change. When `spent` holds the output each
// input spends (in input order): inputs cover outputs, and the fee over `size` meets required_fee_per_byte.
// `size` is the length of the bytes the transaction was decoded from, never a size a client claims.
Verdict verify_payment(const Invoice& invoice, const Transaction& tx, std::size_t size,
                       const std::vector<Output>* spent, const VerifyOptions& options = {});

// "10000 sat (0.0001 BCH) to bitcoincash:qp..." and, with a token, its category and amounts: for messages.
std::string describe_output(const InvoiceOutput& output);

}  // namespace jpp
