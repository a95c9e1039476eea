// Unit-testing payment logic offline: create an invoice, pay it with a transaction signed by the offline signer,
// verify, pay against an in-memory chain, and receive the payment_received event. No node, no network, no daemon.
#include <cstdio>
#include <filesystem>
#include <vector>

#include <jpp/json.hpp>
#include <jpp/service.hpp>
#include <jpp/signer.hpp>
#include <jpp/sqlite_store.hpp>

namespace {

int fail(const char* step, const jpp::Error& error) {
    std::fprintf(stderr, "%s: %s [%s]\n", step, error.describe().c_str(), std::string(jpp::errc_name(error.code)).c_str());
    return 1;
}

}  // namespace

int main() {
    // The pieces a host wires together: a store, a chain backend, an event bus and a clock.
    const auto db = std::filesystem::temp_directory_path() / ("offline-payment-" + jpp::InvoiceId::generate().hex());
    auto store = jpp::SqliteStore::open(db.string());
    if (!store) return fail("open store", store.error());
    jpp::OfflineChain chain;
    jpp::InProcessEventBus bus;
    jpp::SystemClock clock;
    jpp::InvoiceService service(**store, chain, bus, clock);
    const jpp::JsonContext json{"http://127.0.0.1:8000", clock.now()};
    int notified = 0;
    bus.subscribe_all([&](const jpp::Event& event) {
        std::printf("event: %s\n", jpp::event_to_json(event, json).c_str());
        ++notified;
    });

    // 1. The merchant asks for 12,345 sat.
    jpp::CreateInvoiceRequest request;
    request.outputs.push_back({12'345, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "coffee", {}});
    request.memo = "One coffee";
    auto invoice = service.create(request);
    if (!invoice) return fail("create", invoice.error());
    std::printf("invoice %s: %s\n", invoice->id.hex().c_str(), jpp::invoice_to_json(*invoice, json).c_str());

    // 2. The customer's wallet: a key (the secret 1, for the example), a coin it owns, a signed transaction.
    jpp::Bytes secret(32, 0);
    secret[31] = 1;
    auto key = jpp::PrivateKey::from_bytes(secret);
    if (!key) return fail("key", key.error());
    const auto pkh = key->public_key_hash();
    const jpp::Address wallet{jpp::Network::main, jpp::AddressKind::p2pkh, jpp::Bytes(pkh.begin(), pkh.end()), false};
    jpp::Coin coin;
    coin.outpoint.txid.bytes.fill(0x11);
    coin.output = jpp::Output{100'000, jpp::locking_bytecode(wallet), std::nullopt};
    chain.add_coin(coin.outpoint, coin.output);  // so the server can check inputs and fee
    const std::vector<jpp::Output> outputs{
        {invoice->outputs[0].amount, invoice->outputs[0].locking_bytecode, std::nullopt},
        {87'429, jpp::locking_bytecode(wallet), std::nullopt}};  // change; 226 sat fee
    auto tx = jpp::build_p2pkh_transaction(*key, {&coin, 1}, outputs);
    if (!tx) return fail("sign", tx.error());
    const std::string hex = jpp::to_hex(jpp::encode_transaction(*tx));
    std::printf("signed transaction %s\n", jpp::transaction_id(*tx).hex().c_str());

    // 3. The server: verify, then pay (broadcast to the offline chain, record, publish).
    auto verdict = service.verify(invoice->id, hex);
    if (!verdict) return fail("verify", verdict.error());
    std::printf("verify: ok, fee %lld sat for %zu bytes (inputs checked: %s)\n", static_cast<long long>(verdict->fee),
                verdict->size, verdict->inputs_checked ? "yes" : "no");
    auto paid = service.pay(invoice->id, jpp::PayRequest{hex, "Thanks!", {}});
    if (!paid) return fail("pay", paid.error());
    std::printf("paid by %s; broadcasts: %zu; events: %d\n", paid->payment->txid.hex().c_str(),
                chain.broadcasts().size(), notified);

    store->reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
    return notified == 1 ? 0 : 1;
}
