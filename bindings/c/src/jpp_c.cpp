// The C ABI over libjpp: translates C arguments, runs the C++ call, turns results and exceptions into statuses.
#include "jpp.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#pragma GCC diagnostic pop

#include "jpp/address.hpp"
#include "jpp/json.hpp"
#include "jpp/service.hpp"
#include "jpp/signer.hpp"
#include "jpp/open_store.hpp"
#include "jpp/transaction.hpp"
#include "jpp/webhook_signature.hpp"

namespace {

thread_local std::string last_error_message;

int fail(const jpp::Error& error) {
    last_error_message = error.describe();
    return static_cast<int>(error.code);
}

int fail(jpp::Errc code, const std::string& message) { return fail(jpp::make_error(code, message)); }

// For the catch blocks of guarded(): recording the message must not throw again.
int fail_quietly(jpp::Errc code, const char* message) noexcept {
    try {
        last_error_message = message;
    } catch (...) {
        last_error_message.clear();
    }
    return static_cast<int>(code);
}
int fail_quietly(jpp::Errc code, const std::string& message) noexcept { return fail_quietly(code, message.c_str()); }

// Runs `body` with this thread's error cleared; nothing thrown inside reaches the C caller. (Every entry point is
// also noexcept, so a path that forgot this would stop the process rather than unwind into C frames.)
template <class F>
int guarded(F&& body) noexcept {
    try {
        last_error_message.clear();
        return body();
    } catch (const std::bad_alloc&) {
        return fail_quietly(jpp::Errc::invalid_argument, "out of memory");
    } catch (const std::exception& e) {
        return fail_quietly(jpp::Errc::invalid_argument, std::string("internal error: ") + e.what());
    } catch (...) {
        return fail_quietly(jpp::Errc::invalid_argument, "internal error: an exception of unknown type");
    }
}

// The limits jppd reads request bodies with (its default --max-body-bytes, and 16 levels of nesting): a standard
// transaction of 100,000 bytes is 200,000 hex digits, and must be payable here as it is over HTTP.
constexpr jpp::JsonLimits request_limits{512 * 1024, 16};
// The offline signer's inputs: thousands of coins are fine, nesting is not (an array of flat objects is 2 levels).
constexpr jpp::JsonLimits signer_limits{64 * 1024 * 1024, 4};

char* copy_string(const std::string& s) {
    char* out = static_cast<char*>(std::malloc(s.size() + 1));
    if (!out) throw std::bad_alloc();
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

jpp::Network network_of(int n) {
    switch (n) {
    case JPP_NETWORK_TEST: return jpp::Network::test;
    case JPP_NETWORK_REGTEST: return jpp::Network::regtest;
    case JPP_NETWORK_MAIN: break;
    }
    return jpp::Network::main;
}

bool valid_network(int n) { return n == JPP_NETWORK_MAIN || n == JPP_NETWORK_TEST || n == JPP_NETWORK_REGTEST; }

// Takes a malloc()ed message from a host callback.
std::string take_message(char* message, const char* fallback) {
    if (!message) return fallback;
    std::string text(message);
    std::free(message);
    return text;
}

// "hex,hex,...": outputs in wire form, as host callbacks and jpp_verify_offline() take them.
jpp::Result<std::vector<jpp::Output>> parse_output_list(const std::string& list) {
    std::vector<jpp::Output> outputs;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        auto bytes = jpp::from_hex(std::string_view(list).substr(start, comma - start));
        if (!bytes) return jpp::make_error(jpp::Errc::invalid_argument, "spent output: " + bytes.error().message);
        auto output = jpp::decode_output(*bytes);
        if (!output) return jpp::make_error(jpp::Errc::invalid_argument, "spent output: " + output.error().message);
        outputs.push_back(std::move(*output));
        start = comma + 1;
    }
    return outputs;
}

class CallbackChain final : public jpp::ChainBackend {
public:
    explicit CallbackChain(const jpp_chain_callbacks* callbacks) {
        if (callbacks) callbacks_ = *callbacks;
    }

