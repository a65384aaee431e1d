//! The crate's single error type.
//!
//! Every failure carries a stable [`Code`] (a SCREAMING_SNAKE identifier that is never
//! repurposed), the [`Status`] class the C ABI returns, a human-readable message that names the
//! field or id concerned, and optional structured details. The boundary serialises it as
//! `{"error":{"code","status","message","details"}}` (API.md §1).

use std::fmt;

/// Status classes returned by every fallible C function (`HvStatus` in the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// NULL pointer, bad UTF-8, malformed JSON, failed validation.
    InvalidArgument = 1,
    /// Unknown session, agent, saga, step, vouch, snapshot, ...
    NotFound = 2,
    /// Lifecycle or state-machine violation.
    InvalidState = 3,
    /// Governance denial: ring, quarantine, killed, permission, breaker, admission.
    Denied = 4,
    /// Rate limit exceeded.
    RateLimited = 5,
    /// Duplicate id, lock contention, deadlock, causal violation, circular vouch.
    Conflict = 6,
    /// Capacity, exposure cap, size limits, table caps.
    LimitExceeded = 7,
    /// A deadline passed.
    Timeout = 8,
    /// A saga step failed after its retries.
    StepFailed = 9,
    /// Storage errors (durable mode).
    Io = 10,
    /// Integrity failure in stored or supplied audit data.
    Corrupt = 11,
    /// Bug or caught panic.
    Internal = 12,
}

impl Status {
    /// The status name without the `HV_` prefix, as used in error objects.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::InvalidArgument => "INVALID_ARGUMENT",
            Status::NotFound => "NOT_FOUND",
            Status::InvalidState => "INVALID_STATE",
            Status::Denied => "DENIED",
            Status::RateLimited => "RATE_LIMITED",
            Status::Conflict => "CONFLICT",
            Status::LimitExceeded => "LIMIT_EXCEEDED",
            Status::Timeout => "TIMEOUT",
            Status::StepFailed => "STEP_FAILED",
            Status::Io => "IO",
            Status::Corrupt => "CORRUPT",
            Status::Internal => "INTERNAL",
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident => $status:ident ),* $(,)?) => {
        /// Stable error codes. The list grows; a code is never repurposed. Variant names are the
        /// wire codes themselves, hence SCREAMING_SNAKE.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// The stable SCREAMING_SNAKE identifier.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => stringify!($variant), )* }
            }
            /// The status class this code belongs to.
            pub fn status(self) -> Status {
                match self { $( Code::$variant => Status::$status, )* }
            }
            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];
        }
    };
}

