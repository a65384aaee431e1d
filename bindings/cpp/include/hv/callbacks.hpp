// agent-hypervisor C++ wrapper: host callbacks (saga step executors, event subscribers, the
// trust provider) and the trampolines that carry them across the C ABI.
//
// Rules the trampolines keep (API.md §1–§2):
//  - no C++ exception ever unwinds into the engine: a step executor's exception becomes
//    hv_step_set_error(what()) + a non-zero return; a subscriber's is swallowed; a trust
//    provider's means "unknown";
//  - callbacks run with no engine lock held and may re-enter the same hv::Hypervisor;
//  - fan-out branches run on engine worker threads, concurrently: executors must be
//    thread-safe; subscribers and the trust provider may run on any calling thread.
#ifndef HV_CALLBACKS_HPP
#define HV_CALLBACKS_HPP

#include <agent_hypervisor.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"

// Set to 0 to build against an older header without the saga/verification exports.
#ifndef HV_HAS_SAGA_ABI
#define HV_HAS_SAGA_ABI 1
#endif
#ifndef HV_HAS_VERIFY_ABI
#define HV_HAS_VERIFY_ABI 1
#endif

namespace hv {

/// Receives one event (JSON, exactly as in `events.query`).
using EventFn = std::function<void(const std::string& event_json)>;

/// Trust provider: return σ in [0,1] for `agent_did`, or nullopt for "unknown".
/// `context_json` is `{"session_id","sigma_raw","sigma_hint"}`.
using TrustFn =
    std::function<std::optional<double>(const std::string& agent_did, const std::string& context_json)>;

#if HV_HAS_SAGA_ABI
/// The step being executed, valid only during the executor call.
class StepContext {
public:
    explicit StepContext(HvStepContext* ctx) noexcept : ctx_(ctx) {}
    StepContext(const StepContext&) = delete;
    StepContext& operator=(const StepContext&) = delete;

    /// Stores the step's result (a JSON value; copied by the engine).
    void set_result(const std::string& result_json) { hv_step_set_result(ctx_, result_json.c_str()); }
    /// Marks the step failed with `message` (copied); the executor's return then reports failure.
    void set_error(const std::string& message) {
        hv_step_set_error(ctx_, message.c_str());
        failed_ = true;
    }
    /// Milliseconds left before the step's deadline (engine clock); <= 0 once past it.
    std::int64_t remaining_ms() const noexcept { return hv_step_remaining_ms(ctx_); }
    /// Whether set_error was called.
    bool has_error() const noexcept { return failed_; }
    /// The raw context, for direct C calls.
    HvStepContext* native() const noexcept { return ctx_; }

private:
    HvStepContext* ctx_;
    bool failed_ = false;
};

/// A step executor (or compensation): `step_json` is the Step object of API.md §4.5.
/// Returning normally means success unless StepContext::set_error was called; throwing means
/// failure with the exception's what() as the step error.
using StepFn = std::function<void(StepContext& ctx, const std::string& step_json)>;
#endif

namespace detail {

// Boxes a host callback whose address is handed to the engine as user_data. The engine may
// still enter the trampoline after it was told to forget the callback (it snapshots its
// subscriber list), so the box itself lives until hv_destroy; retire() stops new calls,
// waits for calls on other threads to finish and then destroys the host function.
template <class Fn>
class CallbackBox {
public:
    explicit CallbackBox(Fn fn) : fn_(std::move(fn)) {}

    // Calls `f(fn)` unless retired; false when retired.
    template <class Invoke>
    bool invoke(Invoke&& f) {
        auto& stack = active_stack();
        stack.reserve(stack.size() + 1);  // the only allocation; done before anything is counted
        {
            std::lock_guard<std::mutex> lk(m_);
            if (retired_ || !fn_) return false;
            ++inflight_;
        }
        struct Exit {
            CallbackBox* box;
            ~Exit() {
                auto& stack = active_stack();
                stack.erase(std::find(stack.rbegin(), stack.rend(), box).base() - 1);
                Fn dead;
                {
                    std::lock_guard<std::mutex> lk(box->m_);
                    if (--box->inflight_ == 0 && box->release_on_exit_) {
                        dead = std::move(box->fn_);
                        box->fn_ = nullptr;
                    }
                }
                box->cv_.notify_all();
            }
        };
        stack.push_back(this);
        Exit exit{this};
        f(fn_);
        return true;
    }

