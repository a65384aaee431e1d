// Event subscriptions and the trust provider: delivery, filters, RAII, exceptions kept out of
// the engine, re-entrancy into the same handle, lifetimes.
#include <gtest/gtest.h>

#include <hv/hypervisor.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using hv::json::get_int;
using hv::json::get_number;
using hv::json::get_string;

namespace {

hv::Hypervisor manual() { return hv::Hypervisor(R"({"clock":"manual"})"); }

struct Collector {
    std::mutex m;
    std::vector<std::string> events;
    void operator()(const std::string& e) {
        std::lock_guard<std::mutex> lk(m);
        events.push_back(e);
    }
    std::vector<std::string> types() {
        std::lock_guard<std::mutex> lk(m);
        std::vector<std::string> out;
        for (const auto& e : events) out.push_back(get_string(e, "event_type").value_or("?"));
        return out;
    }
    std::size_t size() {
        std::lock_guard<std::mutex> lk(m);
        return events.size();
    }
};

}  // namespace

TEST(Subscribe, ReceivesEvents) {
    auto engine = manual();
    auto got = std::make_shared<Collector>();
    hv::Subscription sub = engine.subscribe([got](const std::string& e) { (*got)(e); });
    EXPECT_TRUE(sub.active());
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s"})");
    engine.session_join(R"({"session_id":"s","agent_did":"did:ex:a","sigma_raw":0.7})");
    const auto types = got->types();
    ASSERT_GE(types.size(), 2u);
    EXPECT_EQ(types.front(), "session.created");
    EXPECT_NE(std::find(types.begin(), types.end(), "session.joined"), types.end());
    // the delivered JSON is the events.query object
    EXPECT_EQ(get_string(got->events.front(), "session_id"), "s");
    EXPECT_TRUE(get_int(got->events.front(), "seq").has_value());
}

TEST(Subscribe, FilterSelectsEvents) {
    auto engine = manual();
    Collector joined;
    auto sub = engine.subscribe(R"({"event_types":["session.joined"],"session_id":"s2"})",
                                [&](const std::string& e) { joined(e); });
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s1"})");
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s2"})");
    engine.session_join(R"({"session_id":"s1","agent_did":"did:ex:a","sigma_raw":0.7})");
    engine.session_join(R"({"session_id":"s2","agent_did":"did:ex:b","sigma_raw":0.7})");
    ASSERT_EQ(joined.size(), 1u);
    EXPECT_EQ(get_string(joined.events[0], "agent_did"), "did:ex:b");
}

TEST(Subscribe, BadFilterThrows) {
    auto engine = manual();
    try {
        auto sub = engine.subscribe(R"({"event_typo":[]})", [](const std::string&) {});
        FAIL() << "bad filter accepted";
    } catch (const hv::Error& e) {
        EXPECT_EQ(e.status(), hv::Status::InvalidArgument);
    }
    EXPECT_THROW(engine.subscribe(hv::EventFn{}), hv::Error);
}

TEST(Subscribe, DestructionUnsubscribesAndReleasesTheFunction) {
    auto engine = manual();
    auto count = std::make_shared<std::atomic<int>>(0);
    std::weak_ptr<std::atomic<int>> watch = count;
    {
        auto sub = engine.subscribe([count](const std::string&) { ++*count; });
        count.reset();  // only the subscriber holds it now
        engine.session_create(R"({"creator_did":"did:ex:c","session_id":"a"})");
        ASSERT_FALSE(watch.expired());
        EXPECT_EQ(watch.lock()->load(), 1);
    }
    EXPECT_TRUE(watch.expired()) << "the std::function (and its captures) outlived the Subscription";
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"b"})");  // nobody listening
}

TEST(Subscribe, ExplicitUnsubscribeIsIdempotentAndMovable) {
    auto engine = manual();
    std::atomic<int> n{0};
    hv::Subscription keep = engine.subscribe([&](const std::string&) { ++n; });
    hv::Subscription moved = std::move(keep);
    EXPECT_FALSE(keep.active());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(moved.active());
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"a"})");
    EXPECT_EQ(n.load(), 1);
    moved.unsubscribe();
    moved.unsubscribe();
    EXPECT_FALSE(moved.active());
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"b"})");
    EXPECT_EQ(n.load(), 1);
}

TEST(Subscribe, ThrowingSubscriberDoesNotBreakTheEngine) {
    auto engine = manual();
    std::atomic<int> after{0};
    auto bad = engine.subscribe([](const std::string&) { throw std::runtime_error("boom"); });
    auto bad2 = engine.subscribe([](const std::string&) { throw 42; });
    auto good = engine.subscribe([&](const std::string&) { ++after; });
    EXPECT_NO_THROW(engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s"})"));
    EXPECT_EQ(after.load(), 1);
    EXPECT_EQ(get_string(engine.health(), "status"), "ok");
}

TEST(Subscribe, CallbackReentersTheHandle) {
    auto engine = manual();
    std::vector<std::string> seen_states;
    std::string reentrant_error;
    auto sub = engine.subscribe(R"({"event_types":["session.joined"]})", [&](const std::string& e) {
        try {
            // Read back through the same handle while the event is being delivered...
            const std::string sid = get_string(e, "session_id").value_or("");
            seen_states.push_back(get_string(engine.session_get("{\"session_id\":" + hv::json::quote(sid) + "}"),
                                             "participants.0.agent_did")
                                      .value_or("?"));
            // ...and mutate: this emits session.activated, which this filter ignores.
            engine.session_activate("{\"session_id\":" + hv::json::quote(sid) + "}");
        } catch (const std::exception& ex) {
            reentrant_error = ex.what();
        }
    });
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s"})");
    engine.session_join(R"({"session_id":"s","agent_did":"did:ex:a","sigma_raw":0.7})");
    EXPECT_EQ(reentrant_error, "");
    ASSERT_EQ(seen_states.size(), 1u);
    EXPECT_EQ(seen_states[0], "did:ex:a");
    EXPECT_EQ(get_string(engine.session_get(R"({"session_id":"s"})"), "state"), "active");
}

