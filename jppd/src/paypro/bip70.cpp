#include "paypro/bip70.hpp"

#include <jpp/address.hpp>
#include <jpp/bytes.hpp>
#include <jpp/json.hpp>
#include <jpp/transaction.hpp>

#include "api/errors.hpp"
#include "http/accept.hpp"
#include "paymentrequest.pb.h"
#include "ws/utf8.hpp"

namespace jppd::paypro {

namespace {

using jpp::Errc;

// One standard transaction and what surrounds it; BIP70 itself asks servers to refuse Payments above 50,000
// bytes, which would refuse standard transactions that are larger.
constexpr std::size_t max_payment_bytes = jpp::max_standard_transaction_size + 16 * 1024;
// What a wallet echoes of the PaymentRequest's merchant_data: ours is the invoice id, 32 characters.
constexpr std::size_t max_merchant_data_bytes = 1024;

http::Response text(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = jpp::to_valid_utf8(body);  // it may quote what the client sent
    if (status == 503) r.with_header("Retry-After", "5");
    return r;
}

// Short texts: Electron Cash puts them in a dialog or a toast. What only the operator may see (the node's URL,
// SQLite's words) goes to the log instead (api::public_message).
http::Response error_text(const jpp::Error& error, const jpp::InvoiceId& id) {
    switch (error.code) {
        case Errc::invoice_not_found: return text(404, "Invoice not found");
        case Errc::invoice_expired: return text(400, "Invoice has expired");
        case Errc::invoice_already_paid: return text(400, "Invoice already paid");
        case Errc::broadcast_rejected:
            return text(400, "Transaction rejected by the network: " +
                                 api::public_message(error, "BIP70 payment to " + id.hex()));
        case Errc::chain_unavailable:
            api::public_message(error, "BIP70, invoice " + id.hex());
            return text(503, "The payment server cannot reach the network; try again shortly");
        case Errc::store_failure:
            api::public_message(error, "BIP70, invoice " + id.hex());
            return text(503, "The payment server cannot record payments now; try again shortly");
        case Errc::payment_in_progress:
            return text(503, "Another payment for this invoice is being processed; try again shortly");
        default: break;
    }
    if ((error.code >= Errc::truncated && error.code <= Errc::invalid_token_prefix) ||
        (error.code >= Errc::tx_undersize && error.code <= Errc::tx_bad_coinbase))
        return text(400, "Unable to parse the transaction: " + error.message);
    return text(api::http_status(error.code) >= 500 ? 500 : 400,
                api::public_message(error, "BIP70, invoice " + id.hex()));
}

std::string_view bip70_network(jpp::Network network) {
    // BIP70 knows "main" and "test"; regtest wallets run with their test settings.
    return network == jpp::Network::main ? "main" : "test";
}

bool is_utf8(std::string_view s) {
    ws::Utf8Validator v;
    return v.feed(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) && v.complete();
}

// The payer's memo, cut to what the service stores, on a character boundary (it is UTF-8: checked before).
std::string payer_memo(const std::string& memo, std::size_t limit) {
    if (memo.size() <= limit) return memo;
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(memo[n]) & 0xC0) == 0x80) --n;
    return memo.substr(0, n);
}

}  // namespace

