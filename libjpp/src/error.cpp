#include "jpp/error.hpp"

namespace jpp {

std::string_view errc_name(Errc code) noexcept {
    switch (code) {
    case Errc::ok: return "ok";
    case Errc::invalid_hex: return "invalid_hex";
    case Errc::truncated: return "truncated";
    case Errc::non_canonical_size: return "non_canonical_size";
    case Errc::size_too_large: return "size_too_large";
    case Errc::trailing_bytes: return "trailing_bytes";
    case Errc::invalid_token_prefix: return "invalid_token_prefix";
    case Errc::tx_undersize: return "tx_undersize";
    case Errc::tx_oversize: return "tx_oversize";
    case Errc::tx_bad_version: return "tx_bad_version";
    case Errc::tx_no_inputs: return "tx_no_inputs";
    case Errc::tx_no_outputs: return "tx_no_outputs";
    case Errc::tx_value_out_of_range: return "tx_value_out_of_range";
    case Errc::tx_duplicate_input: return "tx_duplicate_input";
    case Errc::tx_null_prevout: return "tx_null_prevout";
    case Errc::tx_token_commitment_too_long: return "tx_token_commitment_too_long";
    case Errc::tx_bad_coinbase: return "tx_bad_coinbase";
    case Errc::tx_nonstandard_size: return "tx_nonstandard_size";
    case Errc::tx_dust_output: return "tx_dust_output";
    case Errc::tx_nonstandard_output: return "tx_nonstandard_output";
    case Errc::invalid_address: return "invalid_address";
    case Errc::address_checksum: return "address_checksum";
    case Errc::address_mixed_case: return "address_mixed_case";
    case Errc::address_wrong_network: return "address_wrong_network";
    case Errc::address_unsupported_type: return "address_unsupported_type";
    case Errc::not_a_standard_destination: return "not_a_standard_destination";
    case Errc::invalid_private_key: return "invalid_private_key";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::signing_failed: return "signing_failed";
    case Errc::invoice_invalid: return "invoice_invalid";
    case Errc::invoice_not_found: return "invoice_not_found";
    case Errc::invoice_expired: return "invoice_expired";
    case Errc::invoice_already_paid: return "invoice_already_paid";
    case Errc::payment_output_missing: return "payment_output_missing";
    case Errc::payment_inputs_short: return "payment_inputs_short";
    case Errc::payment_fee_too_low: return "payment_fee_too_low";
    case Errc::payment_tx_used: return "payment_tx_used";
    case Errc::broadcast_rejected: return "broadcast_rejected";
    case Errc::chain_unavailable: return "chain_unavailable";
    case Errc::store_failure: return "store_failure";
    case Errc::json_invalid: return "json_invalid";
    case Errc::json_too_deep: return "json_too_deep";
    case Errc::json_too_large: return "json_too_large";
    case Errc::json_duplicate_key: return "json_duplicate_key";
    case Errc::tx_already_known: return "tx_already_known";
    case Errc::payment_tx_not_new: return "payment_tx_not_new";
    case Errc::payment_in_progress: return "payment_in_progress";
    case Errc::payment_too_many_inputs: return "payment_too_many_inputs";
    case Errc::idempotency_conflict: return "idempotency_conflict";
    case Errc::invoice_cancelled: return "invoice_cancelled";
    case Errc::invoice_not_cancellable: return "invoice_not_cancellable";
    case Errc::order_id_conflict: return "order_id_conflict";
    case Errc::signature_invalid: return "signature_invalid";
    case Errc::signature_expired: return "signature_expired";
    case Errc::unauthorized: return "unauthorized";
    case Errc::forbidden: return "forbidden";
    case Errc::not_found: return "not_found";
    case Errc::address_claimed: return "address_claimed";
    }
    return "unknown";
}

std::string Error::describe() const {
    if (offset == no_offset) return message;
    return message + " (at byte " + std::to_string(offset) + ")";
}

}  // namespace jpp
