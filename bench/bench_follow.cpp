// The cost of following the chain: ChainFollower rounds over an in-memory node, with thousands of open
// address-payable invoices (each at its own address) in a SQLite store and a block of thousands of transactions.
// Printed: an idle round (nothing new: what every poll interval costs), a round reading a block in which no
// transaction pays an invoice, one in which a hundred do, and a mempool of new transactions matched against the
// addresses. Also the decode of the block alone, to show what the rest of a round costs.
// usage: jpp_bench_follow [--invoices N] [--transactions N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "jpp/chain_follower.hpp"
#include "jpp/service.hpp"
#include "jpp/sqlite_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

jpp::Address address_of(std::uint32_t n) {
    jpp::Bytes hash(20, 0x5a);
    std::memcpy(hash.data(), &n, sizeof n);
    return jpp::Address{jpp::Network::main, jpp::AddressKind::p2pkh, hash, false};
}

// A transaction of one input and two outputs (as most are), the first to `to`; unsigned: the follower only decodes.
jpp::Bytes transaction(std::uint32_t n, const jpp::Bytes& to, std::int64_t amount) {
    jpp::Transaction tx;
    jpp::Input in;
    in.prevout.txid.bytes.fill(0x11);
    std::memcpy(in.prevout.txid.bytes.data(), &n, sizeof n);
    in.unlocking_bytecode = jpp::Bytes(107, 0x30);  // a signature and a public key's worth of bytes
    tx.inputs.push_back(in);
    tx.outputs.push_back(jpp::Output{amount, to, std::nullopt});
    tx.outputs.push_back(jpp::Output{123'456, jpp::locking_bytecode(address_of(0xf0000000u + n)), std::nullopt});
    return jpp::encode_transaction(tx);
}

jpp::Bytes make_block(const jpp::BlockHash& previous, std::uint32_t nonce, const std::vector<jpp::Bytes>& transactions) {
    jpp::Bytes raw;
    jpp::Writer w(raw);
    w.u32le(0x20000000);
    w.bytes(previous.bytes);
    w.bytes(jpp::Hash256{});
    w.u32le(1'700'000'000);
    w.u32le(0x207fffff);
    w.u32le(nonce);
    w.compact_size(transactions.size() + 1);
    jpp::Transaction coinbase;
    jpp::Input in;
    in.prevout.index = 0xffffffff;
    in.unlocking_bytecode = jpp::Bytes{0x04, static_cast<std::uint8_t>(nonce), 1, 2, 3};
    coinbase.inputs.push_back(in);
    coinbase.outputs.push_back(jpp::Output{0, jpp::Bytes{0x51}, std::nullopt});
    w.bytes(jpp::encode_transaction(coinbase));
    for (const jpp::Bytes& tx : transactions) w.bytes(tx);
    return raw;
}

// A node in memory: blocks by height, and a mempool.
struct MemoryNode final : jpp::ChainFeed {
    std::vector<jpp::Bytes> blocks;
    std::map<jpp::TxId, jpp::Bytes> pool;
    jpp::Timestamp arrival{};

    jpp::BlockHash hash_at(std::size_t h) const {
        return jpp::BlockHash{jpp::sha256d(jpp::ByteView(blocks[h]).first(80))};
    }
    void mine(const std::vector<jpp::Bytes>& transactions) {
        blocks.push_back(make_block(blocks.empty() ? jpp::BlockHash{} : hash_at(blocks.size() - 1),
                               static_cast<std::uint32_t>(blocks.size()), transactions));
    }
    jpp::Result<std::int64_t> tip_height() override { return static_cast<std::int64_t>(blocks.size()) - 1; }
    jpp::Result<jpp::BlockHash> block_hash(std::int64_t h) override { return hash_at(static_cast<std::size_t>(h)); }
    jpp::Result<jpp::Bytes> block(const jpp::BlockHash& hash) override {
        for (std::size_t h = blocks.size(); h-- > 0;)
            if (hash_at(h) == hash) return blocks[h];
        return jpp::make_error(jpp::Errc::chain_unavailable, "no such block");
    }
    jpp::Result<std::vector<jpp::TxId>> mempool() override {
        std::vector<jpp::TxId> ids;
        for (const auto& [id, raw] : pool) ids.push_back(id);
        return ids;
    }
    jpp::Result<std::optional<MempoolTransaction>> mempool_transaction(const jpp::TxId& txid) override {
        const auto found = pool.find(txid);
        if (found == pool.end()) return std::optional<MempoolTransaction>{};
        return std::optional<MempoolTransaction>(MempoolTransaction{found->second, arrival});
    }
};

}  // namespace

int main(int argc, char** argv) {
    std::uint32_t invoices = 5000;
    std::uint32_t transactions = 5000;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--invoices") == 0) invoices = static_cast<std::uint32_t>(std::stoul(argv[++i]));
        else if (std::strcmp(argv[i], "--transactions") == 0)
            transactions = static_cast<std::uint32_t>(std::stoul(argv[++i]));
    }
    const auto path = std::filesystem::temp_directory_path() / ("jpp-bench-" + jpp::InvoiceId::generate().hex());
    auto store = jpp::SqliteStore::open(path.string());
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        return 1;
    }
    jpp::OfflineChain chain;
    jpp::InProcessEventBus bus;
    jpp::SystemClock clock;
    jpp::ServiceConfig config;
    config.address_payments = true;
    jpp::InvoiceService service(**store, chain, bus, clock, config);
    MemoryNode node;
    node.mine({});
    jpp::ChainFollower follower(**store, node, bus, clock, {}, &service);
    if (!follower.poll()) return 1;  // handles the tip: block 0

    std::vector<jpp::Invoice> open;
    for (std::uint32_t i = 0; i < invoices; ++i) {
        jpp::CreateInvoiceRequest r;
        r.outputs.push_back(jpp::OutputRequest{10'000, jpp::encode_cashaddr(address_of(i)), "", std::nullopt});
        auto made = service.create(r);
        if (!made || !made->address_payable) return 1;
        open.push_back(*made);
    }

    const auto round = [&](const char* what) {
        const auto start = Clock::now();
        auto r = follower.poll();
        const double ms = ms_since(start);
        if (!r) {
            std::fprintf(stderr, "%s: %s\n", what, r.error().message.c_str());
            std::exit(1);
        }
        std::printf("%-58s %9.2f ms  (%zu blocks, %zu transactions read, %zu paid at addresses)\n", what, ms,
                    r->blocks_read, r->transactions_read, r->address_payments);
    };
    std::printf("%u open address-payable invoices, blocks of %u transactions (SQLite, synchronous=FULL)\n",
                invoices, transactions);
    round("idle round (nothing new)");

    std::vector<jpp::Bytes> unrelated;
    for (std::uint32_t i = 0; i < transactions; ++i)
        unrelated.push_back(transaction(i, jpp::locking_bytecode(address_of(0x80000000u + i)), 5000));
    node.mine(unrelated);
    const auto decode_start = Clock::now();
    jpp::Block decoded;
    if (!jpp::decode_block(node.blocks.back(), decoded)) return 1;
    const double decode_ms = ms_since(decode_start);
    round("a block, no transaction paying an invoice");
    std::printf("%-58s %9.2f ms  (%zu bytes)\n", "  of which: decoding the block and hashing its txids", decode_ms,
                node.blocks.back().size());

    std::vector<jpp::Bytes> paying = unrelated;
    for (std::uint32_t i = 0; i < 100; ++i)
        paying[i] = transaction(0x40000000u + i, open[i].outputs.front().locking_bytecode, 10'000);
    node.mine(paying);
    round("a block, 100 of its transactions paying invoices");
    round("idle round (100 payments now followed)");

    node.arrival = clock.now();
    for (std::uint32_t i = 0; i < 1000; ++i) {
        const jpp::Bytes raw = i < 100 ? transaction(0x50000000u + i, open[100 + i].outputs.front().locking_bytecode, 10'000)
                                       : transaction(0x60000000u + i, jpp::locking_bytecode(address_of(0x90000000u + i)), 5000);
        node.pool.emplace(jpp::transaction_id(raw), raw);
    }
    round("1,000 new mempool transactions, 100 paying invoices");
    round("idle round (the same mempool, examined already)");
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
    return 0;
}
