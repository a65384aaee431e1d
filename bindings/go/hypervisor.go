// Package hypervisor is the Go binding of agent-hypervisor, a governance engine for
// multi-agent AI sessions (execution rings, liability, sagas, audit) shipped as a C ABI.
//
// The binding is a thin skin: it owns the handle's lifetime, converts strings, maps engine
// failures to *Error and gives every JSON method of the contract (API.md §4) a typed
// request and response. All governance logic lives in the engine.
//
//	hv, err := hypervisor.New(hypervisor.Config{})
//	if err != nil { ... }
//	defer hv.Close()
//	s, err := hv.CreateSession(hypervisor.CreateSessionRequest{CreatorDID: "did:ex:alice"})
//
// A *Hypervisor is safe for concurrent use. Callbacks (saga step executors, event
// subscribers, the trust provider) run with no engine lock held and may call back into the
// same handle; they must not call Close.
package hypervisor

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/debug -lagent_hypervisor -Wl,-rpath,${SRCDIR}/../../target/debug
#include <stdlib.h>
#include <string.h>
#include "trampolines.h"
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Config is the engine configuration (API.md §3). The zero value means engine defaults;
// optional numbers are pointers (see Ptr) so that an explicit 0 can be sent.
type Config struct {
	Clock             string                `json:"clock,omitempty"`      // "system" | "manual"
	StartTime         string                `json:"start_time,omitempty"` // manual clock only, RFC 3339
	MaxExposure       *float64              `json:"max_exposure,omitempty"`
	RetryBaseDelayMs  *uint64               `json:"retry_base_delay_ms,omitempty"`
	RateLimits        map[string][2]float64 `json:"rate_limits,omitempty"` // ring -> [rate/s, burst]
	DriftThresholds   *DriftThresholds      `json:"drift_thresholds,omitempty"`
	AutoQuarantine    *bool                 `json:"auto_quarantine,omitempty"`
	QuarantineSeconds *uint64               `json:"quarantine_seconds,omitempty"`
	RetentionDays     *uint64               `json:"retention_days,omitempty"`
	Limits            *Limits               `json:"limits,omitempty"`
	DataDir           *string               `json:"data_dir,omitempty"`
}

// DriftThresholds are the drift severity boundaries.
type DriftThresholds struct {
	Low      float64 `json:"low"`
	Medium   float64 `json:"medium"`
	High     float64 `json:"high"`
	Critical float64 `json:"critical"`
}

// Limits caps the engine's tables; zero fields keep the defaults.
type Limits struct {
	MaxSessions           uint64 `json:"max_sessions,omitempty"`
	MaxParticipants       uint64 `json:"max_participants,omitempty"`
	MaxRequestBytes       uint64 `json:"max_request_bytes,omitempty"`
	MaxEvents             uint64 `json:"max_events,omitempty"`
	MaxRateBuckets        uint64 `json:"max_rate_buckets,omitempty"`
	MaxVFSBytesPerSession uint64 `json:"max_vfs_bytes_per_session,omitempty"`
}

// Ptr returns a pointer to v, for optional fields: Config{MaxExposure: hypervisor.Ptr(0.5)}.
func Ptr[T any](v T) *T { return &v }

// Version is the linked library's semantic version.
func Version() string { return C.GoString(C.hv_version()) }

// ABIVersion is the linked library's C ABI version.
func ABIVersion() uint32 { return uint32(C.hv_abi_version()) }

// Hypervisor is an engine handle. Create it with New and release it with Close.
type Hypervisor struct {
	mu       sync.Mutex
	idle     sync.Cond // signalled when inflight drops to 0
	ptr      *C.HvHypervisor
	inflight int
	closing  bool

	trust       *trustSlot // installed provider; nil until the first SetTrustProvider
	trustHandle cgo.Handle
	subs        map[uint64]*Subscription
}

// New creates an engine. A zero Config gives the defaults.
func New(cfg Config) (*Hypervisor, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return NewFromJSON(raw)
}

// NewFromJSON creates an engine from a raw configuration document (API.md §3; nil or
// empty for defaults), for settings Config does not model yet.
func NewFromJSON(config []byte) (*Hypervisor, error) {
	ccfg := cBytes(config)
	defer C.free(unsafe.Pointer(ccfg))
	var ptr *C.HvHypervisor
	var out *C.char
	st := Status(C.hv_create(ccfg, &ptr, &out))
	body := takeString(out)
	if st != StatusOK {
		return nil, errorFromJSON(st, body)
	}
	h := &Hypervisor{ptr: ptr, subs: map[uint64]*Subscription{}}
	h.idle.L = &h.mu
	runtime.SetFinalizer(h, finalize)
	return h, nil
}

// finalized counts handles closed by the finalizer (for tests).
var finalized atomic.Int64

func finalize(h *Hypervisor) {
	finalized.Add(1)
	h.Close()
}

