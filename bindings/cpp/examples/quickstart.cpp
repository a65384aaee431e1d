// agent-hypervisor from C++: a governed session end to end.
//
//   cmake -S bindings/cpp -B build && cmake --build build && ./build/quickstart
#include <hv/hypervisor.hpp>

#include <iostream>
#include <string>

using hv::json::get_bool;
using hv::json::get_int;
using hv::json::get_number;
using hv::json::get_string;

int main() {
    try {
        std::cout << "agent-hypervisor " << hv::version() << " (ABI " << hv::abi_version() << ")\n";
        hv::Hypervisor engine(R"({"clock":"manual","start_time":"2026-01-01T00:00:00Z"})");

        // Watch the session's events as they happen.
        int events = 0;
        hv::Subscription sub = engine.subscribe(R"({"session_id":"demo"})", [&](const std::string& e) {
            ++events;
            std::cout << "  event  " << get_string(e, "event_type").value_or("?") << "\n";
        });

        // A trust provider scores agents that arrive without a sigma.
        engine.set_trust_provider([](const std::string& did, const std::string&) -> std::optional<double> {
            if (did == "did:ex:reviewer") return 0.82;
            return std::nullopt;  // unknown: the engine falls back to sigma_raw
        });

        engine.session_create(R"({"creator_did":"did:ex:lead","session_id":"demo"})");
        const std::string writer =
            engine.session_join(R"({"session_id":"demo","agent_did":"did:ex:writer","sigma_raw":0.72})");
        const std::string reviewer = engine.session_join(R"({"session_id":"demo","agent_did":"did:ex:reviewer"})");
        const std::string intern =
            engine.session_join(R"({"session_id":"demo","agent_did":"did:ex:intern","sigma_raw":0.35})");
        std::cout << "writer   ring " << *get_int(writer, "ring") << "  sigma_eff " << *get_number(writer, "sigma_eff")
                  << "\nreviewer ring " << *get_int(reviewer, "ring") << "  sigma_eff "
                  << *get_number(reviewer, "sigma_eff") << " (from the trust provider)\nintern   ring "
                  << *get_int(intern, "ring") << "  sigma_eff " << *get_number(intern, "sigma_eff") << "\n";
        engine.session_activate(R"({"session_id":"demo"})");

        // A ring check: a denial is an answer, not an error.
        const std::string check = engine.ring_check(
            R"({"session_id":"demo","agent_did":"did:ex:intern",
                "action":{"action_id":"edit","name":"edit","execute_api":"/edit","reversibility":"full"}})");
        std::cout << "intern may edit: " << (*get_bool(check, "allowed") ? "yes" : "no") << " ("
                  << get_string(check, "reason").value_or("") << ")\n";

        // Errors are hv::Error exceptions carrying status, code, message and details.
        try {
            engine.session_join(R"({"session_id":"demo","agent_did":"did:ex:writer","sigma_raw":0.9})");
        } catch (const hv::Error& e) {
            std::cout << "rejoin refused: " << hv::to_string(e.status()) << " / " << e.code() << ": " << e.message()
                      << "\n";
        }

#if HV_HAS_SAGA_ABI
        // A governed saga step executed by a native std::function.
        try {
            const std::string saga = get_string(engine.saga_create(R"({"session_id":"demo"})"), "saga_id").value();
            const std::string step =
                engine.saga_add_step("{\"saga_id\":" + hv::json::quote(saga) +
                                     R"(,"action_id":"draft","agent_did":"did:ex:writer","execute_api":"/draft","undo_api":"/undraft"})");
            const std::string done = engine.saga_step(
                "{\"saga_id\":" + hv::json::quote(saga) + ",\"step_id\":" + hv::json::get(step, "step_id").value() + "}",
                [](hv::StepContext& ctx, const std::string& s) {
                    std::cout << "  executing " << get_string(s, "execute_api").value_or("?") << " ("
                              << ctx.remaining_ms() << " ms left)\n";
                    ctx.set_result(R"({"words":1200})");
                });
            std::cout << "step " << get_string(done, "state").value_or("?") << ", result "
                      << hv::json::get(done, "result").value_or("null") << "\n";
        } catch (const hv::Error& e) {
            if (e.code() != "UNKNOWN_METHOD") throw;
            std::cout << "(sagas not wired in this engine build)\n";
        }
#endif

        const std::string end = engine.session_terminate(R"({"session_id":"demo"})");
        std::cout << "session " << get_string(end, "state").value_or("?") << ", merkle root "
                  << hv::json::get(end, "merkle_root").value_or("null") << "\n";
        std::cout << events << " events delivered to the subscriber\n";
        return 0;
    } catch (const hv::Error& e) {
        std::cerr << "hypervisor error: " << e.what() << "\n";
        return 1;
    }
}