    // Stops further calls and releases the host function once no call is running. From
    // inside the callback itself the release is deferred to the callback's return.
    void retire() {
        Fn dead;
        {
            std::unique_lock<std::mutex> lk(m_);
            retired_ = true;
            const auto& stack = active_stack();
            if (std::find(stack.begin(), stack.end(), this) != stack.end()) {
                release_on_exit_ = true;
                return;
            }
            cv_.wait(lk, [this] { return inflight_ == 0; });
            dead = std::move(fn_);
            fn_ = nullptr;
        }
    }

private:
    static std::vector<const void*>& active_stack() {
        thread_local std::vector<const void*> stack;
        return stack;
    }

    std::mutex m_;
    std::condition_variable cv_;
    Fn fn_;
    std::size_t inflight_ = 0;
    bool retired_ = false;
    bool release_on_exit_ = false;
};

using EventBox = CallbackBox<EventFn>;
using TrustBox = CallbackBox<TrustFn>;

// State shared by a Hypervisor and the Subscriptions it issued.
struct HandleState {
    std::mutex m;  // orders hv_destroy against hv_unsubscribe from a Subscription
    HvHypervisor* hv = nullptr;
    std::vector<std::shared_ptr<void>> boxes;  // every box the engine may still call
    std::shared_ptr<TrustBox> trust;           // the installed trust provider, if any
};

inline void event_trampoline(const char* event_json, void* user_data) noexcept {
    try {
        static_cast<EventBox*>(user_data)->invoke(
            [&](const EventFn& fn) { fn(std::string(event_json ? event_json : "")); });
    } catch (...) {
        // A subscriber has no way to report failure; never unwind into the engine.
    }
}

inline int32_t trust_trampoline(const char* agent_did, const char* context_json, void* user_data,
                                double* out_sigma) noexcept {
    try {
        std::optional<double> sigma;
        static_cast<TrustBox*>(user_data)->invoke([&](const TrustFn& fn) {
            sigma = fn(std::string(agent_did ? agent_did : ""),
                       std::string(context_json ? context_json : ""));
        });
        if (!sigma || !out_sigma) return 1;
        *out_sigma = *sigma;
        return 0;
    } catch (...) {
        return 1;  // "unknown": the engine falls back to sigma_raw / manifest hint / 0
    }
}

#if HV_HAS_SAGA_ABI
inline int32_t step_trampoline(HvStepContext* ctx, const char* step_json, void* user_data) noexcept {
    try {
        StepContext sc(ctx);
        (*static_cast<const StepFn*>(user_data))(sc, std::string(step_json ? step_json : ""));
        return sc.has_error() ? 1 : 0;
    } catch (const std::exception& e) {
        hv_step_set_error(ctx, e.what());
        return 1;
    } catch (...) {
        hv_step_set_error(ctx, "step executor threw a non-standard exception");
        return 1;
    }
}
#endif

}  // namespace detail

/// An event subscription; unsubscribes when destroyed (RAII, move-only). After unsubscribe()
/// or destruction returns, the subscriber is not running on another thread and will not be
/// called again; its std::function (and what it captured) has been released. It may outlive
/// its Hypervisor.
class Subscription {
public:
    Subscription() = default;
    Subscription(std::weak_ptr<detail::HandleState> state, std::shared_ptr<detail::EventBox> box,
                 std::uint64_t id) noexcept
        : state_(std::move(state)), box_(std::move(box)), id_(id) {}
    Subscription(Subscription&& o) noexcept
        : state_(std::move(o.state_)), box_(std::move(o.box_)), id_(o.id_) {}
    Subscription& operator=(Subscription&& o) noexcept {
        if (this != &o) {
            unsubscribe();
            state_ = std::move(o.state_);
            box_ = std::move(o.box_);
            id_ = o.id_;
        }
        return *this;
    }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { unsubscribe(); }

    /// Stops delivery. Idempotent; safe after the Hypervisor is gone.
    void unsubscribe() noexcept {
        if (!box_) return;
        if (auto st = state_.lock()) {
            std::lock_guard<std::mutex> lk(st->m);
            if (st->hv) (void)hv_unsubscribe(st->hv, id_);
        }
        try {
            box_->retire();
        } catch (...) {
            // Only std::system_error from the mutex could land here; nothing to recover.
        }
        box_.reset();
        state_.reset();
    }

    /// True until unsubscribe() or a move away.
    bool active() const noexcept { return static_cast<bool>(box_); }
    /// The engine's subscription id.
    std::uint64_t id() const noexcept { return id_; }

private:
    std::weak_ptr<detail::HandleState> state_;
    std::shared_ptr<detail::EventBox> box_;
    std::uint64_t id_ = 0;
};

}  // namespace hv

#endif  // HV_CALLBACKS_HPP
