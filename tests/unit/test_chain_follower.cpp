// Blocks as the node serves them, and the chain follower over a chain the test makes: confirmations, reversals,
// reorganisations and catching up, on both stores.
#include <doctest/doctest.h>

#include <algorithm>

#include "jpp/block.hpp"
#include "jpp/chain_follower.hpp"
#include "service_fixture.hpp"

namespace jpp::testing {

namespace {

// A coinbase-like first transaction, different at every height (so every block differs).
Bytes coinbase(std::uint32_t height) {
    Transaction tx;
    tx.version = 1;
    Input in;
    in.prevout.index = 0xffffffff;
    in.unlocking_bytecode = Bytes{0x04, static_cast<std::uint8_t>(height), static_cast<std::uint8_t>(height >> 8), 0, 0};
    tx.inputs.push_back(in);
    tx.outputs.push_back(Output{0, Bytes{0x51}, std::nullopt});
    return encode_transaction(tx);
}

// `nonce` tells apart blocks at one height (the merkle root is left zero).
Bytes make_block(const BlockHash& previous, std::uint32_t height, std::uint32_t nonce,
                 const std::vector<Bytes>& transactions) {
    Bytes raw;
    Writer w(raw);
    w.u32le(0x20000000);
    w.bytes(previous.bytes);
    w.bytes(Hash256{});  // the merkle root: not checked by the follower (the node made the block)
    w.u32le(1'700'000'000 + height);
    w.u32le(0x207fffff);
    w.u32le(nonce);
    w.compact_size(transactions.size() + 1);
    w.bytes(coinbase(height));
    for (const Bytes& tx : transactions) w.bytes(tx);
    return raw;
}

// A chain the test grows, reorganises and empties, with a mempool, served as a node would.
struct FakeFeed final : ChainFeed {
    std::vector<Bytes> blocks;  // by height
    std::vector<TxId> pool;
    std::uint32_t made = 0;

    FakeFeed() { mine({}); }
    BlockHash hash_at(std::size_t height) const { return BlockHash{sha256d(ByteView(blocks[height]).first(80))}; }
    // A new block on the tip with these transactions, which leave the mempool.
    void mine(const std::vector<Bytes>& transactions) {
        const BlockHash previous = blocks.empty() ? BlockHash{} : hash_at(blocks.size() - 1);
        blocks.push_back(make_block(previous, static_cast<std::uint32_t>(blocks.size()), ++made, transactions));
        for (const Bytes& raw : transactions) std::erase(pool, transaction_id(raw));
    }
    // The blocks from `height` on leave the chain (a reorganisation, once others are mined).
    void cut(std::size_t height) { blocks.resize(height); }

    Result<std::int64_t> tip_height() override {
        return static_cast<std::int64_t>(blocks.size()) - 1;
    }
    Result<BlockHash> block_hash(std::int64_t height) override {
        if (height < 0 || static_cast<std::size_t>(height) >= blocks.size())
            return make_error(Errc::chain_unavailable, "no block at that height");
        return hash_at(static_cast<std::size_t>(height));
    }
    Result<Bytes> block(const BlockHash& hash) override {
        for (std::size_t h = 0; h < blocks.size(); ++h)
            if (hash_at(h) == hash) return blocks[h];
        return make_error(Errc::chain_unavailable, "no such block");
    }
    Result<std::vector<TxId>> mempool() override {
        return pool;
    }
};

struct FollowerFixture : Fixture {
    FakeFeed feed;
    FollowerOptions options;
    std::optional<ChainFollower> follower;

    FollowerFixture() { follow(); }
    void follow() { follower.emplace(*store, feed, bus, clock, options); }
    FollowerRound poll() {
        auto round = follower->poll();
        REQUIRE_MESSAGE(round.ok(), round.error().message);
        return *round;
    }
    // An invoice asking this many confirmations, paid through the service: its raw transaction is in the mempool.
    std::pair<Invoice, Bytes> paid_invoice(std::int64_t confirmations) {
        CreateInvoiceRequest request;
        request.outputs.push_back(OutputRequest{10000, merchant, "", std::nullopt});
        request.required_confirmations = confirmations;
        auto invoice = service->create(request);
        REQUIRE(invoice.ok());
        const std::string hex = paying(*invoice);
        auto paid = service->pay(invoice->id, PayRequest{hex, "", {}});
        REQUIRE_MESSAGE(paid.ok(), paid.error().message);
        Bytes raw = *from_hex(hex);
        feed.pool.push_back(transaction_id(raw));
        return {*paid, raw};
    }
    Invoice stored(const InvoiceId& id) { return *service->get(id); }
    std::vector<EventType> chain_events(const InvoiceId& id) {
        std::vector<EventType> out;
        for (const Event& e : events_seen())
            if (e.invoice.id == id && (e.type == EventType::payment_confirmed || e.type == EventType::payment_reversed))
                out.push_back(e.type);
        return out;
    }
};

}  // namespace

TEST_SUITE("chain following") {

TEST_CASE("a block decodes to its hash, its parent and its transactions with their txids; damage is refused") {
    FakeFeed feed;
    Fixture f;
    const Bytes tx = *from_hex(f.pay_tx({Output{5000, Bytes{0x51}, std::nullopt}}));
    feed.mine({tx});
    auto block = decode_block(feed.blocks[1]);
    REQUIRE(block.ok());
    CHECK(block->hash == feed.hash_at(1));
    CHECK(block->previous == feed.hash_at(0));
    CHECK(block->time == 1'700'000'001);
    REQUIRE(block->transactions.size() == 2);
    CHECK(block->transactions[0].txid == transaction_id(coinbase(1)));
    CHECK(block->transactions[1].txid == transaction_id(tx));
    CHECK(block->transactions[1].tx == *decode_transaction(tx));

    Bytes longer = feed.blocks[1];
    longer.push_back(0);
    CHECK(decode_block(longer).error().code == Errc::trailing_bytes);
    for (std::size_t cut : {std::size_t{0}, std::size_t{79}, std::size_t{81}, feed.blocks[1].size() - 1}) {
        const Bytes shorter(feed.blocks[1].begin(), feed.blocks[1].begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_FALSE(decode_block(shorter).ok());
    }
    Bytes empty(feed.blocks[1].begin(), feed.blocks[1].begin() + 80);
    empty.push_back(0);  // no transactions at all
    CHECK_FALSE(decode_block(empty).ok());
    Bytes huge(feed.blocks[1].begin(), feed.blocks[1].begin() + 80);
    for (int b : {0xfe, 0xff, 0xff, 0xff, 0x7f}) huge.push_back(static_cast<std::uint8_t>(b));  // two billion transactions claimed
    CHECK_FALSE(decode_block(huge).ok());
}

TEST_CASE("confirmations are counted block by block, and the invoice is confirmed once, at its requirement") {
    FollowerFixture f;
    auto [invoice, raw] = f.paid_invoice(2);
    f.poll();
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::paid);
    CHECK(f.stored(invoice.id).payment->chain.confirmations == 0);

    f.feed.mine({raw});
    f.poll();
    Invoice now = f.stored(invoice.id);
    CHECK(now.payment->chain.confirmations == 1);
    CHECK(now.payment->chain.block_height == 1);
    CHECK(now.payment->chain.block_hash == f.feed.hash_at(1));
    CHECK(now.status_at(f.clock.now()) == InvoiceStatus::paid);
    CHECK(f.chain_events(invoice.id).empty());

    f.feed.mine({});
    f.clock.advance(seconds(600));
    f.poll();
    now = f.stored(invoice.id);
    CHECK(now.payment->chain.confirmations == 2);
    CHECK(now.status_at(f.clock.now()) == InvoiceStatus::confirmed);
    CHECK(now.payment->chain.confirmed == f.clock.now());
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_confirmed});
    // The event is in the log, with the invoice's status at the time it is read.
    auto logged = f.store->events_after(0, 100);
    REQUIRE(logged.ok());
    CHECK(std::count_if(logged->begin(), logged->end(),
                        [](const StoredEvent& e) { return e.type == EventType::payment_confirmed; }) == 1);

    // Followed until 2 + 6 confirmations, then let go; the event is never repeated.
    for (int i = 0; i < 8; ++i) {
        f.feed.mine({});
        f.poll();
    }
    CHECK(f.stored(invoice.id).payment->chain.confirmations == 8);
    CHECK(f.store->followed_payments(10)->empty());
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_confirmed});
}