codes! {
    // ---- INVALID_ARGUMENT
    /// Generic validation failure; `details.field` names the field.
    INVALID_ARGUMENT => InvalidArgument,
    /// A required pointer was NULL.
    NULL_POINTER => InvalidArgument,
    /// A string was not valid UTF-8.
    INVALID_UTF8 => InvalidArgument,
    /// The request was not well-formed JSON.
    MALFORMED_JSON => InvalidArgument,
    /// The request carried a field the method does not know.
    UNKNOWN_FIELD => InvalidArgument,
    /// A required field was absent.
    MISSING_FIELD => InvalidArgument,
    /// A field had the wrong JSON type or an unknown enum value.
    INVALID_TYPE => InvalidArgument,
    /// A number outside its documented range (or not finite).
    OUT_OF_RANGE => InvalidArgument,
    /// An identifier that does not match the id grammar or is too long.
    INVALID_ID => InvalidArgument,
    /// A VFS path that is empty, too long or escapes the session namespace.
    INVALID_PATH => InvalidArgument,
    /// A timestamp that is not RFC 3339.
    INVALID_TIMESTAMP => InvalidArgument,
    /// A saga definition failed validation.
    INVALID_DEFINITION => InvalidArgument,
    // ---- NOT_FOUND
    /// `hv_call` with a method name that does not exist.
    UNKNOWN_METHOD => NotFound,
    /// Unknown session id.
    SESSION_NOT_FOUND => NotFound,
    /// The agent is not a participant of the session.
    AGENT_NOT_FOUND => NotFound,
    /// Unknown action id in the session registry.
    ACTION_NOT_FOUND => NotFound,
    /// Unknown saga id.
    SAGA_NOT_FOUND => NotFound,
    /// Unknown step id.
    STEP_NOT_FOUND => NotFound,
    /// Unknown fan-out group id.
    GROUP_NOT_FOUND => NotFound,
    /// Unknown checkpoint.
    CHECKPOINT_NOT_FOUND => NotFound,
    /// Unknown vouch id.
    VOUCH_NOT_FOUND => NotFound,
    /// Unknown snapshot id.
    SNAPSHOT_NOT_FOUND => NotFound,
    /// Unknown elevation id.
    ELEVATION_NOT_FOUND => NotFound,
    /// No active quarantine for the agent.
    QUARANTINE_NOT_FOUND => NotFound,
    /// Unknown audit turn.
    TURN_NOT_FOUND => NotFound,
    /// Unknown VFS file.
    FILE_NOT_FOUND => NotFound,
    /// Unknown subscription id.
    SUBSCRIPTION_NOT_FOUND => NotFound,
    /// Unknown lock.
    LOCK_NOT_FOUND => NotFound,
    // ---- INVALID_STATE
    /// Generic lifecycle or state-machine violation.
    INVALID_STATE => InvalidState,
    /// The session is not in a state that allows the operation.
    INVALID_SESSION_STATE => InvalidState,
    /// The saga is not in a state that allows the operation.
    INVALID_SAGA_STATE => InvalidState,
    /// The step is not in a state that allows the operation.
    INVALID_STEP_STATE => InvalidState,
    /// A step retry was requested before its backoff elapsed.
    RETRY_NOT_DUE => InvalidState,
    /// `clock.advance` on a system clock.
    CLOCK_NOT_MANUAL => InvalidState,
    /// Activation of a session without participants.
    NO_PARTICIPANTS => InvalidState,
    /// The participant has left the session.
    AGENT_INACTIVE => InvalidState,
    /// The operation needs audit enabled or at least one delta.
    AUDIT_EMPTY => InvalidState,
    /// The session was created with `enable_audit: false` (`audit.capture`, `audit.commitment`).
    AUDIT_DISABLED => InvalidState,
    // ---- DENIED
    /// The liability ledger recommends denying admission.
    ADMISSION_DENIED => Denied,
    /// σ_eff below the session's minimum for a non-sandbox ring.
    SIGMA_TOO_LOW => Denied,
    /// The agent's ring does not allow the action.
    RING_DENIED => Denied,
    /// Ring 3 is read-only.
    RING_READ_ONLY => Denied,
    /// The agent is quarantined.
    AGENT_QUARANTINED => Denied,
    /// The agent was killed.
    AGENT_KILLED => Denied,
    /// The agent's breach circuit breaker is open.
    CIRCUIT_OPEN => Denied,
    /// A VFS permission denies the agent.
    PERMISSION_DENIED => Denied,
    /// The voucher's σ is below the vouching floor.
    VOUCHER_SIGMA_TOO_LOW => Denied,
    /// A ring elevation was refused (`details.reason`).
    ELEVATION_DENIED => Denied,
    // ---- RATE_LIMITED
    /// The agent's token bucket is empty.
    RATE_LIMITED => RateLimited,
    // ---- CONFLICT
    /// The agent already joined the session.
    AGENT_ALREADY_JOINED => Conflict,
    /// A caller-supplied id already exists.
    DUPLICATE_ID => Conflict,
    /// An intent lock is held by another agent.
    LOCK_CONTENTION => Conflict,
    /// Acquiring the lock would close a wait-for cycle.
    DEADLOCK => Conflict,
    /// A write from an agent whose clock is stale for the path.
    CAUSAL_VIOLATION => Conflict,
    /// A vouch that would create a cycle (or a self-vouch).
    CIRCULAR_VOUCH => Conflict,
    // ---- LIMIT_EXCEEDED
    /// The session is at `max_participants`.
    SESSION_FULL => LimitExceeded,
    /// The voucher's bonded total would exceed σ × max_exposure.
    EXPOSURE_EXCEEDED => LimitExceeded,
    /// A bounded table is full (`details.table`).
    CAPACITY_EXCEEDED => LimitExceeded,
    /// The request exceeds `max_request_bytes`.
    REQUEST_TOO_LARGE => LimitExceeded,
    /// The session VFS would exceed `max_vfs_bytes_per_session`.
    VFS_QUOTA_EXCEEDED => LimitExceeded,
    // ---- TIMEOUT
    /// A step passed its deadline.
    STEP_TIMEOUT => Timeout,
    // ---- STEP_FAILED
    /// A saga step failed after its retries (`details` holds the Step).
    STEP_FAILED => StepFailed,
    // ---- IO
    /// Storage error.
    IO_ERROR => Io,
    // ---- CORRUPT
    /// Supplied or stored audit data failed an integrity check.
    AUDIT_CORRUPT => Corrupt,
    // ---- INTERNAL
    /// A bug in the engine.
    INTERNAL => Internal,
    /// A panic was caught at the boundary.
    PANIC => Internal,
}

