// Blocks as the node serves them, and the chain follower over a chain the test makes: confirmations, reversals,
// reorganisations and catching up, on both stores.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "jpp/block.hpp"
#include "jpp/chain_follower.hpp"
#include "jpp/json.hpp"
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
                 const std::vector<Bytes>& transactions, std::uint32_t time = 0) {
    Bytes raw;
    Writer w(raw);
    w.u32le(0x20000000);
    w.bytes(previous.bytes);
    w.bytes(Hash256{});  // the merkle root: not checked by the follower (the node made the block)
    w.u32le(time != 0 ? time : 1'700'000'000 + height);
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
    std::map<TxId, MempoolTransaction> sent;  // what send() put in the mempool, with when
    std::uint32_t made = 0;
    const ManualClock* clock = nullptr;  // blocks are dated by it when set
    OfflineChain* backend = nullptr;     // told the height, for the invoices the service makes

    FakeFeed() { mine({}); }
    BlockHash hash_at(std::size_t height) const { return BlockHash{sha256d(ByteView(blocks[height]).first(80))}; }
    // A new block on the tip with these transactions, which leave the mempool.
    void mine(const std::vector<Bytes>& transactions) {
        const BlockHash previous = blocks.empty() ? BlockHash{} : hash_at(blocks.size() - 1);
        const auto time = clock ? static_cast<std::uint32_t>(clock->now().time_since_epoch().count()) : 0u;
        blocks.push_back(make_block(previous, static_cast<std::uint32_t>(blocks.size()), ++made, transactions, time));
        if (backend) backend->set_tip_height(static_cast<std::int64_t>(blocks.size()) - 1);
        for (const Bytes& raw : transactions) std::erase(pool, transaction_id(raw));
    }
    // A transaction the node takes into its mempool at `arrived`.
    void send(const Bytes& raw, Timestamp arrived) {
        pool.push_back(transaction_id(raw));
        sent[transaction_id(raw)] = MempoolTransaction{raw, arrived};
    }
    // The blocks from `height` on leave the chain (a reorganisation, once others are mined).
    void cut(std::size_t height) {
        blocks.resize(height);
        if (backend) backend->set_tip_height(static_cast<std::int64_t>(height) - 1);
    }

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
    Result<std::optional<MempoolTransaction>> mempool_transaction(const TxId& txid) override {
        const auto found = sent.find(txid);
        if (found == sent.end() || std::find(pool.begin(), pool.end(), txid) == pool.end())
            return std::optional<MempoolTransaction>{};
        return std::optional<MempoolTransaction>(found->second);
    }
};

struct FollowerFixture : Fixture {
    FakeFeed feed;
    FollowerOptions options;
    std::optional<ChainFollower> follower;

    FollowerFixture() {
        feed.clock = &clock;
        feed.backend = &chain;
        config.address_payments = true;
        service = std::make_unique<InvoiceService>(*store, chain, bus, clock, config);
        follow();
    }
    void follow() { follower.emplace(*store, feed, bus, clock, options, service.get()); }
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
    // An invoice of one output without a payment, as a wallet that ignores the protocols would see it.
    Invoice open_invoice(std::int64_t amount = 10000, std::int64_t confirmations = 1) {
        CreateInvoiceRequest request;
        request.outputs.push_back(OutputRequest{amount, merchant, "", std::nullopt});
        request.required_confirmations = confirmations;
        auto invoice = service->create(request);
        REQUIRE(invoice.ok());
        return *invoice;
    }
    // A transaction sending `amount` to the invoice's address (as a plain wallet does: the amount, and change).
    Bytes plain_send(const Invoice& invoice, std::int64_t amount) {
        return *from_hex(pay_tx({Output{amount, invoice.outputs.front().locking_bytecode, std::nullopt}}));
    }
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
            Result<std::optional<MempoolTransaction>> mempool_transaction(const TxId& txid) override {
                if (auto s = step(); !s) return s.error();
                return inner.mempool_transaction(txid);
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

TEST_CASE("a plain send to an invoice's address pays it: found in the mempool, recorded once, then followed") {
    FollowerFixture f;
    const Invoice invoice = f.open_invoice(25'000);
    CHECK(invoice.address_payable);
    CHECK(payment_uri(JsonContext{"https://pay.example", f.clock.now()}, invoice) ==
          std::string(merchant) + "?amount=0.00025&r=https://pay.example/jpp/i/bitpay/" + invoice.id.hex() + "/");
    f.poll();  // the follower has looked at the chain before the payment
    f.clock.advance(seconds(10));
    const Bytes raw = f.plain_send(invoice, 25'000);
    f.feed.send(raw, f.clock.now());
    auto round = f.poll();
    CHECK(round.address_payments == 1);
    Invoice now = f.stored(invoice.id);
    REQUIRE(now.payment);
    CHECK(now.payment->txid == transaction_id(raw));
    CHECK(now.payment->source == PaymentSource::address);
    CHECK(now.payment->overpaid_by == 0);
    CHECK_FALSE(now.payment->late);
    CHECK(now.payment->raw_transaction == raw);
    CHECK(now.status_at(f.clock.now()) == InvoiceStatus::paid);
    auto received = [&] {
        std::size_t n = 0;
        for (const Event& e : f.events_seen())
            if (e.type == EventType::payment_received && e.invoice.id == invoice.id) ++n;
        return n;
    };
    CHECK(received() == 1);
    // Seen again (the next round, then mined): the same payment, followed to its confirmation.
    f.poll();
    f.feed.mine({raw});
    f.poll();
    CHECK(received() == 1);
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::confirmed);
    // The wallet offers the same transaction through a protocol afterwards: the same payment.
    auto again = f.service->pay(invoice.id, PayRequest{to_hex(raw), "", {}});
    REQUIRE(again.ok());
    CHECK(again->payment->txid == transaction_id(raw));
    CHECK(received() == 1);
}

TEST_CASE("a coinbase paying the address pays nothing, and spends no followed payment's coin") {
    FollowerFixture f;
    f.poll();
    const Invoice invoice = f.open_invoice(25'000);
    Transaction reward = *decode_transaction(coinbase(7));
    reward.outputs[0] = Output{50'000, invoice.outputs.front().locking_bytecode, std::nullopt};
    f.feed.mine({});
    f.feed.blocks.back() = make_block(f.feed.hash_at(0), 1, 99, {encode_transaction(reward)});  // two coinbases
    f.poll();
    CHECK_FALSE(f.stored(invoice.id).payment.has_value());
}

TEST_CASE("a transaction the node had before the invoice existed never pays it") {
    FollowerFixture f;
    f.poll();
    const Invoice invoice = f.open_invoice(25'000);
    const Bytes early = f.plain_send(invoice, 25'000);
    f.feed.send(early, f.clock.now() - seconds(2));  // the node took it in before the invoice was made
    f.poll();
    CHECK_FALSE(f.stored(invoice.id).payment.has_value());
    // Mined afterwards, in a block after the invoice: judged in the mempool already, it stays refused.
    f.feed.mine({early});
    f.poll();
    CHECK_FALSE(f.stored(invoice.id).payment.has_value());
}

TEST_CASE("a block mined before the invoice but read after it does not pay it (a static address's older payment)") {
    FollowerFixture f;
    f.poll();  // handles block 0
    const Bytes earlier =
        *from_hex(f.pay_tx({Output{25'000, locking_bytecode(*decode_address(merchant, Network::main)), std::nullopt}}));
    f.feed.mine({earlier});  // a customer's payment to the address, mined ...
    f.clock.advance(seconds(5));
    const Invoice invoice = f.open_invoice(25'000);  // ... before this invoice, whose follower is a round behind
    f.poll();
    CHECK_FALSE(f.stored(invoice.id).payment.has_value());
    // Offered through a protocol, it is refused too (the node had it before: not new), so nothing pays it.
    CHECK(f.stored(invoice.id).status_at(f.clock.now()) == InvoiceStatus::open);
}

TEST_CASE("found in a block after downtime, a payment is recorded with its block; one mined before is not") {
    FollowerFixture f;
    f.poll();  // handles block 0
    const Bytes old_raw = f.plain_send(f.open_invoice(25'000), 25'000);  // an older invoice at the address ...
    f.feed.mine({old_raw});  // ... paid in block 1
    f.poll();
    const Invoice invoice = f.open_invoice(25'000);  // the same amount at the same address, made after block 1
    REQUIRE(invoice.address_payable);
    const Bytes raw = f.plain_send(invoice, 25'000);
    f.feed.mine({raw});  // while jppd is away: never seen in the mempool
    f.feed.mine({});
    f.follow();
    f.poll();
    Invoice now = f.stored(invoice.id);
    REQUIRE(now.payment);
    CHECK(now.payment->txid == transaction_id(raw));
    CHECK(now.payment->chain.block_height == 2);
    CHECK(now.payment->chain.confirmations == 2);
    CHECK(now.status_at(f.clock.now()) == InvoiceStatus::confirmed);
    // The block before the invoice is read again after a reorganisation: its payment of the same amount is not
    // this invoice's.
    f.feed.cut(1);
    f.feed.mine({old_raw});
    f.feed.mine({raw});
    f.feed.mine({});
    f.poll();
    CHECK(f.stored(invoice.id).payment->txid == transaction_id(raw));
}

TEST_CASE("under, over and late payments at an address") {
    FollowerFixture f;
    f.poll();
    f.clock.advance(seconds(5));
    SUBCASE("less than asked is an underpayment: told, not a payment; the full amount afterwards pays") {
        const Invoice invoice = f.open_invoice(25'000);
        const Bytes part = f.plain_send(invoice, 10'000);
        f.feed.send(part, f.clock.now());
        f.poll();
        f.poll();  // seen twice, recorded once
        Invoice now = f.stored(invoice.id);
        CHECK_FALSE(now.payment.has_value());
        CHECK(now.status_at(f.clock.now()) == InvoiceStatus::open);
        REQUIRE(now.underpayments.size() == 1);
        CHECK(now.underpayments[0].txid == transaction_id(part));
        CHECK(now.underpayments[0].amount == 10'000);
        const std::vector<Event> seen = f.events_seen();
        CHECK(std::count_if(seen.begin(), seen.end(),
                            [&](const Event& e) { return e.type == EventType::payment_underpaid; }) == 1);
        const Bytes full = f.plain_send(invoice, 25'000);
        f.feed.send(full, f.clock.now());
        f.poll();
        now = f.stored(invoice.id);
        REQUIRE(now.payment);
        CHECK(now.payment->txid == transaction_id(full));
        CHECK(now.underpayments.size() == 1);
    }
    SUBCASE("an underpayment and the full amount seen in one round: both recorded, the invoice paid") {
        const Invoice invoice = f.open_invoice(25'000);
        const Bytes part = f.plain_send(invoice, 10'000);
        const Bytes full = f.plain_send(invoice, 25'000);
        f.feed.send(part, f.clock.now());
        f.feed.send(full, f.clock.now());
        f.poll();
        const Invoice now = f.stored(invoice.id);
        REQUIRE(now.payment);
        CHECK(now.payment->txid == transaction_id(full));
        // The part was matched first only if it sorts first; either way the full one pays.
        CHECK(now.underpayments.size() <= 1);
    }
    SUBCASE("a flood of small sends records ten underpayments, no more, and the invoice can still be paid") {
        const Invoice invoice = f.open_invoice(25'000);
        for (int i = 0; i < 25; ++i) f.feed.send(f.plain_send(invoice, 600), f.clock.now());
        f.poll();
        f.poll();
        CHECK(f.stored(invoice.id).underpayments.size() == f.config.max_underpayments);
        const std::vector<Event> seen = f.events_seen();
        CHECK(std::count_if(seen.begin(), seen.end(), [](const Event& e) {
                  return e.type == EventType::payment_underpaid;
              }) == static_cast<std::ptrdiff_t>(f.config.max_underpayments));
        f.feed.send(f.plain_send(invoice, 25'000), f.clock.now());
        f.poll();
        CHECK(f.stored(invoice.id).payment.has_value());
    }
    SUBCASE("more than asked pays, flagged with the excess") {
        const Invoice invoice = f.open_invoice(25'000);
        f.feed.send(f.plain_send(invoice, 26'500), f.clock.now());
        f.poll();
        Invoice now = f.stored(invoice.id);
        REQUIRE(now.payment);
        CHECK(now.payment->overpaid_by == 1'500);
        CHECK(now.status_at(f.clock.now()) == InvoiceStatus::paid);
    }
    SUBCASE("after expiry, within the late window: recorded, flagged late; after the window: not") {
        const Invoice invoice = f.open_invoice(25'000);
        f.clock.set(invoice.expires + seconds(30));
        REQUIRE(f.service->announce_expired().ok());
        f.feed.send(f.plain_send(invoice, 25'000), f.clock.now());
        f.poll();
        Invoice now = f.stored(invoice.id);
        REQUIRE(now.payment);
        CHECK(now.payment->late);
        CHECK(now.status_at(f.clock.now()) == InvoiceStatus::paid);

        const Invoice later = f.open_invoice(35'000);
        f.clock.set(later.expires + late_payment_window + seconds(1));
        f.feed.send(f.plain_send(later, 35'000), f.clock.now());
        f.poll();
        CHECK_FALSE(f.stored(later.id).payment.has_value());
    }
}

TEST_CASE("a node that cannot say its height makes invoices payable through the protocols only") {
    FollowerFixture f;
    struct Heightless final : ChainBackend {
        OfflineChain& inner;
        explicit Heightless(OfflineChain& c) : inner(c) {}
        Status broadcast(ByteView raw, const TxId& txid) override { return inner.broadcast(raw, txid); }
        Result<std::optional<std::vector<Output>>> spent_outputs(const Transaction& tx) override {
            return inner.spent_outputs(tx);
        }
        Status ping() override { return {}; }
    } heightless(f.chain);
    f.use_chain(heightless);
    const Invoice invoice = f.open_invoice(10'000);
    CHECK_FALSE(invoice.address_payable);
    CHECK_FALSE(f.stored(invoice.id).address_payable);
    CHECK(f.store->address_claims(f.clock.now(), 10)->empty());
}

TEST_CASE("one open invoice per address is payable there; paid or cancelled, the address is free again") {
    FollowerFixture f;
    const Invoice first = f.open_invoice(10'000);
    const Invoice second = f.open_invoice(20'000);
    CHECK(first.address_payable);
    CHECK_FALSE(second.address_payable);  // the same address: the protocols only
    CHECK(f.stored(second.id).address_payable == false);
    CHECK(payment_uri(JsonContext{"https://pay.example", f.clock.now()}, second) ==
          "bitcoincash:?r=https://pay.example/jpp/i/bitpay/" + second.id.hex() + "/");
    // A send of the second's amount to the address pays nobody: the first asks 10,000, this is more, so it pays
    // the first, flagged as overpaid. That is why only one invoice may be payable at an address.
    REQUIRE(f.service->pay(first.id, PayRequest{f.paying(first), "", {}}).ok());
    CHECK(f.open_invoice(30'000).address_payable);  // the first is paid: the address is free
    CreateInvoiceRequest tokens;
    tokens.outputs.push_back(OutputRequest{1000, "bitcoincash:zpm2qsznhks23z7629mms6s4cwef74vcwvrqekrq9w", "",
                                           TokenData{Hash256{}, 5, std::nullopt}});
    auto with_tokens = f.service->create(tokens);
    REQUIRE(with_tokens.ok());
    CHECK_FALSE(with_tokens->address_payable);  // a token payment: no plain URI for it
}

TEST_CASE("a transaction being broadcast for another invoice is that invoice's, not the address's invoice's") {
    // Two invoices ask the same amount at the same address: the first is payable there, the second through the
    // protocols only. The second's wallet pays through a protocol; between the broadcast and the record (or after
    // a crash of the process in that window), the follower finds the transaction in the mempool, and it matches
    // the first's address and amount. It must not pay the first: the intent says whose it is.
    FollowerFixture f;
    f.poll();
    const Invoice first = f.open_invoice(10'000);
    const Invoice second = f.open_invoice(10'000);
    REQUIRE(first.address_payable);
    REQUIRE_FALSE(second.address_payable);
    f.clock.advance(seconds(5));
    const std::string hex = f.paying(second);
    const Bytes raw = *from_hex(hex);
    REQUIRE(f.store->open_intent(BroadcastIntent{second.id, transaction_id(raw), raw, "", {}, f.clock.now()}).ok());
    f.feed.send(raw, f.clock.now());
    f.poll();
    CHECK_FALSE(f.stored(first.id).payment.has_value());
    // The second's payment is recorded (a retry, or the reconciliation), and the first stays open.
    auto paid = f.service->pay(second.id, PayRequest{hex, "", {}});
    REQUIRE_MESSAGE(paid.ok(), paid.error().message);
    CHECK(paid->payment->txid == transaction_id(raw));
    f.poll();
    CHECK_FALSE(f.stored(first.id).payment.has_value());
}

}  // TEST_SUITE

}  // namespace jpp::testing