    jpp::Status broadcast(jpp::ByteView raw, const jpp::TxId& txid) override {
        if (!callbacks_.broadcast) return {};
        char* message = nullptr;
        const std::string raw_hex = jpp::to_hex(raw), txid_hex = txid.hex();
        int status = JPP_OK;
        // A host written in C++ may throw from its callback: it stops here, as a failed broadcast, never in the
        // library's caller.
        try {
            status = callbacks_.broadcast(callbacks_.user_data, raw_hex.c_str(), txid_hex.c_str(), &message);
        } catch (...) {
            std::free(message);
            return jpp::make_error(jpp::Errc::chain_unavailable, "the host's broadcast callback threw an exception");
        }
        std::string text = take_message(message, "the host's broadcast failed");
        if (status == JPP_OK) return {};
        return jpp::make_error(known(status) ? static_cast<jpp::Errc>(status) : jpp::Errc::broadcast_rejected, text);
    }

    jpp::Result<std::optional<std::vector<jpp::Output>>> spent_outputs(const jpp::Transaction& tx) override {
        if (!callbacks_.spent_outputs) return std::optional<std::vector<jpp::Output>>();
        char* outputs = nullptr;
        char* message = nullptr;
        const std::string raw = jpp::to_hex(jpp::encode_transaction(tx));
        int status = JPP_OK;
        try {
            status = callbacks_.spent_outputs(callbacks_.user_data, raw.c_str(), &outputs, &message);
        } catch (...) {
            std::free(outputs);
            std::free(message);
            return jpp::make_error(jpp::Errc::chain_unavailable,
                                   "the host's spent_outputs callback threw an exception");
        }
        std::string text = take_message(message, "the host could not look up spent outputs");
        if (status != JPP_OK) {
            std::free(outputs);
            return jpp::make_error(jpp::Errc::chain_unavailable, text);
        }
        if (!outputs) return std::optional<std::vector<jpp::Output>>();
        const std::string list(outputs);
        std::free(outputs);
        auto spent = parse_output_list(list);
        if (!spent) return std::move(spent).error();
        return std::optional<std::vector<jpp::Output>>(std::move(*spent));
    }

    jpp::Status ping() override { return {}; }

private:
    static bool known(int status) {
        return status > 0 && status <= static_cast<int>(jpp::errc_last);
    }
    jpp_chain_callbacks callbacks_{};
};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(JsonWriter& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

std::string verdict_json(const jpp::Verdict& verdict) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("valid");
    w.Bool(verdict.ok());
    w.Key("inputs_checked");
    w.Bool(verdict.inputs_checked);
    w.Key("fee");
    w.Int64(verdict.fee);
    w.Key("size");
    w.Uint64(verdict.size);
    w.Key("message");
    write_string(w, verdict.message);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

jpp::Result<jpp::Invoice> invoice_from_request(const char* request_json, int network) {
    auto request = jpp::parse_create_invoice(request_json, request_limits);
    if (!request) return std::move(request).error();
    jpp::ServiceConfig config;
    config.network = network_of(network);
    return jpp::build_invoice(*request, config, jpp::SystemClock().now());
}

}  // namespace

struct jpp_service {
    std::unique_ptr<jpp::InvoiceStore> store;
    std::unique_ptr<CallbackChain> chain;
    jpp::InProcessEventBus bus;
    jpp::SystemClock clock;
    std::unique_ptr<jpp::InvoiceService> service;
    std::string public_url;

    // The calls under way, so that jpp_service_close() waits for them and refuses new ones.
    std::mutex calls_mutex;
    std::condition_variable calls_done;
    std::size_t calls = 0;
    bool closing = false;