TEST_CASE("zero confirmations: confirmed as soon as the node is seen holding the transaction") {
    FollowerFixture f;
    auto [invoice, raw] = f.paid_invoice(0);
    f.poll();
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::confirmed);
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_confirmed});
}

TEST_CASE("a reorganisation un-mines a payment without reversing it; mined again, it counts again") {
    FollowerFixture f;
    auto [invoice, raw] = f.paid_invoice(1);
    f.feed.mine({raw});
    f.poll();
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::confirmed);

    // Block 1 leaves the chain for two others without the payment; the transaction is back in the mempool.
    f.feed.cut(1);
    f.feed.mine({});
    f.feed.mine({});
    f.feed.pool.push_back(transaction_id(raw));
    auto round = f.poll();
    CHECK(round.blocks_disconnected == 1);
    Invoice now = f.stored(invoice.id);
    CHECK(now.payment->chain.confirmations == 0);
    CHECK_FALSE(now.payment->chain.block_height.has_value());
    CHECK_FALSE(now.payment->chain.reversed.has_value());
    CHECK(now.status_at(f.clock.now()) == InvoiceStatus::confirmed);  // announced once; not taken back

    f.feed.mine({raw});
    f.poll();
    now = f.stored(invoice.id);
    CHECK(now.payment->chain.block_height == 3);
    CHECK(now.payment->chain.confirmations == 1);
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_confirmed});
}

