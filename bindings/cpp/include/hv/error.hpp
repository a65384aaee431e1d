// agent-hypervisor C++ wrapper: status codes and the hv::Error exception.
#ifndef HV_ERROR_HPP
#define HV_ERROR_HPP

#include <agent_hypervisor.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "json.hpp"

namespace hv {

/// Mirrors the C `HvStatus` (API.md §2); the numeric values are the same.
enum class Status : int {
    Ok = HV_OK,
    InvalidArgument = HV_INVALID_ARGUMENT,
    NotFound = HV_NOT_FOUND,
    InvalidState = HV_INVALID_STATE,
    Denied = HV_DENIED,
    RateLimited = HV_RATE_LIMITED,
    Conflict = HV_CONFLICT,
    LimitExceeded = HV_LIMIT_EXCEEDED,
    Timeout = HV_TIMEOUT,
    StepFailed = HV_STEP_FAILED,
    Io = HV_IO,
    Corrupt = HV_CORRUPT,
    Internal = HV_INTERNAL,
};

/// The `HvStatus` name without `HV_`, as in the error object's `status` ("NOT_FOUND").
inline const char* to_string(Status s) noexcept {
    switch (s) {
        case Status::Ok: return "OK";
        case Status::InvalidArgument: return "INVALID_ARGUMENT";
        case Status::NotFound: return "NOT_FOUND";
        case Status::InvalidState: return "INVALID_STATE";
        case Status::Denied: return "DENIED";
        case Status::RateLimited: return "RATE_LIMITED";
        case Status::Conflict: return "CONFLICT";
        case Status::LimitExceeded: return "LIMIT_EXCEEDED";
        case Status::Timeout: return "TIMEOUT";
        case Status::StepFailed: return "STEP_FAILED";
        case Status::Io: return "IO";
        case Status::Corrupt: return "CORRUPT";
        case Status::Internal: return "INTERNAL";
    }
    return "UNKNOWN";
}

/// Parses a status name ("DENIED"); Status::Internal for an unknown name.
inline Status status_from_string(std::string_view name) noexcept {
    for (int i = HV_OK; i <= HV_INTERNAL; ++i) {
        if (name == to_string(static_cast<Status>(i))) return static_cast<Status>(i);
    }
    return Status::Internal;
}

/// A failed engine call: the C status plus the error object of API.md §1,
/// `{"error":{"code","status","message","details"}}`.
class Error : public std::runtime_error {
public:
    Error(Status status, std::string code, std::string message, std::string details = "{}",
          std::string raw = {})
        : std::runtime_error(std::string(hv::to_string(status)) + " " + code + ": " + message),
          status_(status),
          code_(std::move(code)),
          message_(std::move(message)),
          details_(std::move(details)),
          raw_(std::move(raw)) {}

    /// Builds the exception from a non-OK status and the engine's error JSON (may be empty).
    static Error from_response(Status status, const std::string& error_json) {
        std::string code = json::get_string(error_json, "error.code").value_or("UNKNOWN");
        std::string message = json::get_string(error_json, "error.message").value_or(error_json);
        std::string details = json::get(error_json, "error.details").value_or("{}");
        if (details == "null") details = "{}";
        return Error(status, std::move(code), std::move(message), std::move(details), error_json);
    }

    /// The `HvStatus` the call returned.
    Status status() const noexcept { return status_; }
    /// The stable SCREAMING_SNAKE code, e.g. "AGENT_ALREADY_JOINED".
    const std::string& code() const noexcept { return code_; }
    /// The engine's message (names the offending field or id).
    const std::string& message() const noexcept { return message_; }
    /// `error.details` as raw JSON text (`{}` when absent); read it with hv::json::get.
    const std::string& details() const noexcept { return details_; }
    /// The whole error object as returned by the engine (empty for wrapper-side errors).
    const std::string& raw() const noexcept { return raw_; }

private:
    Status status_;
    std::string code_;
    std::string message_;
    std::string details_;
    std::string raw_;
};

namespace detail {

/// Owns a string returned by the library and frees it with hv_string_free.
class OwnedCString {
public:
    OwnedCString() = default;
    OwnedCString(const OwnedCString&) = delete;
    OwnedCString& operator=(const OwnedCString&) = delete;
    ~OwnedCString() { hv_string_free(p_); }
    char** out() noexcept { return &p_; }
    std::string str() const { return p_ ? std::string(p_) : std::string(); }

private:
    char* p_ = nullptr;
};

/// Converts a C status plus its out_json into a response string or an hv::Error.
inline std::string check(HvStatus st, const OwnedCString& out) {
    if (st == HV_OK) return out.str();
    throw Error::from_response(static_cast<Status>(st), out.str());
}

}  // namespace detail
}  // namespace hv

#endif  // HV_ERROR_HPP