    jpp::JsonContext context() const { return jpp::JsonContext{public_url, clock.now()}; }
};

namespace {

// The services this thread is inside a call of, innermost last: a host callback runs inside the call that made it
// (pay, verify, announce_expired), and may call the service again.
thread_local std::vector<const jpp_service*> services_in_call;

bool inside_call_of(const jpp_service* service) {
    return std::find(services_in_call.begin(), services_in_call.end(), service) != services_in_call.end();
}

// Brackets one call on a service: counted while it runs, refused once the service is closing.
class ServiceCall {
public:
    explicit ServiceCall(jpp_service* service) : service_(service) {
        services_in_call.reserve(services_in_call.size() + 1);  // the push below cannot throw after the count
        std::lock_guard lock(service->calls_mutex);
        if (service->closing) return;
        ++service->calls;
        services_in_call.push_back(service);
        admitted_ = true;
    }
    ~ServiceCall() {
        if (!admitted_) return;
        services_in_call.erase(std::find(services_in_call.rbegin(), services_in_call.rend(), service_).base() - 1);
        std::lock_guard lock(service_->calls_mutex);
        // Notified under the lock: once it is released, the closing thread may free the service.
        if (--service_->calls == 0 && service_->closing) service_->calls_done.notify_all();
    }
    ServiceCall(const ServiceCall&) = delete;
    ServiceCall& operator=(const ServiceCall&) = delete;

