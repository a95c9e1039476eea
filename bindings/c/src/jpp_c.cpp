// The C ABI over libjpp: translates C arguments, runs the C++ call, turns results and exceptions into statuses.
#include "jpp.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

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
#include "jpp/sqlite_store.hpp"
#include "jpp/transaction.hpp"

namespace {

thread_local std::string last_error_message;

int fail(const jpp::Error& error) {
    last_error_message = error.describe();
    return static_cast<int>(error.code);
}

int fail(jpp::Errc code, const std::string& message) { return fail(jpp::make_error(code, message)); }

// Runs `body` with this thread's error cleared; nothing thrown inside reaches the C caller.
template <class F>
int guarded(F&& body) {
    try {
        last_error_message.clear();
        return body();
    } catch (const std::bad_alloc&) {
        return fail(jpp::Errc::invalid_argument, "out of memory");
    } catch (const std::exception& e) {
        return fail(jpp::Errc::invalid_argument, std::string("internal error: ") + e.what());
    }
}

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
        const int status = callbacks_.broadcast(callbacks_.user_data, jpp::to_hex(raw).c_str(), txid.hex().c_str(),
                                                &message);
        std::string text = take_message(message, "the host's broadcast failed");
        if (status == JPP_OK) return {};
        return jpp::make_error(known(status) ? static_cast<jpp::Errc>(status) : jpp::Errc::broadcast_rejected, text);
    }

    jpp::Result<std::optional<std::vector<jpp::Output>>> spent_outputs(const jpp::Transaction& tx) override {
        if (!callbacks_.spent_outputs) return std::optional<std::vector<jpp::Output>>();
        char* outputs = nullptr;
        char* message = nullptr;
        const std::string raw = jpp::to_hex(jpp::encode_transaction(tx));
        const int status = callbacks_.spent_outputs(callbacks_.user_data, raw.c_str(), &outputs, &message);
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
    auto request = jpp::parse_create_invoice(request_json);
    if (!request) return std::move(request).error();
    jpp::ServiceConfig config;
    config.network = network_of(network);
    return jpp::build_invoice(*request, config, jpp::SystemClock().now());
}

}  // namespace

struct jpp_service {
    std::unique_ptr<jpp::SqliteStore> store;
    std::unique_ptr<CallbackChain> chain;
    jpp::InProcessEventBus bus;
    jpp::SystemClock clock;
    std::unique_ptr<jpp::InvoiceService> service;
    std::string public_url;

    jpp::JsonContext context() const { return jpp::JsonContext{public_url, clock.now()}; }
};

