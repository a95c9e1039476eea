#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "jpp/merchant.hpp"
#include "test_store.hpp"

using namespace jpp;
using namespace std::chrono;

TEST_SUITE("merchant") {

TEST_CASE("merchant names") {
    for (const std::string& good : {std::string("shop"), std::string("a"), std::string("my-shop.eu_2"),
                                    std::string(64, 'x')})
        CHECK_MESSAGE(check_merchant_name(good).ok(), good);
    for (const std::string& bad : {std::string(), std::string(65, 'x'), std::string("Shop"), std::string("-shop"),
                                   std::string("a b"), std::string("caf\xc3\xa9"), std::string("x\ny")})
        CHECK_MESSAGE(check_merchant_name(bad).error().code == Errc::invalid_argument, bad);
}

TEST_CASE("permissions: names both ways, unknown names refused") {
    CHECK(*parse_permissions("invoices:create") == invoices_create);
    CHECK(*parse_permissions("invoices:create, invoices:read,webhooks:manage") == all_permissions);
    CHECK(permission_names(invoices_read | webhooks_manage) == "invoices:read,webhooks:manage");
    CHECK(permission_name(invoices_create) == "invoices:create");
    auto unknown = parse_permissions("invoices:create,admin");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("unknown permission 'admin'") == 0);
    CHECK_FALSE(parse_permissions("").ok());
    CHECK_FALSE(parse_permissions(",").ok());
}

TEST_CASE("API keys: random, shown once, matched by hash, in constant time, until revoked") {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const NewApiKey made = generate_api_key(7, invoices_create, Timestamp(seconds(1000)));
        CHECK(made.text.size() == 5 + 16 + 1 + 48);  // 64 bits of id, 192 of secret
        CHECK(seen.insert(made.text).second);
        auto presented = parse_api_key(made.text);
        REQUIRE(presented.ok());
        CHECK(presented->id == made.key.id);
        CHECK(api_key_matches(made.key, *presented));
        // The secret is not kept: the hash is all there is.
        CHECK(made.text.find(std::string(reinterpret_cast<const char*>(made.key.secret_hash.data()), 8)) ==
              std::string::npos);
    }
    const NewApiKey made = generate_api_key(7, invoices_create, Timestamp(seconds(1000)));
    std::string wrong = made.text;
    wrong.back() = wrong.back() == '0' ? '1' : '0';
    CHECK_FALSE(api_key_matches(made.key, *parse_api_key(wrong)));
    ApiKey revoked = made.key;
    revoked.revoked = Timestamp(seconds(2000));
    CHECK_FALSE(api_key_matches(revoked, *parse_api_key(made.text)));
    for (const std::string& bad : {std::string(), std::string("jppk_"), made.text + "0", made.text.substr(1),
                                   "JPPK" + made.text.substr(4), made.text.substr(0, 21) + "-" + made.text.substr(22)})
        CHECK_MESSAGE(parse_api_key(bad).error().code == Errc::invalid_argument, bad);
}

TEST_CASE("the store keeps merchants, keys (hashes only) and revocations; invoices keep owner and metadata") {
    jpp::testing::TestDatabase db;
    {
        auto store = db.open();
        auto shop = store->add_merchant("shop", Timestamp(seconds(1000)));
        REQUIRE(shop.ok());
        CHECK(store->add_merchant("shop", Timestamp(seconds(1001))).error().code == Errc::invalid_argument);
        CHECK(store->add_merchant("Bad Name", Timestamp(seconds(1001))).error().code == Errc::invalid_argument);
        auto other = store->add_merchant("other", Timestamp(seconds(1002)));
        REQUIRE(other.ok());
        CHECK(store->merchants()->size() == 2);

        const NewApiKey key = generate_api_key(shop->id, invoices_create | invoices_read, Timestamp(seconds(1100)));
        REQUIRE(store->add_api_key(key.key).ok());
        auto found = store->find_api_key(key.key.id);
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        CHECK(**found == key.key);
        CHECK(api_key_matches(**found, *parse_api_key(key.text)));
        CHECK_FALSE(store->find_api_key("0000000000000000")->has_value());

        CHECK(*store->revoke_api_key(key.key.id, Timestamp(seconds(1200))));
        CHECK(*store->revoke_api_key(key.key.id, Timestamp(seconds(1300))));
        CHECK_FALSE(*store->revoke_api_key("0000000000000000", Timestamp(seconds(1300))));
        found = store->find_api_key(key.key.id);
        CHECK((*found)->revoked == Timestamp(seconds(1200)));  // the first revocation stands
        CHECK_FALSE(api_key_matches(**found, *parse_api_key(key.text)));
        CHECK(store->api_keys()->size() == 1);

        Invoice owned;
        owned.id = InvoiceId::generate();
        owned.time = Timestamp(seconds(1000));
        owned.expires = Timestamp(seconds(2000));
        owned.outputs.push_back(InvoiceOutput{1000, "bitcoincash:qq", Bytes{0x76}, "", std::nullopt});
        owned.merchant_id = shop->id;
        owned.metadata = R"({"order_id":"A-17"})";
        REQUIRE(store->insert(owned).ok());
        CHECK(**store->find(owned.id) == owned);
    }
}

}