    bool admitted() const { return admitted_; }

private:
    jpp_service* service_;
    bool admitted_ = false;
};

// Runs `body` as a call on `service`: guarded, counted, and refused on a closing service.
template <class F>
int service_call(jpp_service* service, F&& body) noexcept {
    return guarded([&] {
        if (!service) return fail(jpp::Errc::invalid_argument, "missing argument");
        ServiceCall call(service);
        if (!call.admitted()) return fail(jpp::Errc::invalid_argument, "the service is closed");
        return body();
    });
}

}  // namespace

extern "C" {

const char* jpp_version(void) noexcept { return "0.1.0"; }
int jpp_version_number(void) noexcept { return JPP_VERSION_NUMBER; }

const char* jpp_error_name(int status) noexcept {
    if (status < 0 || status > static_cast<int>(jpp::errc_last)) return "unknown";
    return jpp::errc_name(static_cast<jpp::Errc>(status)).data();  // names are string literals
}

int jpp_error_code(const char* name) noexcept {
    if (!name) return -1;
    for (int c = 0; c <= static_cast<int>(jpp::errc_last); ++c)
        if (jpp::errc_name(static_cast<jpp::Errc>(c)) == name) return c;
    return -1;
}

const char* jpp_last_error(void) noexcept { return last_error_message.c_str(); }

void jpp_string_free(char* string) noexcept { std::free(string); }
void jpp_bytes_free(uint8_t* bytes) noexcept { std::free(bytes); }

int jpp_transaction_decode(const char* raw_hex, int network, char** out_json) noexcept {
    if (out_json) *out_json = nullptr;
    return guarded([&] {
        if (!raw_hex || !out_json || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "raw_hex and out_json are required, network must be valid");
        const std::string_view hex(raw_hex);
        auto tx = jpp::decode_transaction_hex(hex);
        if (!tx) return fail(tx.error());
        rapidjson::StringBuffer buffer;
        JsonWriter w(buffer);
        w.StartObject();
        w.Key("txid");
        write_string(w, jpp::transaction_id(*tx).hex());
        w.Key("version");
        w.Uint(tx->version);
        w.Key("locktime");
        w.Uint(tx->locktime);
        w.Key("size");
        w.Uint64(hex.size() / 2);
        w.Key("inputs");
        w.StartArray();
        for (const jpp::Input& in : tx->inputs) {
            w.StartObject();
            w.Key("txid");
            write_string(w, in.prevout.txid.hex());
            w.Key("vout");
            w.Uint(in.prevout.index);
            w.Key("sequence");
            w.Uint(in.sequence);
            w.Key("unlocking_bytecode");
            write_string(w, jpp::to_hex(in.unlocking_bytecode));
            w.EndObject();
        }
        w.EndArray();
        w.Key("outputs");
        w.StartArray();
        for (const jpp::Output& out : tx->outputs) {
            w.StartObject();
            w.Key("value");
            w.Uint64(static_cast<std::uint64_t>(out.value));
            w.Key("locking_bytecode");
            write_string(w, jpp::to_hex(out.locking_bytecode));
            if (auto a = jpp::address_from_locking_bytecode(out.locking_bytecode, network_of(network), out.token.has_value())) {
                w.Key("address");
                write_string(w, jpp::encode_cashaddr(*a));
            }
            if (out.token) {
                w.Key("token");
                w.StartObject();
                w.Key("category");
                write_string(w, jpp::to_display_hex(out.token->category));
                w.Key("amount");
                write_string(w, std::to_string(out.token->amount));
                if (out.token->nft) {
                    w.Key("nft");
                    w.StartObject();
                    w.Key("capability");
                    write_string(w, std::string(jpp::nft_capability_name(out.token->nft->capability)));
                    w.Key("commitment");
                    write_string(w, jpp::to_hex(out.token->nft->commitment));
                    w.EndObject();
                }
                w.EndObject();
            }
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        *out_json = copy_string(std::string(buffer.GetString(), buffer.GetSize()));
        return JPP_OK;
    });
}

int jpp_address_to_locking_bytecode(const char* address, int network, uint8_t** out_bytes,
                                    size_t* out_length) noexcept {
    if (out_bytes) *out_bytes = nullptr;
    if (out_length) *out_length = 0;
    return guarded([&] {
        if (!address || !out_bytes || !out_length || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "address, out_bytes and out_length are required");
        auto decoded = jpp::decode_address(address, network_of(network));
        if (!decoded) return fail(decoded.error());
        const jpp::Bytes script = jpp::locking_bytecode(*decoded);
        auto* bytes = static_cast<uint8_t*>(std::malloc(script.size()));
        if (!bytes) throw std::bad_alloc();
        std::memcpy(bytes, script.data(), script.size());
        *out_bytes = bytes;
        *out_length = script.size();
        return JPP_OK;
    });
}

int jpp_locking_bytecode_to_address(const uint8_t* bytecode, size_t length, int network, int token_aware,
                                    char** out_address) noexcept {
    if (out_address) *out_address = nullptr;
    return guarded([&] {
        if ((!bytecode && length) || !out_address || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "bytecode and out_address are required");
        auto address = jpp::address_from_locking_bytecode(jpp::ByteView(bytecode, length), network_of(network),
                                                          token_aware != 0);
        if (!address) return fail(address.error());
        *out_address = copy_string(jpp::encode_cashaddr(*address));
        return JPP_OK;
    });
}

int jpp_invoice_build(const char* request_json, int network, char** out_invoice_json) noexcept {
    if (out_invoice_json) *out_invoice_json = nullptr;
    return guarded([&] {
        if (!request_json || !out_invoice_json || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "request_json and out_invoice_json are required");
        auto invoice = invoice_from_request(request_json, network);
        if (!invoice) return fail(invoice.error());
        *out_invoice_json = copy_string(jpp::invoice_to_json(*invoice, jpp::JsonContext{"", invoice->time}));
        return JPP_OK;
    });
}

int jpp_verify_offline(const char* request_json, int network, const char* raw_hex, const char* spent_outputs,
                       char** out_verdict_json) noexcept {
    if (out_verdict_json) *out_verdict_json = nullptr;
    return guarded([&] {
        if (!request_json || !raw_hex || !out_verdict_json || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "request_json, raw_hex and out_verdict_json are required");
        auto invoice = invoice_from_request(request_json, network);
        if (!invoice) return fail(invoice.error());
        auto raw = jpp::from_hex(raw_hex);
        if (!raw) return fail(raw.error());
        auto tx = jpp::decode_transaction(*raw);
        if (!tx) return fail(tx.error());
        std::optional<std::vector<jpp::Output>> spent;
        if (spent_outputs) {
            auto parsed = parse_output_list(spent_outputs);
            if (!parsed) return fail(parsed.error());
            spent = std::move(*parsed);
        }
        const jpp::Verdict verdict = jpp::verify_payment(*invoice, *tx, raw->size(), spent ? &*spent : nullptr);
        if (!verdict.ok()) return fail(verdict.code, verdict.message);
        *out_verdict_json = copy_string(verdict_json(verdict));
        return JPP_OK;
    });
}

int jpp_sign_p2pkh(const char* wif, const char* coins_json, const char* outputs_json, int network,
                   char** out_raw_hex) noexcept {
    if (out_raw_hex) *out_raw_hex = nullptr;
    return guarded([&] {
        if (!wif || !coins_json || !outputs_json || !out_raw_hex || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "wif, coins_json, outputs_json and out_raw_hex are required");
        auto key = jpp::PrivateKey::from_wif(wif);
        if (!key) return fail(key.error());
        const auto hash = key->public_key_hash();
        const jpp::Bytes own = jpp::locking_bytecode(
            jpp::Address{network_of(network), jpp::AddressKind::p2pkh, jpp::Bytes(hash.begin(), hash.end()), false});

        // Through the library's one JSON reader: bounded depth and size, UTF-8, no key twice.
        auto coins_doc = jpp::parse_json(coins_json, signer_limits);
        if (!coins_doc) return fail(coins_doc.error().code, "coins_json: " + coins_doc.error().describe());
        auto outputs_doc = jpp::parse_json(outputs_json, signer_limits);
        if (!outputs_doc) return fail(outputs_doc.error().code, "outputs_json: " + outputs_doc.error().describe());
        const jpp::JsonValue coin_list = coins_doc->root(), output_list = outputs_doc->root();
        if (!coin_list.is_array())
            return fail(jpp::Errc::json_invalid, "coins_json: expected an array of {txid, vout, value}");
        if (!output_list.is_array())
            return fail(jpp::Errc::json_invalid, "outputs_json: expected an array of {address, amount}");
        std::vector<jpp::Coin> coins;
        for (std::size_t i = 0; i < coin_list.size(); ++i) {
            const jpp::JsonValue c = coin_list[i];
            const std::string at = "coins[" + std::to_string(i) + "]";
            const auto txid_text = c.find("txid"), vout = c.find("vout"), value = c.find("value");
            if (!txid_text || !txid_text->is_string() || !vout || !vout->is_int64() || vout->as_int64() < 0 ||
                vout->as_int64() > 0xffffffffLL || !value || !value->is_int64())
                return fail(jpp::Errc::json_invalid, at + ": expected {txid: hex, vout: integer, value: integer}");
            auto txid = jpp::TxId::from_hex(txid_text->as_string());
            if (!txid) return fail(jpp::Errc::json_invalid, at + ".txid: " + txid.error().message);
            coins.push_back(jpp::Coin{jpp::Outpoint{*txid, static_cast<std::uint32_t>(vout->as_int64())},
                                      jpp::Output{value->as_int64(), own, std::nullopt}});
        }
        std::vector<jpp::Output> outputs;
        for (std::size_t i = 0; i < output_list.size(); ++i) {
            const jpp::JsonValue o = output_list[i];
            const std::string at = "outputs[" + std::to_string(i) + "]";
            const auto address_text = o.find("address"), amount = o.find("amount");
            if (!address_text || !address_text->is_string() || !amount || !amount->is_int64())
                return fail(jpp::Errc::json_invalid, at + ": expected {address: string, amount: integer}");
            auto address = jpp::decode_address(address_text->as_string(), network_of(network));
            if (!address) return fail(address.error().code, at + ".address: " + address.error().message);
            outputs.push_back(jpp::Output{amount->as_int64(), jpp::locking_bytecode(*address), std::nullopt});
        }
        auto tx = jpp::build_p2pkh_transaction(*key, coins, outputs);
        if (!tx) return fail(tx.error());
        *out_raw_hex = copy_string(jpp::to_hex(jpp::encode_transaction(*tx)));
        return JPP_OK;
    });
}

int jpp_webhook_verify(const char* secret, const char* signature_header, const uint8_t* body, size_t body_length,
                       int64_t now_unix, int64_t tolerance_seconds) noexcept {
    return guarded([&] {
        if (!secret || !signature_header || (!body && body_length != 0) || tolerance_seconds < 0)
            return fail(jpp::Errc::invalid_argument,
                        "secret and signature_header are required, body unless body_length is 0; the tolerance "
                        "cannot be negative");
        const jpp::Timestamp now =
            now_unix == 0 ? jpp::SystemClock().now() : jpp::Timestamp(std::chrono::seconds(now_unix));
        const std::string_view text(body ? reinterpret_cast<const char*>(body) : "", body_length);
        const jpp::Status verified =
            jpp::verify_webhook(secret, signature_header, text, now, std::chrono::seconds(tolerance_seconds));
        if (!verified) return fail(verified.error());
        return JPP_OK;
    });
}

int jpp_webhook_sign(const char* secret, const uint8_t* body, size_t body_length, int64_t at_unix,
                     char** out_header) noexcept {
    if (out_header) *out_header = nullptr;
    return guarded([&] {
        if (!secret || !out_header || (!body && body_length != 0) || at_unix < 0)
            return fail(jpp::Errc::invalid_argument,
                        "secret and out_header are required, body unless body_length is 0; the time cannot be "
                        "negative");
        if (*secret == '\0') return fail(jpp::Errc::invalid_argument, "the secret is empty");
        const jpp::Timestamp at =
            at_unix == 0 ? jpp::SystemClock().now() : jpp::Timestamp(std::chrono::seconds(at_unix));
        const std::string_view text(body ? reinterpret_cast<const char*>(body) : "", body_length);
        *out_header = copy_string(jpp::sign_webhook(secret, text, at));
        return JPP_OK;
    });
}

int jpp_service_open(jpp_service** out_service, const char* db_path, int network, const char* public_url,
                     const jpp_chain_callbacks* chain) noexcept {
    if (out_service) *out_service = nullptr;
    return guarded([&] {
        if (!out_service || !db_path || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "out_service and db_path are required");
        if (chain && chain->version != JPP_CHAIN_CALLBACKS_VERSION)
            return fail(jpp::Errc::invalid_argument, "jpp_chain_callbacks.version must be JPP_CHAIN_CALLBACKS_VERSION");
        auto store = jpp::open_store(db_path);
        if (!store) return fail(store.error());
        auto service = std::make_unique<jpp_service>();
        service->store = std::move(*store);
        service->chain = std::make_unique<CallbackChain>(chain);
        service->public_url = public_url ? public_url : "";
        jpp::ServiceConfig config;
        config.network = network_of(network);
        service->service = std::make_unique<jpp::InvoiceService>(*service->store, *service->chain, service->bus,
                                                                 service->clock, config);
        *out_service = service.release();
        return JPP_OK;
    });
}

int jpp_service_close(jpp_service* service) noexcept {
    if (!service) return JPP_OK;
    return guarded([&] {
        // The call that runs the callback still uses the service when the callback returns: closing is refused
        // (waiting for that call would never end, and freeing under it would be a use after free).
        if (inside_call_of(service))
            return fail(jpp::Errc::invalid_argument,
                        "jpp_service_close() from inside a callback of the same service is refused (the service "
                        "stays open): close it once the call that runs the callback has returned");
        {
            std::unique_lock lock(service->calls_mutex);
            if (service->closing) return fail(jpp::Errc::invalid_argument, "the service is already closing");
            service->closing = true;
            service->calls_done.wait(lock, [&] { return service->calls == 0; });
        }
        delete service;
        return JPP_OK;
    });
}

int jpp_service_create_invoice(jpp_service* service, const char* request_json, char** out_json) noexcept {
    if (out_json) *out_json = nullptr;
    return service_call(service, [&] {
        if (!request_json || !out_json) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto request = jpp::parse_create_invoice(request_json, request_limits);
        if (!request) return fail(request.error());
        auto invoice = service->service->create(*request);
        if (!invoice) return fail(invoice.error());
        *out_json = copy_string(jpp::invoice_to_json(*invoice, service->context()));
        return JPP_OK;
    });
}

int jpp_service_get_invoice(jpp_service* service, const char* invoice_id, char** out_json) noexcept {
    if (out_json) *out_json = nullptr;
    return service_call(service, [&] {
        if (!invoice_id || !out_json) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto id = jpp::InvoiceId::parse(invoice_id);
        if (!id) return fail(id.error());
        auto invoice = service->service->get(*id);
        if (!invoice) return fail(invoice.error());
        *out_json = copy_string(jpp::invoice_to_json(*invoice, service->context()));
        return JPP_OK;
    });
}

int jpp_service_verify(jpp_service* service, const char* invoice_id, const char* raw_hex, char** out_json) noexcept {
    if (out_json) *out_json = nullptr;
    return service_call(service, [&] {
        if (!invoice_id || !raw_hex || !out_json) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto id = jpp::InvoiceId::parse(invoice_id);
        if (!id) return fail(id.error());
        auto verdict = service->service->verify(*id, raw_hex);
        if (!verdict) return fail(verdict.error());
        *out_json = copy_string(verdict_json(*verdict));
        return JPP_OK;
    });
}

int jpp_service_pay(jpp_service* service, const char* invoice_id, const char* request_json, char** out_json) noexcept {
    if (out_json) *out_json = nullptr;
    return service_call(service, [&] {
        if (!invoice_id || !request_json || !out_json) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto id = jpp::InvoiceId::parse(invoice_id);
        if (!id) return fail(id.error());
        auto request = jpp::parse_pay_request(request_json, request_limits);
        if (!request) return fail(request.error());
        auto invoice = service->service->pay(*id, *request);
        if (!invoice) return fail(invoice.error());
        *out_json = copy_string(jpp::invoice_to_json(*invoice, service->context()));
        return JPP_OK;
    });
}

int jpp_service_announce_expired(jpp_service* service, size_t* out_count) noexcept {
    if (out_count) *out_count = 0;
    return service_call(service, [&] {
        if (!out_count) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto count = service->service->announce_expired();
        if (!count) return fail(count.error());
        *out_count = *count;
        return JPP_OK;
    });
}

int jpp_service_subscribe(jpp_service* service, jpp_event_callback callback, void* user_data,
                          uint64_t* out_id) noexcept {
    if (out_id) *out_id = 0;
    return service_call(service, [&] {
        if (!callback || !out_id) return fail(jpp::Errc::invalid_argument, "missing argument");
        *out_id = service->bus.subscribe_all([service, callback, user_data](const jpp::Event& event) {
            // The two types this ABI has always named; the library's newer ones (invoice_created, ...) are not
            // forwarded, so that hosts written against them see no change.
            if (event.type != jpp::EventType::payment_received && event.type != jpp::EventType::invoice_expired)
                return;
            const std::string json = jpp::event_to_json(event, service->context());
            try {
                callback(user_data, jpp::event_type_name(event.type).data(), json.c_str());
            } catch (...) {
                // A C++ host's callback that throws: the event is lost to it, nothing else is.
            }
        });
        return JPP_OK;
    });
}

int jpp_service_unsubscribe(jpp_service* service, uint64_t id) noexcept {
    return service_call(service, [&] {
        try {
            service->bus.unsubscribe(id);  // waits for the callback's calls on other threads; unknown ids are ignored
        } catch (const std::logic_error& e) {
            return fail(jpp::Errc::invalid_argument, e.what());  // removed, but its call in flight waits for ours
        }
        return JPP_OK;
    });
}

}  // extern "C"