TEST_CASE("a mined transaction spending the payment's coin reverses it at once, once") {
    FollowerFixture f;
    auto [invoice, raw] = f.paid_invoice(1);
    f.poll();
    // A double spend: the same input, other outputs. The node drops the payment from its mempool.
    Transaction conflict = *decode_transaction(raw);
    conflict.outputs[0].value -= 1;
    f.feed.pool.clear();
    f.feed.mine({encode_transaction(conflict)});
    f.clock.advance(seconds(5));
    f.poll();
    Invoice now = f.stored(invoice.id);
    CHECK(now.status_at(f.clock.now()) == InvoiceStatus::reversed);
    CHECK(now.payment->chain.reversed == f.clock.now());
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_reversed});
    CHECK(f.store->followed_payments(10)->empty());
    f.feed.mine({});
    f.poll();
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_reversed});
}

TEST_CASE("a payment missing from the mempool and from every block is reversed after the window, not before") {
    FollowerFixture f;
    f.options.reversal_window = seconds(600);
    f.follow();
    auto [invoice, raw] = f.paid_invoice(1);
    f.feed.pool.clear();  // dropped by the node
    f.poll();
    const Timestamp missing = f.clock.now();
    CHECK(f.stored(invoice.id).payment->chain.missing_since == missing);
    f.clock.advance(seconds(599));
    f.poll();
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::paid);
    CHECK(f.stored(invoice.id).payment->chain.missing_since == missing);  // the first time it was missed
    f.clock.advance(seconds(1));
    f.poll();
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::reversed);
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_reversed});
}

TEST_CASE("back in the mempool before the window ends, a missing payment is not reversed") {
    FollowerFixture f;
    f.options.reversal_window = seconds(600);
    f.follow();
    auto [invoice, raw] = f.paid_invoice(1);
    f.feed.pool.clear();
    f.poll();
    f.clock.advance(seconds(300));
    f.feed.pool.push_back(transaction_id(raw));
    f.poll();
    CHECK_FALSE(f.stored(invoice.id).payment->chain.missing_since.has_value());
    f.clock.advance(seconds(3600));
    f.poll();
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::paid);
    CHECK(f.chain_events(invoice.id).empty());
}

TEST_CASE("after downtime the blocks missed are read, a round's allowance at a time, from the last one handled") {
    FollowerFixture f;
    f.options.max_blocks_per_round = 2;
    f.follow();
    f.poll();  // handles the tip: block 0
    auto [invoice, raw] = f.paid_invoice(3);
    f.feed.mine({raw});
    f.feed.mine({});
    f.feed.mine({});
    // A new follower (a restart) goes on from what the store says it handled.
    f.follow();
    auto first = f.poll();
    CHECK_FALSE(first.caught_up);
    CHECK(first.blocks_read == 2);
    CHECK(f.stored(invoice.id).payment->chain.confirmations == 2);
    auto second = f.poll();
    CHECK(second.caught_up);
    CHECK(second.blocks_read == 1);
    CHECK(f.stored(invoice.id).payment->chain.confirmations == 3);
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::confirmed);
    CHECK(f.store->handled_blocks(1)->front() == HandledBlock{3, f.feed.hash_at(3)});
}