http::Response bip70_payment_request(const api::ApiContext& api, const jpp::InvoiceId& id,
                                     const std::string& payment_url) {
    auto invoice = api.service.get(id);
    if (!invoice) return error_text(invoice.error(), id);
    switch (invoice->status_at(api.clock.now())) {
        case jpp::InvoiceStatus::paid:
        case jpp::InvoiceStatus::confirmed:
        case jpp::InvoiceStatus::reversed: return text(400, "Invoice already paid");
        case jpp::InvoiceStatus::expired: return text(400, "Invoice has expired");
        case jpp::InvoiceStatus::cancelled: return text(400, "Invoice was cancelled");
        case jpp::InvoiceStatus::open: break;
    }
    for (const auto& o : invoice->outputs)
        if (o.token)
            return text(406, "This invoice asks for CashTokens, which BIP70 cannot express: pay it through the JSON "
                             "Payment Protocol (Accept: application/payment-options)");

    payments::PaymentDetails details;
    details.set_network(std::string(bip70_network(invoice->network)));
    for (const auto& o : invoice->outputs) {
        payments::Output* out = details.add_outputs();
        // Written even when zero: some wallets treat a missing amount as an error.
        out->set_amount(static_cast<std::uint64_t>(o.amount));
        out->set_script(o.locking_bytecode.data(), o.locking_bytecode.size());
    }
    details.set_time(static_cast<std::uint64_t>(invoice->time.time_since_epoch().count()));
    details.set_expires(static_cast<std::uint64_t>(invoice->expires.time_since_epoch().count()));
    details.set_memo(invoice->memo.empty() ? "Payment request for invoice " + invoice->id.hex() : invoice->memo);
    details.set_payment_url(payment_url);
    // Present and non-empty: Bitcoin.com-era wallets cannot pay a request without it. The invoice is known by its
    // URL; this only lets a wallet's records name it.
    details.set_merchant_data(invoice->id.hex());

    payments::PaymentRequest request;
    // Written explicitly, though they are the defaults: clients built on bitcore reject requests without them.
    request.set_payment_details_version(1);
    request.set_pki_type("none");
    request.set_serialized_payment_details(details.SerializeAsString());

    http::Response r;
    r.content_type = std::string(bip70_request_type);  // exactly this: Electron Cash compares the whole header
    r.body = request.SerializeAsString();
    return r;
}

http::Response bip70_payment(const api::ApiContext& api, const jpp::InvoiceId& id, const http::Request& request) {
    static const std::vector<std::string_view> acknowledgement{bip70_ack_type};
    if (!http::negotiate(request.header("accept"), acknowledgement))
        return text(406, "This server answers a Payment with " + std::string(bip70_ack_type));
    if (request.body.size() > max_payment_bytes) return text(400, "Payment too large");

    // An unknown invoice is named first, whatever else is wrong with the request.
    if (auto invoice = api.service.get(id); !invoice) return error_text(invoice.error(), id);

    payments::Payment payment;
    // The partial parse and the check of required fields apart: ParseFromString would log every malformed body.
    // (No message of the schema nests; protobuf bounds the nesting of unknown groups.)
    if (!payment.ParsePartialFromString(request.body) || !payment.IsInitialized())
        return text(400, "Unable to parse payment");
    if (payment.transactions_size() != 1) return text(400, "Request must include exactly one (1) transaction");
    // Every list and text a payer controls is bounded: the Payment comes back in the acknowledgement, and the
    // refunds and memo go to every watcher of the invoice.
    const jpp::ServiceConfig& limits = api.service.config();
    if (static_cast<std::size_t>(payment.refund_to_size()) > limits.max_refund_outputs)
        return text(400, "Too many refund outputs: at most " + std::to_string(limits.max_refund_outputs));
    if (payment.merchant_data().size() > max_merchant_data_bytes)
        return text(400, "merchant_data longer than " + std::to_string(max_merchant_data_bytes) + " bytes");
    if (!is_utf8(payment.memo())) return text(400, "Unable to parse payment: the memo is not UTF-8");

    jpp::PayRequest pay;
    const std::string& raw = payment.transactions(0);
    pay.raw_tx_hex = jpp::to_hex(jpp::ByteView(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
    pay.memo = payer_memo(payment.memo(), limits.max_memo_bytes);
    for (const auto& refund : payment.refund_to()) {
        // Kept when the script is an address; a refund to anything else could not be paid by us anyway.
        const auto* script = reinterpret_cast<const std::uint8_t*>(refund.script().data());
        auto address = jpp::address_from_locking_bytecode(jpp::ByteView(script, refund.script().size()),
                                                           limits.network);
        if (!address || refund.amount() > static_cast<std::uint64_t>(jpp::max_money)) continue;
        pay.refund_to.push_back({static_cast<std::int64_t>(refund.amount()), jpp::encode_cashaddr(*address)});
    }

    auto paid = api.service.pay(id, pay);
    api::count_payment(metrics::Protocol::bip70, paid ? nullptr : &paid.error());
    if (!paid) return error_text(paid.error(), id);

    payments::PaymentACK ack;
    *ack.mutable_payment() = payment;  // the Payment as received: wallets read the transaction back from it
    ack.set_memo(api.dev_mode ? "Payment recorded (development server: not broadcast)"
                              : "Payment received. Thank you.");
    http::Response r;
    r.content_type = std::string(bip70_ack_type);
    r.body = ack.SerializeAsString();
    return r;
}

}  // namespace jppd::paypro