/// The crate's error: a stable code, a message naming the field or id, optional details.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    code: Code,
    message: String,
    details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with a code and message and no details.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// `INVALID_ARGUMENT`-family error naming `field` in the message and in `details.field`.
    pub fn field(code: Code, field: impl Into<String>, reason: impl fmt::Display) -> Self {
        let field = field.into();
        let msg = format!("{field}: {reason}");
        Error::new(code, msg).with_detail("field", field)
    }

    /// Generic `INVALID_ARGUMENT` naming `field`.
    pub fn invalid(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::field(Code::INVALID_ARGUMENT, field, reason)
    }

    /// `OUT_OF_RANGE` naming `field`.
    pub fn out_of_range(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::field(Code::OUT_OF_RANGE, field, reason)
    }

    /// A not-found error: `"<what> '<id>' not found"`, with the id in `details.<what>`.
    pub fn not_found(code: Code, what: &str, id: &str) -> Self {
        Error::new(code, format!("{what} '{id}' not found")).with_detail(what, id)
    }

    /// Adds (or replaces) one entry in `details`.
    pub fn with_detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value.into());
        self
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The status class.
    pub fn status(&self) -> Status {
        self.code.status()
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Structured details, if any.
    pub fn details(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.details.as_deref()
    }

    /// The error object of API.md §1: `{"error":{code,status,message,details?}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut inner = serde_json::Map::new();
        inner.insert("code".into(), self.code.as_str().into());
        inner.insert("status".into(), self.status().as_str().into());
        inner.insert("message".into(), self.message.clone().into());
        if let Some(d) = &self.details {
            inner.insert("details".into(), serde_json::Value::Object((**d).clone()));
        }
        let mut outer = serde_json::Map::new();
        outer.insert("error".into(), serde_json::Value::Object(inner));
        serde_json::Value::Object(outer)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_screaming_snake() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch.is_ascii_digit()));
        }
    }

    #[test]
    fn field_errors_name_the_field() {
        let e = Error::out_of_range("config.max_participants", "must be 1..=1000");
        assert_eq!(e.status(), Status::InvalidArgument);
        assert!(e.message().contains("config.max_participants"));
        let j = e.to_json();
        assert_eq!(j["error"]["details"]["field"], "config.max_participants");
        assert_eq!(j["error"]["code"], "OUT_OF_RANGE");
        assert_eq!(j["error"]["status"], "INVALID_ARGUMENT");
    }
}
