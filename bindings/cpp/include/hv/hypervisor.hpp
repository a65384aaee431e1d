// agent-hypervisor C++ wrapper (header-only, C++17): the engine handle.
//
//   #include <hv/hypervisor.hpp>
//   hv::Hypervisor engine(R"({"clock":"manual"})");
//   engine.session_create(R"({"creator_did":"did:ex:alice","session_id":"s1"})");
//
// A thin skin over the C ABI (include/agent_hypervisor.h, contract in API.md): handle
// lifetime, string ownership and errors. Requests and responses are JSON strings; every
// failure is an hv::Error. No governance logic lives here.
//
// Thread safety: like the C handle, one Hypervisor may be used from many threads at once.
// close(), destruction and move-assignment must not race with other calls on the same object,
// and must not happen from inside one of its callbacks.
#ifndef HV_HYPERVISOR_HPP
#define HV_HYPERVISOR_HPP

#include <agent_hypervisor.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "callbacks.hpp"
#include "error.hpp"
#include "json.hpp"
#include "methods.hpp"

namespace hv {

/// The library's semantic version (hv_version).
inline std::string version() { return hv_version(); }
/// The C ABI version (hv_abi_version); this wrapper was written for ABI 1.
inline std::uint32_t abi_version() noexcept { return hv_abi_version(); }

#if HV_HAS_VERIFY_ABI
/// Offline check of an `audit.proof` object → `{"valid":bool}` (no engine needed).
inline std::string verify_inclusion(const std::string& proof_json) {
    detail::OwnedCString out;
    return detail::check(hv_verify_inclusion(proof_json.c_str(), out.out()), out);
}
/// Offline check of an `audit.consistency` object → `{"valid":bool}`.
inline std::string verify_consistency(const std::string& proof_json) {
    detail::OwnedCString out;
    return detail::check(hv_verify_consistency(proof_json.c_str(), out.out()), out);
}
#endif

/// An engine instance. RAII and move-only: the destructor calls hv_destroy.
class Hypervisor : public detail::Methods<Hypervisor> {
public:
    /// Creates an engine; `config_json` is the object of API.md §3 ("" for defaults).
    explicit Hypervisor(const std::string& config_json = "") : state_(std::make_shared<detail::HandleState>()) {
        detail::OwnedCString out;
        HvHypervisor* raw = nullptr;
        const HvStatus st = hv_create(config_json.c_str(), &raw, out.out());
        if (st != HV_OK) throw Error::from_response(static_cast<Status>(st), out.str());
        state_->hv = raw;
    }