extern "C" {

const char* jpp_version(void) { return "0.1.0"; }
int jpp_version_number(void) { return JPP_VERSION_NUMBER; }

const char* jpp_error_name(int status) {
    if (status < 0 || status > static_cast<int>(jpp::errc_last)) return "unknown";
    return jpp::errc_name(static_cast<jpp::Errc>(status)).data();  // names are string literals
}

int jpp_error_code(const char* name) {
    if (!name) return -1;
    for (int c = 0; c <= static_cast<int>(jpp::errc_last); ++c)
        if (jpp::errc_name(static_cast<jpp::Errc>(c)) == name) return c;
    return -1;
}

const char* jpp_last_error(void) { return last_error_message.c_str(); }

void jpp_string_free(char* string) { std::free(string); }
void jpp_bytes_free(uint8_t* bytes) { std::free(bytes); }

int jpp_transaction_decode(const char* raw_hex, int network, char** out_json) {
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
                                    size_t* out_length) {
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
                                    char** out_address) {
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

int jpp_invoice_build(const char* request_json, int network, char** out_invoice_json) {
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
                       char** out_verdict_json) {
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
                   char** out_raw_hex) {
    if (out_raw_hex) *out_raw_hex = nullptr;
    return guarded([&] {
        if (!wif || !coins_json || !outputs_json || !out_raw_hex || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "wif, coins_json, outputs_json and out_raw_hex are required");
        auto key = jpp::PrivateKey::from_wif(wif);
        if (!key) return fail(key.error());
        const auto hash = key->public_key_hash();
        const jpp::Bytes own = jpp::locking_bytecode(
            jpp::Address{network_of(network), jpp::AddressKind::p2pkh, jpp::Bytes(hash.begin(), hash.end()), false});

        // Through the library's one JSON reader: bounded depth and size, UTF-8, no key twice. A list of coins a
        // standard transaction can spend fits easily.
        const jpp::JsonLimits limits{4 * 1024 * 1024, 4};
        auto coins_doc = jpp::parse_json(coins_json, limits);
        if (!coins_doc) return fail(coins_doc.error().code, "coins_json: " + coins_doc.error().describe());
        auto outputs_doc = jpp::parse_json(outputs_json, limits);
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

int jpp_service_open(jpp_service** out_service, const char* db_path, int network, const char* public_url,
                     const jpp_chain_callbacks* chain) {
    if (out_service) *out_service = nullptr;
    return guarded([&] {
        if (!out_service || !db_path || !valid_network(network))
            return fail(jpp::Errc::invalid_argument, "out_service and db_path are required");
        if (chain && chain->version != JPP_CHAIN_CALLBACKS_VERSION)
            return fail(jpp::Errc::invalid_argument, "jpp_chain_callbacks.version must be JPP_CHAIN_CALLBACKS_VERSION");
        auto store = jpp::SqliteStore::open(db_path);
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

void jpp_service_close(jpp_service* service) { delete service; }

int jpp_service_create_invoice(jpp_service* service, const char* request_json, char** out_json) {
    if (out_json) *out_json = nullptr;
    return guarded([&] {
        if (!service || !request_json || !out_json) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto request = jpp::parse_create_invoice(request_json);
        if (!request) return fail(request.error());
        auto invoice = service->service->create(*request);
        if (!invoice) return fail(invoice.error());
        *out_json = copy_string(jpp::invoice_to_json(*invoice, service->context()));
        return JPP_OK;
    });
}

int jpp_service_get_invoice(jpp_service* service, const char* invoice_id, char** out_json) {
    if (out_json) *out_json = nullptr;
    return guarded([&] {
        if (!service || !invoice_id || !out_json) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto id = jpp::InvoiceId::parse(invoice_id);
        if (!id) return fail(id.error());
        auto invoice = service->service->get(*id);
        if (!invoice) return fail(invoice.error());
        *out_json = copy_string(jpp::invoice_to_json(*invoice, service->context()));
        return JPP_OK;
    });
}

int jpp_service_verify(jpp_service* service, const char* invoice_id, const char* raw_hex, char** out_json) {
    if (out_json) *out_json = nullptr;
    return guarded([&] {
        if (!service || !invoice_id || !raw_hex || !out_json) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto id = jpp::InvoiceId::parse(invoice_id);
        if (!id) return fail(id.error());
        auto verdict = service->service->verify(*id, raw_hex);
        if (!verdict) return fail(verdict.error());
        *out_json = copy_string(verdict_json(*verdict));
        return JPP_OK;
    });
}

int jpp_service_pay(jpp_service* service, const char* invoice_id, const char* request_json, char** out_json) {
    if (out_json) *out_json = nullptr;
    return guarded([&] {
        if (!service || !invoice_id || !request_json || !out_json)
            return fail(jpp::Errc::invalid_argument, "missing argument");
        auto id = jpp::InvoiceId::parse(invoice_id);
        if (!id) return fail(id.error());
        auto request = jpp::parse_pay_request(request_json);
        if (!request) return fail(request.error());
        auto invoice = service->service->pay(*id, *request);
        if (!invoice) return fail(invoice.error());
        *out_json = copy_string(jpp::invoice_to_json(*invoice, service->context()));
        return JPP_OK;
    });
}

int jpp_service_announce_expired(jpp_service* service, size_t* out_count) {
    if (out_count) *out_count = 0;
    return guarded([&] {
        if (!service || !out_count) return fail(jpp::Errc::invalid_argument, "missing argument");
        auto count = service->service->announce_expired();
        if (!count) return fail(count.error());
        *out_count = *count;
        return JPP_OK;
    });
}

int jpp_service_subscribe(jpp_service* service, jpp_event_callback callback, void* user_data, uint64_t* out_id) {
    if (out_id) *out_id = 0;
    return guarded([&] {
        if (!service || !callback || !out_id) return fail(jpp::Errc::invalid_argument, "missing argument");
        *out_id = service->bus.subscribe_all([service, callback, user_data](const jpp::Event& event) {
            const std::string json = jpp::event_to_json(event, service->context());
            callback(user_data, jpp::event_type_name(event.type).data(), json.c_str());
        });
        return JPP_OK;
    });
}

int jpp_service_unsubscribe(jpp_service* service, uint64_t id) {
    return guarded([&] {
        if (!service) return fail(jpp::Errc::invalid_argument, "missing argument");
        service->bus.unsubscribe(id);
        return JPP_OK;
    });
}

}  // extern "C"
