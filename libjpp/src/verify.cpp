#include "jpp/verify.hpp"

#include <cmath>
#include <cstdio>

namespace jpp {
namespace {

bool pays(const Output& tx_output, const InvoiceOutput& wanted) {
    return tx_output.value == wanted.amount && tx_output.locking_bytecode == wanted.locking_bytecode &&
           tx_output.token == wanted.token;
}

// Why no output matched, when something close exists: the most common wallet mistakes.
std::string near_miss(const Transaction& tx, const std::vector<bool>& used, const InvoiceOutput& wanted) {
    for (std::size_t j = 0; j < tx.outputs.size(); ++j) {
        const Output& out = tx.outputs[j];
        if (used[j] || out.locking_bytecode != wanted.locking_bytecode) continue;
        if (out.value != wanted.amount)
            return "; output " + std::to_string(j) + " pays " + std::to_string(out.value) + " sat to that address";
        if (out.token != wanted.token)
            return "; output " + std::to_string(j) + " pays that address with " +
                   (out.token ? "different token data" : "no token");
    }
    return "";
}

Verdict fail(Verdict verdict, Errc code, std::string message) {
    verdict.code = code;
    verdict.message = std::move(message);
    verdict.matched_outputs.clear();
    return verdict;
}

}  // namespace

std::string describe_output(const InvoiceOutput& output) {
    std::string text = std::to_string(output.amount) + " sat (" + bch_text(output.amount) + " BCH) to " + output.address;
    if (output.token) {
        const TokenData& token = *output.token;
        text += " with token " + to_display_hex(token.category);
        if (token.amount > 0) text += " amount " + std::to_string(token.amount);
        if (token.nft)
            text += std::string(token.amount > 0 ? " and" : "") + " an NFT (" +
                    std::string(nft_capability_name(token.nft->capability)) + ", commitment '" +
                    to_hex(token.nft->commitment) + "')";
    }
    return text;
}

Verdict verify_payment(const Invoice& invoice, const Transaction& tx, std::size_t size,
                       const std::vector<Output>* spent, const VerifyOptions& options) {
    Verdict verdict;
    verdict.size = size;
    if (Status s = check_consensus(tx, options.rules, size); !s)
        return fail(std::move(verdict), s.error().code, "invalid transaction: " + s.error().message);
    if (options.require_standard) {
        if (Status s = check_standard(tx, size); !s)
            return fail(std::move(verdict), s.error().code,
                        "the network would not relay this transaction: " + s.error().message);
    }

    // Matching by equality means greedy first-fit finds a complete matching whenever one exists.
    std::vector<bool> used(tx.outputs.size(), false);
    for (std::size_t i = 0; i < invoice.outputs.size(); ++i) {
        const InvoiceOutput& wanted = invoice.outputs[i];
        std::size_t found = tx.outputs.size();
        for (std::size_t j = 0; j < tx.outputs.size(); ++j) {
            if (!used[j] && pays(tx.outputs[j], wanted)) {
                found = j;
                break;
            }
        }
        if (found == tx.outputs.size())
            return fail(std::move(verdict), Errc::payment_output_missing,
                        "the transaction does not pay invoice output " + std::to_string(i) + ": " +
                            describe_output(wanted) + near_miss(tx, used, wanted));
        used[found] = true;
        verdict.matched_outputs.push_back(found);
    }

    if (spent == nullptr) {
        verdict.message = "inputs not checked: the outputs this transaction spends are unknown, so neither the "
                          "input total nor the fee rate was verified";
        return verdict;
    }
    if (spent->size() != tx.inputs.size())
        return fail(std::move(verdict), Errc::invalid_argument,
                    "spent outputs: " + std::to_string(spent->size()) + " given for " +
                        std::to_string(tx.inputs.size()) + " inputs");
    std::int64_t in = 0, out = 0;
    for (const Output& coin : *spent) {
        if (coin.value < 0 || coin.value > max_money || (in += coin.value) > max_money)
            return fail(std::move(verdict), Errc::tx_value_out_of_range, "spent outputs hold an impossible value");
    }
    for (const Output& o : tx.outputs) out += o.value;  // bounded by check_consensus
    if (in < out)
        return fail(std::move(verdict), Errc::payment_inputs_short,
                    "the inputs hold " + std::to_string(in) + " sat but the outputs spend " + std::to_string(out) +
                        " sat");
    verdict.inputs_checked = true;
    verdict.fee = in - out;
    const double required = invoice.required_fee_per_byte * static_cast<double>(size);
    // A rate like 1.1 sat/byte is not exact in binary: allow for rounding of the product, never for a whole sat.
    if (static_cast<double>(verdict.fee) + 1e-6 < required) {
        char rate[64];
        std::snprintf(rate, sizeof rate, "%.3g", static_cast<double>(verdict.fee) / static_cast<double>(size));
        char wanted_rate[64];
        std::snprintf(wanted_rate, sizeof wanted_rate, "%g", invoice.required_fee_per_byte);
        return fail(std::move(verdict), Errc::payment_fee_too_low,
                    "the fee of " + std::to_string(verdict.fee) + " sat for " + std::to_string(size) + " bytes is " +
                        rate + " sat/byte, below the required " + wanted_rate + " sat/byte (" +
                        std::to_string(static_cast<std::int64_t>(std::ceil(required - 1e-6))) + " sat)");
    }
    return verdict;
}

}  // namespace jpp
