#include "jpp/invoice.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace jpp {

InvoiceId InvoiceId::generate() {
    InvoiceId id;
    if (RAND_bytes(id.bytes.data(), static_cast<int>(id.bytes.size())) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed: no randomness for an invoice id");
    // RFC 4122 version 4 (random) and variant 10xx.
    id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0f) | 0x40);
    id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3f) | 0x80);
    return id;
}

Result<InvoiceId> InvoiceId::parse(std::string_view text) {
    std::string digits;
    if (text.size() == 36) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            const bool dash_place = i == 8 || i == 13 || i == 18 || i == 23;
            if ((text[i] == '-') != dash_place)
                return make_error(Errc::invalid_argument, "invoice id: expected 8-4-4-4-12 hex digits");
            if (!dash_place) digits.push_back(text[i]);
        }
    } else if (text.size() == 32) {
        digits = text;
    } else {
        return make_error(Errc::invalid_argument, "invoice id: expected 32 hex digits, got " +
                                                      std::to_string(text.size()) + " characters");
    }
    auto bytes = from_hex(digits);
    if (!bytes) return make_error(Errc::invalid_argument, "invoice id: " + bytes.error().message);
    InvoiceId id;
    std::copy(bytes->begin(), bytes->end(), id.bytes.begin());
    return id;
}

std::string InvoiceId::hex() const { return to_hex(bytes); }

std::string_view invoice_status_name(InvoiceStatus status) noexcept {
    switch (status) {
    case InvoiceStatus::open: return "open";
    case InvoiceStatus::paid: return "paid";
    case InvoiceStatus::expired: return "expired";
    case InvoiceStatus::cancelled: return "cancelled";
    case InvoiceStatus::confirmed: return "confirmed";
    case InvoiceStatus::reversed: return "reversed";
    }
    return "unknown";
}

std::string_view payment_source_name(PaymentSource source) noexcept {
    return source == PaymentSource::address ? "address" : "protocol";
}

std::optional<InvoiceStatus> invoice_status_from_name(std::string_view name) noexcept {
    for (const InvoiceStatus s : {InvoiceStatus::open, InvoiceStatus::paid, InvoiceStatus::expired,
                                  InvoiceStatus::cancelled, InvoiceStatus::confirmed, InvoiceStatus::reversed})
        if (invoice_status_name(s) == name) return s;
    return std::nullopt;
}

InvoiceStatus Invoice::status_at(Timestamp now) const noexcept {
    if (payment) {
        if (payment->chain.reversed) return InvoiceStatus::reversed;
        return payment->chain.confirmed ? InvoiceStatus::confirmed : InvoiceStatus::paid;
    }
    if (cancelled) return InvoiceStatus::cancelled;
    return now >= expires ? InvoiceStatus::expired : InvoiceStatus::open;
}

std::int64_t Invoice::total_amount() const noexcept {
    std::int64_t total = 0;
    for (const InvoiceOutput& output : outputs) total += output.amount;
    return total;
}

}  // namespace jpp