TEST(Subscribe, SubscriberMayUnsubscribeItself) {
    auto engine = manual();
    int calls = 0;
    hv::Subscription sub;
    sub = engine.subscribe([&](const std::string&) {
        ++calls;
        sub.unsubscribe();  // deferred release: the function is still running
    });
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"a"})");
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"b"})");
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(sub.active());
}

TEST(Subscribe, SubscriptionMayOutliveTheHypervisor) {
    hv::Subscription sub;
    {
        auto engine = manual();
        sub = engine.subscribe([](const std::string&) {});
        engine.session_create(R"({"creator_did":"did:ex:c","session_id":"a"})");
    }
    EXPECT_TRUE(sub.active());
    sub.unsubscribe();  // the handle is gone: must not touch it
    EXPECT_FALSE(sub.active());

    auto engine = manual();
    auto early = engine.subscribe([](const std::string&) {});
    engine.close();
    early.unsubscribe();  // after close(): inert
}

TEST(Subscribe, EventsFromManyThreads) {
    auto engine = hv::Hypervisor();
    std::atomic<int> created{0};
    auto sub = engine.subscribe(R"({"event_types":["session.created"]})", [&](const std::string&) { ++created; });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&engine, t] {
            for (int k = 0; k < 25; ++k) {
                engine.session_create("{\"creator_did\":\"did:ex:c\",\"session_id\":\"t" + std::to_string(t) + "-" +
                                      std::to_string(k) + "\"}");
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(created.load(), 100);
}

TEST(Trust, ProviderScoresJoins) {
    auto engine = manual();
    std::vector<std::string> asked;
    std::string last_context;
    engine.set_trust_provider([&](const std::string& did, const std::string& ctx) -> std::optional<double> {
        asked.push_back(did);
        last_context = ctx;
        if (did == "did:ex:trusted") return 0.9;
        if (did == "did:ex:low") return 0.4;
        return std::nullopt;  // unknown
    });
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s"})");

    // provider alone
    std::string j = engine.session_join(R"({"session_id":"s","agent_did":"did:ex:trusted"})");
    EXPECT_DOUBLE_EQ(*get_number(j, "sigma_raw"), 0.9);
    EXPECT_EQ(get_int(j, "ring"), 2);
    EXPECT_EQ(get_string(last_context, "session_id"), "s");
    // the lower of sigma_raw and the provider wins
    j = engine.session_join(R"({"session_id":"s","agent_did":"did:ex:low","sigma_raw":0.8})");
    EXPECT_DOUBLE_EQ(*get_number(j, "sigma_raw"), 0.4);
    EXPECT_EQ(get_int(j, "ring"), 3);
    // unknown → sigma_raw
    j = engine.session_join(R"({"session_id":"s","agent_did":"did:ex:other","sigma_raw":0.7})");
    EXPECT_DOUBLE_EQ(*get_number(j, "sigma_raw"), 0.7);
    EXPECT_EQ(asked.size(), 3u);

    // cleared → not asked any more
    engine.clear_trust_provider();
    j = engine.session_join(R"({"session_id":"s","agent_did":"did:ex:trusted2","sigma_raw":0.65})");
    EXPECT_DOUBLE_EQ(*get_number(j, "sigma_raw"), 0.65);
    EXPECT_EQ(asked.size(), 3u);
}

TEST(Trust, ThrowingProviderMeansUnknown) {
    auto engine = manual();
    engine.set_trust_provider([](const std::string&, const std::string&) -> std::optional<double> {
        throw std::runtime_error("scoring service down");
    });
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s"})");
    const std::string j = engine.session_join(R"({"session_id":"s","agent_did":"did:ex:a","sigma_raw":0.7})");
    EXPECT_DOUBLE_EQ(*get_number(j, "sigma_raw"), 0.7);
}

TEST(Trust, ReplacingReleasesTheOldProviderAndReenters) {
    auto engine = manual();
    auto token = std::make_shared<int>(0);
    std::weak_ptr<int> watch = token;
    std::string reentered_now;
    engine.set_trust_provider([token, &engine, &reentered_now](const std::string&, const std::string&) {
        reentered_now = get_string(engine.clock_now(), "now").value_or("");  // re-enter the handle
        return std::optional<double>(0.75);
    });
    token.reset();
    engine.session_create(R"({"creator_did":"did:ex:c","session_id":"s"})");
    std::string j = engine.session_join(R"({"session_id":"s","agent_did":"did:ex:a"})");
    EXPECT_DOUBLE_EQ(*get_number(j, "sigma_raw"), 0.75);
    EXPECT_FALSE(reentered_now.empty());
    EXPECT_FALSE(watch.expired());

    engine.set_trust_provider([](const std::string&, const std::string&) { return std::optional<double>(0.66); });
    EXPECT_TRUE(watch.expired()) << "replaced provider not released";
    j = engine.session_join(R"({"session_id":"s","agent_did":"did:ex:b"})");
    EXPECT_DOUBLE_EQ(*get_number(j, "sigma_raw"), 0.66);
}
