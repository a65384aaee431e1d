// agent-hypervisor C++ wrapper: one named member per JSON method of API.md §4.
// Generated layout, written by hand once: each member is `hv_call(method, request)` and
// returns the response JSON or throws hv::Error. Requests whose fields are all optional
// default to "{}".
#ifndef HV_METHODS_HPP
#define HV_METHODS_HPP

#include <string>

namespace hv {
namespace detail {

// CRTP base: `Derived` provides `std::string call(const char* method, const std::string& req)`.
template <class Derived>
class Methods {
public:
    // ---- 4.1 Sessions (session.create/join/activate/terminate use the C shortcuts in Hypervisor)
    /// `session.leave` {session_id, agent_did} -> Participant
    std::string session_leave(const std::string& request) { return self().call("session.leave", request); }
    /// `session.get` {session_id} -> Session
    std::string session_get(const std::string& request) { return self().call("session.get", request); }
    /// `session.list` {state?} -> {sessions}
    std::string session_list(const std::string& request = "{}") { return self().call("session.list", request); }
    /// `session.snapshot` {session_id} -> {snapshot_id}
    std::string session_snapshot(const std::string& request) { return self().call("session.snapshot", request); }
    /// `session.restore` {session_id, snapshot_id, agent_did} -> Session
    std::string session_restore(const std::string& request) { return self().call("session.restore", request); }
    // ---- 4.2 Virtual file system
    /// `vfs.write` {session_id, agent_did, path, content} -> {path, operation, content_hash, ...}
    std::string vfs_write(const std::string& request) { return self().call("vfs.write", request); }
    /// `vfs.read` {session_id, path, agent_did?} -> {path, content|null, clock}
    std::string vfs_read(const std::string& request) { return self().call("vfs.read", request); }
    /// `vfs.delete` {session_id, agent_did, path}
    std::string vfs_delete(const std::string& request) { return self().call("vfs.delete", request); }
    /// `vfs.list` {session_id} -> {paths}
    std::string vfs_list(const std::string& request) { return self().call("vfs.list", request); }
    /// `vfs.set_permissions` {session_id, agent_did, path, allowed_agents}
    std::string vfs_set_permissions(const std::string& request) { return self().call("vfs.set_permissions", request); }
    /// `vfs.clear_permissions` {session_id, agent_did, path}
    std::string vfs_clear_permissions(const std::string& request) { return self().call("vfs.clear_permissions", request); }
    /// `vfs.edits` {session_id, agent_did?} -> {edits}
    std::string vfs_edits(const std::string& request) { return self().call("vfs.edits", request); }
    // ---- 4.3 Rings
    /// `ring.compute` {sigma_eff, has_consensus?} -> {ring}
    std::string ring_compute(const std::string& request) { return self().call("ring.compute", request); }
    /// `ring.classify` {action} -> {ring, risk_weight, reversibility}
    std::string ring_classify(const std::string& request) { return self().call("ring.classify", request); }
    /// `ring.check` {session_id, agent_did, action_id?|action?, ...} -> {allowed, ...} (a denial is a normal response)
    std::string ring_check(const std::string& request) { return self().call("ring.check", request); }
    /// `ring.elevate` {session_id, agent_did, target_ring, ttl_seconds?, attestation?, reason?} -> elevation
    std::string ring_elevate(const std::string& request) { return self().call("ring.elevate", request); }
    /// `ring.revoke` {elevation_id}
    std::string ring_revoke(const std::string& request) { return self().call("ring.revoke", request); }
    /// `ring.elevations` {session_id, agent_did?} -> active elevations
    std::string ring_elevations(const std::string& request) { return self().call("ring.elevations", request); }
    /// `ring.register_child` {session_id, parent_did, child_did} -> {ring}
    std::string ring_register_child(const std::string& request) { return self().call("ring.register_child", request); }
    /// `ring.breaker` {session_id, agent_did} -> {total_calls, window_calls, tripped, ring_distribution}
    std::string ring_breaker(const std::string& request) { return self().call("ring.breaker", request); }
    /// `ring.reset_breaker` {session_id, agent_did}
    std::string ring_reset_breaker(const std::string& request) { return self().call("ring.reset_breaker", request); }
    // ---- 4.4 Liability
    /// `liability.vouch` {session_id, voucher_did, vouchee_did, bond_pct?, expires_at?} -> VouchRecord
    std::string liability_vouch(const std::string& request) { return self().call("liability.vouch", request); }
    /// `liability.release` {vouch_id}
    std::string liability_release(const std::string& request) { return self().call("liability.release", request); }
    /// `liability.sigma_eff` {session_id, agent_did, risk_weight} -> {sigma_eff}
    std::string liability_sigma_eff(const std::string& request) { return self().call("liability.sigma_eff", request); }
    /// `liability.slash` {session_id, agent_did, risk_weight, reason} -> SlashResult
    std::string liability_slash(const std::string& request) { return self().call("liability.slash", request); }
    /// `liability.exposure` {session_id, agent_did} -> {bonded_total, limit}
    std::string liability_exposure(const std::string& request) { return self().call("liability.exposure", request); }
    /// `liability.matrix` {session_id} -> {edges, has_cycle, cascade_paths}
    std::string liability_matrix(const std::string& request) { return self().call("liability.matrix", request); }
    /// `liability.attribute` {saga_id} | {session_id, agent_actions, ...} -> AttributionResult
    std::string liability_attribute(const std::string& request) { return self().call("liability.attribute", request); }
    /// `liability.quarantine` {session_id, agent_did, reason, duration_seconds?, details?} -> quarantine
    std::string liability_quarantine(const std::string& request) { return self().call("liability.quarantine", request); }
    /// `liability.release_quarantine` {session_id, agent_did}
    std::string liability_release_quarantine(const std::string& request) { return self().call("liability.release_quarantine", request); }
    /// `liability.ledger` {agent_did} -> {entries, profile}
    std::string liability_ledger(const std::string& request) { return self().call("liability.ledger", request); }
    // ---- 4.5 Sagas (host-executed steps: Hypervisor::saga_step / saga_compensate / saga_fan_out)
    /// `saga.create` {session_id, saga_id?, isolation_level?} -> Saga
    std::string saga_create(const std::string& request) { return self().call("saga.create", request); }
    /// `saga.add_step` {saga_id, action_id, agent_did, execute_api, ...} -> Step
    std::string saga_add_step(const std::string& request) { return self().call("saga.add_step", request); }
    /// `saga.define` {definition} -> Saga (+ fan_out_groups)
    std::string saga_define(const std::string& request) { return self().call("saga.define", request); }
    /// `saga.validate` {definition} -> {errors}
    std::string saga_validate(const std::string& request) { return self().call("saga.validate", request); }
    /// `saga.get` {saga_id} -> Saga
    std::string saga_get(const std::string& request) { return self().call("saga.get", request); }
    /// `saga.list` {session_id} -> sagas
    std::string saga_list(const std::string& request) { return self().call("saga.list", request); }
    /// `saga.step.begin` {saga_id, step_id, has_consensus?, has_sre_witness?} -> {step_id, attempt, deadline, timeout_ms}
    std::string saga_step_begin(const std::string& request) { return self().call("saga.step.begin", request); }
    /// `saga.step.end` {saga_id, step_id, ok, result?, error?} -> {step_id, state, attempt, ...}
    std::string saga_step_end(const std::string& request) { return self().call("saga.step.end", request); }
    /// `saga.compensate.begin` {saga_id} -> {steps}
    std::string saga_compensate_begin(const std::string& request) { return self().call("saga.compensate.begin", request); }
    /// `saga.compensate.end` {saga_id, step_id, ok, error?} -> Step
    std::string saga_compensate_end(const std::string& request) { return self().call("saga.compensate.end", request); }
    /// `saga.complete` {saga_id} -> Saga
    std::string saga_complete(const std::string& request) { return self().call("saga.complete", request); }
    /// `saga.fan_out.create` {saga_id, policy, step_ids} -> {group_id}
    std::string saga_fan_out_create(const std::string& request) { return self().call("saga.fan_out.create", request); }
    /// `saga.fan_out.resolve` {group_id} -> fan-out result
    std::string saga_fan_out_resolve(const std::string& request) { return self().call("saga.fan_out.resolve", request); }
    /// `saga.checkpoint.save` {saga_id, step_id, goal, state?} -> {checkpoint_id, goal_hash}
    std::string saga_checkpoint_save(const std::string& request) { return self().call("saga.checkpoint.save", request); }
    /// `saga.checkpoint.invalidate` {saga_id, step_id, reason?}
    std::string saga_checkpoint_invalidate(const std::string& request) { return self().call("saga.checkpoint.invalidate", request); }
    /// `saga.replay_plan` {saga_id} -> {step_ids}
    std::string saga_replay_plan(const std::string& request) { return self().call("saga.replay_plan", request); }
    // ---- 4.6 Security
    /// `security.rate_check` {session_id, agent_did, cost?} -> {allowed, tokens_remaining}
    std::string security_rate_check(const std::string& request) { return self().call("security.rate_check", request); }
    /// `security.rate_stats` {session_id, agent_did} -> {total_requests, rejected_requests, ...}
    std::string security_rate_stats(const std::string& request) { return self().call("security.rate_stats", request); }
    /// `security.substitute` {session_id, agent_did, available}
    std::string security_substitute(const std::string& request) { return self().call("security.substitute", request); }
    /// `security.kill` {session_id, agent_did, reason, details?} -> kill result
    std::string security_kill(const std::string& request) { return self().call("security.kill", request); }
    // ---- 4.7 Audit
    /// `audit.capture` {session_id, agent_did, changes} -> Delta
    std::string audit_capture(const std::string& request) { return self().call("audit.capture", request); }
    /// `audit.deltas` {session_id, after_turn?, limit?} -> {deltas}
    std::string audit_deltas(const std::string& request) { return self().call("audit.deltas", request); }
    /// `audit.verify` {session_id} -> {valid, delta_count, first_invalid_turn?}
    std::string audit_verify(const std::string& request) { return self().call("audit.verify", request); }
    /// `audit.root` {session_id} -> {merkle_root|null, tree_size}
    std::string audit_root(const std::string& request) { return self().call("audit.root", request); }
    /// `audit.proof` {session_id, turn_id, tree_size?} -> inclusion proof
    std::string audit_proof(const std::string& request) { return self().call("audit.proof", request); }
    /// `audit.consistency` {session_id, first_size, second_size} -> consistency proof
    std::string audit_consistency(const std::string& request) { return self().call("audit.consistency", request); }
    /// `audit.commitment` {session_id} -> commitment
    std::string audit_commitment(const std::string& request) { return self().call("audit.commitment", request); }
    /// `audit.verify_commitment` {session_id, merkle_root} -> {valid}
    std::string audit_verify_commitment(const std::string& request) { return self().call("audit.verify_commitment", request); }
    /// `audit.gc` {} -> retention sweep result
    std::string audit_gc(const std::string& request = "{}") { return self().call("audit.gc", request); }
    // ---- 4.8 Verification and integrations
    /// `verify.history` {agent_did, history} -> {status, transactions_checked, inconsistencies}
    std::string verify_history(const std::string& request) { return self().call("verify.history", request); }
    /// `verify.drift` {session_id, agent_did, claimed_embedding, observed_embedding, ...} -> drift
    std::string verify_drift(const std::string& request) { return self().call("verify.drift", request); }
    /// `iatp.analyze` {manifest} -> {agent_did, trust_level, sigma_hint, ring_hint, actions, ...}
    std::string iatp_analyze(const std::string& request) { return self().call("iatp.analyze", request); }
    // ---- 4.9 Observability and misc
    /// `events.query` {after_seq?, event_type?, session_id?, agent_did?, limit?} -> {events, next_seq, dropped}
    std::string events_query(const std::string& request = "{}") { return self().call("events.query", request); }
    /// `events.stats` -> {total, type_counts}
    std::string events_stats(const std::string& request = "{}") { return self().call("events.stats", request); }
    /// `trace.new` -> {trace_id}
    std::string trace_new(const std::string& request = "{}") { return self().call("trace.new", request); }
    /// `trace.child` {trace_id} -> {trace_id}
    std::string trace_child(const std::string& request) { return self().call("trace.child", request); }
    /// `clock.now` -> {now}
    std::string clock_now(const std::string& request = "{}") { return self().call("clock.now", request); }
    /// `clock.advance` {seconds?, ms?} (manual clock only)
    std::string clock_advance(const std::string& request = "{}") { return self().call("clock.advance", request); }
    /// `stats` -> {sessions, active_sessions, participants, ...}
    std::string stats(const std::string& request = "{}") { return self().call("stats", request); }
    /// `health` -> {status, version, abi_version}
    std::string health(const std::string& request = "{}") { return self().call("health", request); }

private:
    Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace detail
}  // namespace hv

#endif  // HV_METHODS_HPP