    Hypervisor(Hypervisor&& other) noexcept : state_(std::move(other.state_)) {}
    Hypervisor& operator=(Hypervisor&& other) noexcept {
        if (this != &other) {
            close();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    Hypervisor(const Hypervisor&) = delete;
    Hypervisor& operator=(const Hypervisor&) = delete;
    ~Hypervisor() { close(); }

    /// Destroys the engine now. Idempotent; later calls throw hv::Error (INVALID_STATE,
    /// HANDLE_CLOSED). Outstanding Subscriptions become inert.
    void close() noexcept {
        if (!state_) return;
        std::vector<std::shared_ptr<void>> boxes;
        {
            std::lock_guard<std::mutex> lk(state_->m);
            if (state_->hv) {
                hv_destroy(state_->hv);
                state_->hv = nullptr;
            }
            boxes.swap(state_->boxes);
            state_->trust.reset();
        }
        // `boxes` (the host callbacks) are released here, after the engine is gone.
    }

    /// Whether the handle is open.
    bool is_open() const noexcept { return state_ && state_->hv; }
    explicit operator bool() const noexcept { return is_open(); }

    /// The raw C handle, for direct C calls (owned by this object).
    HvHypervisor* native() const {
        if (!is_open()) {
            throw Error(Status::InvalidState, "HANDLE_CLOSED", "the hypervisor handle is closed");
        }
        return state_->hv;
    }

    /// Generic escape hatch: any method of API.md §4 → response JSON, or throws hv::Error.
    /// An unknown method is hv::Error{NotFound, "UNKNOWN_METHOD"}.
    std::string call(const std::string& method, const std::string& request = "{}") {
        detail::OwnedCString out;
        return detail::check(hv_call(native(), method.c_str(), request.c_str(), out.out()), out);
    }

    // ---- Named C shortcuts (API.md §2)
    /// `session.create` {config?, creator_did, session_id?} → Session.
    std::string session_create(const std::string& request) {
        return shortcut(&hv_create_session, request);
    }
    /// `session.join` {session_id, agent_did, sigma_raw?, ...} → join result.
    std::string session_join(const std::string& request) { return shortcut(&hv_join_session, request); }
    /// `session.activate` {session_id} → Session.
    std::string session_activate(const std::string& request) {
        return shortcut(&hv_activate_session, request);
    }
    /// `session.terminate` {session_id} → {session_id, state:"archived", merkle_root, ...}.
    std::string session_terminate(const std::string& request) { return shortcut(&hv_terminate, request); }

#if HV_HAS_SAGA_ABI
    // ---- Host-executed saga steps (API.md §4.5)
    /// hv_saga_step: begin → `execute` → end, with retries; returns the final Step. A final
    /// failure throws hv::Error{StepFailed} with the Step in details(); a governance denial
    /// throws its own status without calling `execute`.
    std::string saga_step(const std::string& request, const StepFn& execute) {
        detail::OwnedCString out;
        const StepFn* fn = &execute;
        return detail::check(hv_saga_step(native(), request.c_str(), &detail::step_trampoline,
                                          const_cast<StepFn*>(fn), out.out()),
                             out);
    }
    /// hv_saga_compensate: runs `undo` for each committed step in reverse; returns the Saga.
    std::string saga_compensate(const std::string& request, const StepFn& undo) {
        detail::OwnedCString out;
        const StepFn* fn = &undo;
        return detail::check(hv_saga_compensate(native(), request.c_str(), &detail::step_trampoline,
                                                const_cast<StepFn*>(fn), out.out()),
                             out);
    }
    /// hv_saga_fan_out: runs every branch concurrently on engine worker threads (`execute`
    /// must be thread-safe); returns the group result whether or not the policy held.
    std::string saga_fan_out(const std::string& request, const StepFn& execute) {
        detail::OwnedCString out;
        const StepFn* fn = &execute;
        return detail::check(hv_saga_fan_out(native(), request.c_str(), &detail::step_trampoline,
                                             const_cast<StepFn*>(fn), out.out()),
                             out);
    }
#endif

    // ---- Events and trust
    /// Subscribes `on_event` to events matching `filter_json` (`{event_types?, session_id?,
    /// agent_did?}`, "" for all). Delivery stops when the returned Subscription is destroyed.
    Subscription subscribe(const std::string& filter_json, EventFn on_event) {
        if (!on_event) throw Error(Status::InvalidArgument, "NULL_POINTER", "on_event is empty");
        HvHypervisor* h = native();
        auto box = std::make_shared<detail::EventBox>(std::move(on_event));
        keep_alive(box);  // before the engine can call it
        std::uint64_t id = 0;
        const HvStatus st = hv_subscribe(h, filter_json.c_str(), &detail::event_trampoline, box.get(), &id);
        if (st != HV_OK) {
            throw Error(static_cast<Status>(st), "SUBSCRIBE_FAILED", describe_subscribe_failure(filter_json, st));
        }
        return Subscription(state_, std::move(box), id);
    }
    /// Subscribes to every event.
    Subscription subscribe(EventFn on_event) { return subscribe("", std::move(on_event)); }

    /// Installs the trust provider asked on every session.join (an empty function clears it).
    /// When this returns, a replaced provider is no longer running on another thread.
    void set_trust_provider(TrustFn provider) {
        HvHypervisor* h = native();
        std::shared_ptr<detail::TrustBox> box;
        if (provider) {
            box = std::make_shared<detail::TrustBox>(std::move(provider));
            keep_alive(box);  // before the engine can call it
        }
        const HvStatus st = box ? hv_set_trust_provider(h, &detail::trust_trampoline, box.get())
                                : hv_set_trust_provider(h, nullptr, nullptr);
        if (st != HV_OK) throw Error(static_cast<Status>(st), "TRUST_PROVIDER_FAILED", "hv_set_trust_provider failed");
        std::shared_ptr<detail::TrustBox> old;
        {
            std::lock_guard<std::mutex> lk(state_->m);
            old = std::exchange(state_->trust, box);
        }
        if (old) old->retire();
    }
    /// Removes the trust provider.
    void clear_trust_provider() { set_trust_provider(TrustFn{}); }

private:
    void keep_alive(std::shared_ptr<void> box) {
        std::lock_guard<std::mutex> lk(state_->m);
        state_->boxes.push_back(std::move(box));
    }

    using Shortcut = HvStatus (*)(HvHypervisor*, const char*, char**);

    std::string shortcut(Shortcut fn, const std::string& request) {
        detail::OwnedCString out;
        return detail::check(fn(native(), request.c_str(), out.out()), out);
    }

    // hv_subscribe has no out_json, so the message is built from the status.
    static std::string describe_subscribe_failure(const std::string& filter, HvStatus st) {
        return std::string("hv_subscribe failed (") + to_string(static_cast<Status>(st)) +
               ") for filter " + (filter.empty() ? std::string("<all>") : filter);
    }

    std::shared_ptr<detail::HandleState> state_;
};

}  // namespace hv

#endif  // HV_HYPERVISOR_HPP
