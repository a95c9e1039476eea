#include "jpp/transaction.hpp"

#include <algorithm>

namespace jpp {
namespace {

// Smallest possible encodings, used to bound counts before anything is allocated from them.
constexpr std::size_t min_input_size = 32 + 4 + 1 + 4;
constexpr std::size_t min_output_size = 8 + 1;
constexpr std::size_t max_op_return_relay = 223;
constexpr std::uint8_t op_return = 0x6a;

// Reads a count of items and refuses one the remaining bytes cannot hold, before anything is allocated for it.
std::size_t read_count(Reader& reader, const char* what, std::size_t min_item_size) {
    const std::size_t at = reader.offset();
    const std::uint64_t count = reader.compact_size(what);
    if (reader.ok() && count > reader.remaining() / min_item_size)
        reader.fail_at(at, Errc::truncated,
                       std::string(what) + " " + std::to_string(count) + " does not fit in the remaining " +
                           std::to_string(reader.remaining()) + " bytes");
    return reader.ok() ? static_cast<std::size_t>(count) : 0;
}

void read_input(Reader& reader, Input& input) {
    const ByteView txid = reader.bytes(32);
    if (reader.ok()) std::copy(txid.begin(), txid.end(), input.prevout.txid.bytes.begin());
    input.prevout.index = reader.u32le();
    const ByteView script = reader.sized_bytes("unlocking bytecode");
    input.unlocking_bytecode.assign(script.begin(), script.end());
    input.sequence = reader.u32le();
}

void write_input(Writer& writer, const Input& input) {
    writer.bytes(input.prevout.txid.bytes);
    writer.u32le(input.prevout.index);
    writer.sized_bytes(input.unlocking_bytecode);
    writer.u32le(input.sequence);
}

std::size_t locking_field_size(const Output& output) noexcept {
    return (output.token ? token_prefix_size(*output.token) : 0) + output.locking_bytecode.size();
}

bool is_op_return(const Output& output) noexcept {
    return !output.locking_bytecode.empty() && output.locking_bytecode[0] == op_return;
}

std::string value_text(std::int64_t value) { return std::to_string(value) + " sat"; }

}  // namespace

Result<TxId> TxId::from_hex(std::string_view display_hex) {
    auto hash = hash256_from_display_hex(display_hex);
    if (!hash) return std::move(hash).error();
    return TxId{*hash};
}

bool Outpoint::is_null() const noexcept {
    return index == 0xffffffff && std::all_of(txid.bytes.begin(), txid.bytes.end(), [](auto b) { return b == 0; });
}

void read_output(Reader& reader, Output& out) {
    out.value = static_cast<std::int64_t>(reader.u64le());
    const std::size_t field_at = reader.offset();
    const ByteView field = reader.sized_bytes("output locking bytecode");
    if (!reader.ok()) return;
    const std::size_t field_start = reader.offset() - field.size();
    if (field.empty() || field[0] != token_prefix_byte) {
        out.locking_bytecode.assign(field.begin(), field.end());
        out.token.reset();
        return;
    }
    Reader inner(field);
    out.token = read_token_prefix(inner);
    if (!inner.ok()) {
        reader.fail_at(field_start + inner.error().offset, inner.error().code,
                       "output at byte " + std::to_string(field_at) + ": " + inner.error().message);
        return;
    }
    const ByteView rest = inner.bytes(inner.remaining());
    out.locking_bytecode.assign(rest.begin(), rest.end());
}

void write_output(Writer& writer, const Output& output) {
    writer.u64le(static_cast<std::uint64_t>(output.value));
    writer.compact_size(locking_field_size(output));
    if (output.token) write_token_prefix(writer, *output.token);
    writer.bytes(output.locking_bytecode);
}

Result<Output> decode_output(ByteView raw) {
    Reader reader(raw);
    Output output;
    read_output(reader, output);
    if (reader.ok() && !reader.at_end())
        reader.fail(Errc::trailing_bytes, std::to_string(reader.remaining()) + " unexpected bytes after the output");
    if (!reader.ok()) return reader.error();
    return output;
}

void read_transaction(Reader& reader, Transaction& tx) {
    tx.version = reader.u32le();
    const std::size_t input_count = read_count(reader, "input count", min_input_size);
    if (!reader.ok()) return;
    tx.inputs.resize(input_count);
    for (Input& input : tx.inputs) {
        read_input(reader, input);
        if (!reader.ok()) return;
    }
    const std::size_t output_count = read_count(reader, "output count", min_output_size);
    if (!reader.ok()) return;
    tx.outputs.resize(output_count);
    for (Output& output : tx.outputs) {
        read_output(reader, output);
        if (!reader.ok()) return;
    }
    tx.locktime = reader.u32le();
}

Status decode_transaction(ByteView raw, Transaction& tx) {
    Reader reader(raw);
    read_transaction(reader, tx);
    if (reader.ok() && !reader.at_end())
        reader.fail(Errc::trailing_bytes,
                    std::to_string(reader.remaining()) + " unexpected bytes after the encoded transaction");
    if (!reader.ok()) return reader.error();
    return {};
}

std::string bch_text(std::int64_t sat) {
    const bool negative = sat < 0;
    const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(sat) : static_cast<std::uint64_t>(sat);
    std::string text = std::to_string(magnitude / 100'000'000);
    std::string fraction = std::to_string(magnitude % 100'000'000);
    fraction.insert(0, 8 - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    if (!fraction.empty()) text += "." + fraction;
    return negative ? "-" + text : text;
}

Result<Transaction> decode_transaction(ByteView raw) {
    Transaction tx;
    if (Status s = decode_transaction(raw, tx); !s) return s.error();
    return tx;
}

Result<Transaction> decode_transaction_hex(std::string_view hex) {
    // Refuse absurd input before allocating for it: twice the consensus maximum in hex digits.
    if (hex.size() > 2 * max_transaction_size)
        return make_error(Errc::tx_oversize, "transaction hex of " + std::to_string(hex.size()) +
                                                 " digits exceeds the 1,000,000-byte consensus maximum");
    auto bytes = from_hex(hex);
    if (!bytes) return std::move(bytes).error();
    return decode_transaction(*bytes);
}

std::size_t serialized_size(const Output& output) noexcept {
    const std::size_t field = locking_field_size(output);
    return 8 + compact_size_length(field) + field;
}

std::size_t serialized_size(const Transaction& tx) noexcept {
    std::size_t size = 4 + compact_size_length(tx.inputs.size()) + compact_size_length(tx.outputs.size()) + 4;
    for (const Input& input : tx.inputs)
        size += 32 + 4 + compact_size_length(input.unlocking_bytecode.size()) + input.unlocking_bytecode.size() + 4;
    for (const Output& output : tx.outputs) size += serialized_size(output);
    return size;
}

Bytes encode_transaction(const Transaction& tx) {
    Bytes out;
    out.reserve(serialized_size(tx));
    Writer writer(out);
    writer.u32le(tx.version);
    writer.compact_size(tx.inputs.size());
    for (const Input& input : tx.inputs) write_input(writer, input);
    writer.compact_size(tx.outputs.size());
    for (const Output& output : tx.outputs) write_output(writer, output);
    writer.u32le(tx.locktime);
    return out;
}

TxId transaction_id(ByteView raw) { return TxId{sha256d(raw)}; }

TxId transaction_id(const Transaction& tx) { return transaction_id(encode_transaction(tx)); }

Status check_consensus(const Transaction& tx, const ConsensusRules& rules, std::size_t size) {
    if (size == 0) size = serialized_size(tx);
    if (size < min_transaction_size)
        return make_error(Errc::tx_undersize, "transaction of " + std::to_string(size) +
                                                  " bytes is below the 65-byte minimum");
    if (size > max_transaction_size)
        return make_error(Errc::tx_oversize, "transaction of " + std::to_string(size) +
                                                 " bytes exceeds the 1,000,000-byte maximum");
    if (tx.version < 1 || tx.version > 2)
        return make_error(Errc::tx_bad_version, "transaction version " + std::to_string(tx.version) +
                                                    " is not 1 or 2");
    if (tx.inputs.empty()) return make_error(Errc::tx_no_inputs, "transaction has no inputs");
    if (tx.outputs.empty()) return make_error(Errc::tx_no_outputs, "transaction has no outputs");

    std::int64_t total = 0;
    for (std::size_t i = 0; i < tx.outputs.size(); ++i) {
        const Output& output = tx.outputs[i];
        if (output.value < 0 || output.value > max_money)
            return make_error(Errc::tx_value_out_of_range,
                              "output " + std::to_string(i) + " value " +
                                  std::to_string(static_cast<std::uint64_t>(output.value)) +
                                  " sat is outside 0..2100000000000000");
        total += output.value;
        if (total > max_money)
            return make_error(Errc::tx_value_out_of_range, "outputs up to " + std::to_string(i) +
                                                               " add up to more than 21,000,000 BCH");
        if (output.token) {
            if (Status s = check_token_data(*output.token, rules.max_commitment_length); !s)
                return make_error(s.error().code, "output " + std::to_string(i) + ": " + s.error().message);
        }
    }

    const bool coinbase = tx.inputs.size() == 1 && tx.inputs[0].prevout.is_null();
    if (coinbase) {
        const std::size_t script = tx.inputs[0].unlocking_bytecode.size();
        if (script < 2 || script > 100)
            return make_error(Errc::tx_bad_coinbase, "coinbase script of " + std::to_string(script) +
                                                         " bytes is outside 2..100");
        for (const Output& output : tx.outputs)
            if (output.token) return make_error(Errc::tx_bad_coinbase, "a coinbase transaction carries tokens");
        return {};
    }

    std::vector<std::pair<Outpoint, std::size_t>> spent;
    spent.reserve(tx.inputs.size());
    for (std::size_t i = 0; i < tx.inputs.size(); ++i) {
        if (tx.inputs[i].prevout.is_null())
            return make_error(Errc::tx_null_prevout, "input " + std::to_string(i) + " spends the null outpoint");
        spent.emplace_back(tx.inputs[i].prevout, i);
    }
    std::sort(spent.begin(), spent.end());
    for (std::size_t i = 1; i < spent.size(); ++i) {
        if (spent[i].first == spent[i - 1].first)
            return make_error(Errc::tx_duplicate_input,
                              "inputs " + std::to_string(spent[i - 1].second) + " and " +
                                  std::to_string(spent[i].second) + " both spend " + spent[i].first.txid.hex() + ":" +
                                  std::to_string(spent[i].first.index));
    }
    return {};
}

std::int64_t dust_threshold(const Output& output) noexcept {
    return 3 * static_cast<std::int64_t>(serialized_size(output) + 148);
}

bool is_dust(const Output& output) noexcept {
    return !is_op_return(output) && output.value < dust_threshold(output);
}

Status check_standard(const Transaction& tx, std::size_t size) {
    if (size == 0) size = serialized_size(tx);
    if (size > max_standard_transaction_size)
        return make_error(Errc::tx_nonstandard_size, "transaction of " + std::to_string(size) +
                                                         " bytes exceeds the 100,000-byte standard maximum");
    std::size_t op_return_bytes = 0;
    for (std::size_t i = 0; i < tx.outputs.size(); ++i) {
        const Output& output = tx.outputs[i];
        if (is_op_return(output)) {
            op_return_bytes += output.locking_bytecode.size();
            continue;
        }
        if (is_dust(output))
            return make_error(Errc::tx_dust_output, "output " + std::to_string(i) + " must have a value of at least " +
                                                        value_text(dust_threshold(output)) + ", has " +
                                                        value_text(output.value));
    }
    if (op_return_bytes > max_op_return_relay)
        return make_error(Errc::tx_nonstandard_output, "OP_RETURN outputs hold " + std::to_string(op_return_bytes) +
                                                           " bytes, above the 223-byte relay limit");
    return {};
}

}  // namespace jpp