// Close destroys the engine after the calls in flight return. It is idempotent and safe to
// call concurrently; calls made after it fail with ErrClosed. It must not be called from a
// callback of the same handle. A finalizer calls it for handles that become unreachable,
// but explicit Close is the contract (a callback that captures the handle keeps it
// reachable).
func (h *Hypervisor) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closing = true
	for h.inflight > 0 {
		h.idle.Wait()
	}
	if h.ptr == nil {
		return
	}
	C.hv_destroy(h.ptr)
	h.ptr = nil
	if h.trust != nil {
		h.trustHandle.Delete()
		h.trust = nil
	}
	for id, s := range h.subs {
		s.stop()
		delete(h.subs, id)
	}
	runtime.SetFinalizer(h, nil)
}

// acquire pins the handle for one C call; release must follow.
func (h *Hypervisor) acquire() (*C.HvHypervisor, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing || h.ptr == nil {
		return nil, ErrClosed
	}
	h.inflight++
	return h.ptr, nil
}

func (h *Hypervisor) release() {
	h.mu.Lock()
	h.inflight--
	if h.inflight == 0 {
		h.idle.Broadcast()
	}
	h.mu.Unlock()
}

// takeString copies and frees a library-owned string.
func takeString(s *C.char) []byte {
	if s == nil {
		return nil
	}
	b := C.GoBytes(unsafe.Pointer(s), C.int(C.strlen(s)))
	C.hv_string_free(s)
	return b
}

// encodeRequest turns a request into JSON: nil is "{}"; json.RawMessage and []byte pass
// through unchanged; anything else goes through encoding/json.
func encodeRequest(req any) ([]byte, error) {
	switch r := req.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		return r, nil
	case []byte:
		return r, nil
	default:
		return json.Marshal(r)
	}
}

func decodeResponse(body []byte, resp any) error {
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(body, resp); err != nil {
		return &Error{Code: "MALFORMED_RESPONSE", Status: StatusInternal, Message: "cannot decode engine response: " + err.Error()}
	}
	return nil
}

type entry int

const (
	viaCall entry = iota
	viaCreateSession
	viaJoinSession
	viaActivateSession
	viaTerminate
)

// CallJSON runs one method through the generic dispatcher with a raw JSON request (nil or
// empty means {}) and returns the raw JSON response.
func (h *Hypervisor) CallJSON(method string, request []byte) ([]byte, error) {
	return h.invoke(viaCall, method, request)
}

// Call is the escape hatch for any method, typed or not: req is marshalled (nil → {},
// json.RawMessage/[]byte are sent as-is) and the response is unmarshalled into resp (a
// pointer; nil discards it; *json.RawMessage keeps it raw).
func (h *Hypervisor) Call(method string, req, resp any) error {
	return h.call(viaCall, method, req, resp)
}

func (h *Hypervisor) call(via entry, method string, req, resp any) error {
	raw, err := encodeRequest(req)
	if err != nil {
		return &Error{Code: "INVALID_REQUEST", Status: StatusInvalidArgument, Message: "cannot encode request: " + err.Error()}
	}
	body, err := h.invoke(via, method, raw)
	if err != nil {
		return err
	}
	return decodeResponse(body, resp)
}

func (h *Hypervisor) invoke(via entry, method string, request []byte) ([]byte, error) {
	ptr, err := h.acquire()
	if err != nil {
		return nil, err
	}
	defer h.release()
	creq := cBytes(request)
	defer C.free(unsafe.Pointer(creq))
	var out *C.char
	var st C.HvStatus
	switch via {
	case viaCreateSession:
		st = C.hv_create_session(ptr, creq, &out)
	case viaJoinSession:
		st = C.hv_join_session(ptr, creq, &out)
	case viaActivateSession:
		st = C.hv_activate_session(ptr, creq, &out)
	case viaTerminate:
		st = C.hv_terminate(ptr, creq, &out)
	default:
		cm := C.CString(method)
		defer C.free(unsafe.Pointer(cm))
		st = C.hv_call(ptr, cm, creq, &out)
	}
	body := takeString(out)
	runtime.KeepAlive(h)
	if Status(st) != StatusOK {
		return nil, errorFromJSON(Status(st), body)
	}
	return body, nil
}

// cBytes copies b into a NUL-terminated C string (empty → ""). A raw NUL byte (never valid
// in JSON) becomes the text \u0000 so the document is not silently truncated: inside a
// string it is the escaped character, elsewhere the engine rejects it as malformed JSON.
func cBytes(b []byte) *C.char {
	if bytes.IndexByte(b, 0) >= 0 {
		b = bytes.ReplaceAll(b, []byte{0}, []byte(`\u0000`))
	}
	return C.CString(string(b))
}

// statusError maps the status of a C function that has no out_json.
func statusError(st C.HvStatus) error {
	if Status(st) != StatusOK {
		return errorFromJSON(Status(st), nil)
	}
	return nil
}

// do runs one typed method: nil and the error on failure, the decoded response otherwise.
func do[T any](h *Hypervisor, via entry, method string, req any) (*T, error) {
	var r T
	if err := h.call(via, method, req, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