TEST_CASE("a node that fails mid-round leaves everything as it was; the next round does the work") {
    FollowerFixture f;
    auto [invoice, raw] = f.paid_invoice(1);
    f.poll();
    f.feed.mine({raw});
    for (int failing_call = 1; failing_call <= 4; ++failing_call) {
        // Calls before the failing one succeed: the failure lands at each step of the round in turn.
        struct Partial final : ChainFeed {
            FakeFeed& inner;
            int left;
            Partial(FakeFeed& f, int n) : inner(f), left(n) {}
            Status step() {
                return --left == 0 ? Status(make_error(Errc::chain_unavailable, "the node is away")) : Status{};
            }
            Result<std::int64_t> tip_height() override {
                if (auto s = step(); !s) return s.error();
                return inner.tip_height();
            }
            Result<BlockHash> block_hash(std::int64_t h) override {
                if (auto s = step(); !s) return s.error();
                return inner.block_hash(h);
            }
            Result<Bytes> block(const BlockHash& h) override {
                if (auto s = step(); !s) return s.error();
                return inner.block(h);
            }
            Result<std::vector<TxId>> mempool() override {
                if (auto s = step(); !s) return s.error();
                return inner.mempool();
            }
        } partial(f.feed, failing_call);
        ChainFollower broken(*f.store, partial, f.bus, f.clock, f.options);
        auto round = broken.poll();
        REQUIRE_FALSE(round.ok());
        CHECK(round.error().code == Errc::chain_unavailable);
        CHECK(f.stored(invoice.id).payment->chain.confirmations == 0);
        CHECK(f.store->handled_blocks(5)->size() == 1);
    }
    f.poll();
    CHECK(f.stored(invoice.id).payment->chain.confirmations == 1);
    CHECK(f.chain_events(invoice.id) == std::vector<EventType>{EventType::payment_confirmed});
}

TEST_CASE("the listing's status filter tells paid, confirmed and reversed apart") {
    FollowerFixture f;
    auto merchant_id = f.store->add_merchant("shop", f.clock.now());
    REQUIRE(merchant_id.ok());
    auto paid_by = [&](std::int64_t confirmations) {
        CreateInvoiceRequest request;
        request.outputs.push_back(OutputRequest{10000, merchant, "", std::nullopt});
        request.required_confirmations = confirmations;
        request.merchant_id = merchant_id->id;
        auto invoice = f.service->create(request);
        REQUIRE(invoice.ok());
        const std::string hex = f.paying(*invoice);
        REQUIRE(f.service->pay(invoice->id, PayRequest{hex, "", {}}).ok());
        f.feed.pool.push_back(transaction_id(*from_hex(hex)));
        return std::make_pair(invoice->id, *from_hex(hex));
    };
    auto [waiting, waiting_raw] = paid_by(5);
    auto [confirmed, confirmed_raw] = paid_by(0);
    auto [reversed, reversed_raw] = paid_by(1);
    Transaction conflict = *decode_transaction(reversed_raw);
    conflict.outputs[0].value -= 1;
    std::erase(f.feed.pool, transaction_id(reversed_raw));
    f.feed.mine({encode_transaction(conflict)});
    f.poll();
    auto listed = [&](InvoiceStatus status) {
        InvoiceQuery query;
        query.merchant_id = merchant_id->id;
        query.status = status;
        query.now = f.clock.now();
        query.limit = 10;
        auto found = f.store->list_invoices(query);
        REQUIRE(found.ok());
        std::vector<InvoiceId> ids;
        for (const Invoice& i : *found) ids.push_back(i.id);
        return ids;
    };
    CHECK(listed(InvoiceStatus::paid) == std::vector<InvoiceId>{waiting});
    CHECK(listed(InvoiceStatus::confirmed) == std::vector<InvoiceId>{confirmed});
    CHECK(listed(InvoiceStatus::reversed) == std::vector<InvoiceId>{reversed});
}

}  // TEST_SUITE

}  // namespace jpp::testing
