// InvoiceService throughput on the SQLite store, and verify_payment() alone for 1- and 10-output invoices; beside
// them, the disk's own commit rate (a page rewritten and fdatasync'ed), the floor every durable write stands on.
// usage: jpp_bench_service [--seconds S] [--normal]   (--normal: synchronous=NORMAL instead of FULL)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "disk_floor.hpp"
#include "jpp/service.hpp"
#include "jpp/signer.hpp"
#include "jpp/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

jpp::Address merchant(std::uint8_t i) {
    return jpp::Address{jpp::Network::main, jpp::AddressKind::p2pkh, jpp::Bytes(20, i), false};
}

// A signed transaction paying every output of `invoice` from a fresh coin of `key`.
jpp::Bytes pay(const jpp::Invoice& invoice, const jpp::PrivateKey& key, std::uint32_t n, jpp::OfflineChain& chain) {
    jpp::Coin coin;
    coin.outpoint.txid.bytes.fill(0x42);
    coin.outpoint.index = n;
    std::vector<jpp::Output> outputs;
    std::int64_t total = 2000;
    for (const auto& o : invoice.outputs) {
        outputs.push_back(jpp::Output{o.amount, o.locking_bytecode, std::nullopt});
        total += o.amount;
    }
    const auto pkh = key.public_key_hash();
    coin.output = jpp::Output{total, jpp::locking_bytecode(jpp::Address{jpp::Network::main, jpp::AddressKind::p2pkh,
                                                                        jpp::Bytes(pkh.begin(), pkh.end()), false}),
                              std::nullopt};
    chain.add_coin(coin.outpoint, coin.output);
    return jpp::encode_transaction(*jpp::build_p2pkh_transaction(key, {&coin, 1}, outputs));
}

jpp::CreateInvoiceRequest request(std::size_t outputs) {
    jpp::CreateInvoiceRequest r;
    for (std::size_t i = 0; i < outputs; ++i)
        r.outputs.push_back(jpp::OutputRequest{10'000, jpp::encode_cashaddr(merchant(static_cast<std::uint8_t>(i + 1))),
                                               "", std::nullopt});
    r.memo = "benchmark";
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 2.0;
    jpp::SqliteOptions options;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = std::stod(argv[++i]);
        else if (std::strcmp(argv[i], "--normal") == 0) options.synchronous_full = false;
    }
    const auto path = std::filesystem::temp_directory_path() / ("jpp-bench-" + jpp::InvoiceId::generate().hex());
    auto store = jpp::SqliteStore::open(path.string(), options);
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        return 1;
    }
    jpp::OfflineChain chain;
    jpp::InProcessEventBus bus;
    jpp::SystemClock clock;
    jpp::InvoiceService service(**store, chain, bus, clock);
    jpp::Bytes secret(32, 0);
    secret[31] = 7;
    const auto key = *jpp::PrivateKey::from_bytes(secret);

    std::vector<jpp::Invoice> invoices;
    auto start = Clock::now();
    while (seconds_since(start) < seconds) invoices.push_back(*service.create(request(1)));
    const double create_rate = static_cast<double>(invoices.size()) / seconds_since(start);

    std::size_t fetched = 0;
    start = Clock::now();
    while (seconds_since(start) < seconds) {
        if (!service.get(invoices[fetched % invoices.size()].id)) return 1;
        ++fetched;
    }
    const double get_rate = static_cast<double>(fetched) / seconds_since(start);

    // Signing is done before the clock starts: the figure is the server's work (decode, verify, broadcast, record).
    const std::size_t to_pay = std::min<std::size_t>(invoices.size(), 20'000);
    std::vector<std::string> payments;
    for (std::size_t i = 0; i < to_pay; ++i)
        payments.push_back(jpp::to_hex(pay(invoices[i], key, static_cast<std::uint32_t>(i), chain)));
    std::size_t paid = 0;
    start = Clock::now();
    for (; paid < to_pay && seconds_since(start) < seconds; ++paid) {
        auto r = service.pay(invoices[paid].id, jpp::PayRequest{payments[paid], "", {}});
        if (!r) {
            std::fprintf(stderr, "pay failed: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    const double pay_rate = static_cast<double>(paid) / seconds_since(start);

    std::printf("SQLite store, synchronous=%s, WAL, one thread\n", options.synchronous_full ? "FULL" : "NORMAL");
    std::printf("%-40s %10.0f /s\n", "create invoice", create_rate);
    std::printf("%-40s %10.0f /s\n", "get invoice", get_rate);
    std::printf("%-40s %10.0f /s  (decode, verify, broadcast offline, record)\n", "pay invoice", pay_rate);
    std::printf("%-40s %10.0f /s  (4 KiB rewritten + fdatasync, same directory)\n", "disk commit floor",
                bench::disk_commit_rate(path.parent_path(), seconds / 2));

    for (std::size_t outputs : {1u, 10u}) {
        const jpp::Invoice invoice = *service.create(request(outputs));
        const jpp::Bytes raw = pay(invoice, key, 1'000'000 + static_cast<std::uint32_t>(outputs), chain);
        const jpp::Transaction tx = *jpp::decode_transaction(raw);
        std::size_t done = 0;
        start = Clock::now();
        while (seconds_since(start) < seconds / 2) {
            for (int i = 0; i < 1000; ++i)
                if (!jpp::verify_payment(invoice, tx, raw.size(), nullptr).ok()) return 1;
            done += 1000;
        }
        std::printf("verify_payment, %2zu-output invoice %17.0f /s\n", outputs,
                    static_cast<double>(done) / seconds_since(start));
    }
    store->reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    return 0;
}
