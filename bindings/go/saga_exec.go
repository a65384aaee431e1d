package hypervisor

/*
#include "trampolines.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// StepFunc executes (or, for Compensate, undoes) one saga step. ctx carries the step's
// deadline (from hv_step_remaining_ms when the call starts) and the caller's cancellation;
// StepRemaining(ctx) reads the engine's live remaining time. Return a JSON result (nil for
// none) or an error, which fails the attempt with err.Error() as the step's error. A panic
// is recovered and fails the attempt. A result delivered after the deadline counts as a
// timeout.
type StepFunc func(ctx context.Context, step Step) (json.RawMessage, error)

type stepRun struct {
	ctx context.Context
	fn  StepFunc
}

type liveStepKey struct{}

// liveStep lets StepRemaining query the engine while the callback runs, and not after.
type liveStep struct {
	mu  sync.Mutex
	ptr *C.HvStepContext
}

func (l *liveStep) remaining() (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ptr == nil {
		return 0, false
	}
	return time.Duration(int64(C.hv_step_remaining_ms(l.ptr))) * time.Millisecond, true
}

func (l *liveStep) end() {
	l.mu.Lock()
	l.ptr = nil
	l.mu.Unlock()
}

// StepRemaining is the time left before the engine's deadline for the step whose StepFunc
// received ctx, read live from the engine clock (so it reflects clock.advance under a
// manual clock). ok is false outside a StepFunc call.
func StepRemaining(ctx context.Context) (remaining time.Duration, ok bool) {
	l, _ := ctx.Value(liveStepKey{}).(*liveStep)
	if l == nil {
		return 0, false
	}
	return l.remaining()
}

func (r *stepRun) execute(sctx *C.HvStepContext, raw []byte) (json.RawMessage, error) {
	var step Step
	if err := json.Unmarshal(raw, &step); err != nil {
		return nil, fmt.Errorf("undecodable step: %w", err)
	}
	remaining := time.Duration(int64(C.hv_step_remaining_ms(sctx))) * time.Millisecond
	ctx, cancel := context.WithDeadline(r.ctx, time.Now().Add(remaining))
	defer cancel()
	live := &liveStep{ptr: sctx}
	defer live.end()
	res, err := r.fn(context.WithValue(ctx, liveStepKey{}, live), step)
	if err != nil {
		msg := err.Error()
		if msg == "" {
			msg = "step executor failed"
		}
		return nil, errors.New(msg)
	}
	if len(res) > 0 && !json.Valid(res) {
		return nil, errors.New("step executor returned a result that is not valid JSON")
	}
	return res, nil
}

type sagaExec int

const (
	execStep sagaExec = iota
	execCompensate
	execFanOut
)

func (h *Hypervisor) runExecutor(ctx context.Context, kind sagaExec, req any, fn StepFunc) ([]byte, error) {
	if fn == nil {
		return nil, &Error{Code: "NULL_POINTER", Status: StatusInvalidArgument, Message: "executor is nil", Details: map[string]any{"field": "execute"}}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := encodeRequest(req)
	if err != nil {
		return nil, err
	}
	ptr, err := h.acquire()
	if err != nil {
		return nil, err
	}
	defer h.release()
	handle := cgo.NewHandle(&stepRun{ctx: ctx, fn: fn})
	defer handle.Delete()
	creq := cBytes(raw)
	defer C.free(unsafe.Pointer(creq))
	var out *C.char
	var st C.HvStatus
	switch kind {
	case execStep:
		st = C.hvgo_saga_step(ptr, creq, C.uintptr_t(handle), &out)
	case execCompensate:
		st = C.hvgo_saga_compensate(ptr, creq, C.uintptr_t(handle), &out)
	default:
		st = C.hvgo_saga_fan_out(ptr, creq, C.uintptr_t(handle), &out)
	}
	body := takeString(out)
	runtime.KeepAlive(h)
	if Status(st) != StatusOK {
		return nil, errorFromJSON(Status(st), body)
	}
	return body, nil
}

// RunStep runs one governed step (hv_saga_step): begin → fn → end, with retries, and
// returns the final Step. A governance denial returns its error without calling fn. When
// the step fails after its retries the error is ErrStepFailed and the returned Step (from
// the error's details.step) is non-nil too.
func (h *Hypervisor) RunStep(ctx context.Context, req StepRequest, fn StepFunc) (*Step, error) {
	body, err := h.runExecutor(ctx, execStep, req, fn)
	if err != nil {
		var he *Error
		if errors.As(err, &he) && he.Status == StatusStepFailed {
			var d struct {
				Step Step `json:"step"`
			}
			if he.DecodeDetails(&d) == nil && d.Step.StepID != "" {
				return &d.Step, err
			}
		}
		return nil, err
	}
	var st Step
	if err := decodeResponse(body, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Compensate undoes a saga's committed steps in reverse order with fn
// (hv_saga_compensate) and returns the final Saga (completed, or escalated when an undo
// failed).
func (h *Hypervisor) Compensate(ctx context.Context, req SagaIDRequest, fn StepFunc) (*Saga, error) {
	body, err := h.runExecutor(ctx, execCompensate, req, fn)
	if err != nil {
		return nil, err
	}
	var s Saga
	if err := decodeResponse(body, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// FanOutRequest is the request of hv_saga_fan_out.
type FanOutRequest struct {
	SagaID        string `json:"saga_id"`
	GroupID       string `json:"group_id"`
	HasConsensus  bool   `json:"has_consensus,omitempty"`
	HasSREWitness bool   `json:"has_sre_witness,omitempty"`
	TraceID       string `json:"trace_id,omitempty"`
}

// FanOut runs every branch of a group as a governed step, concurrently on engine worker
// threads (fn must be safe for concurrent use), and reports the policy outcome; a failed
// policy is not an error.
func (h *Hypervisor) FanOut(ctx context.Context, req FanOutRequest, fn StepFunc) (*FanOutResult, error) {
	body, err := h.runExecutor(ctx, execFanOut, req, fn)
	if err != nil {
		return nil, err
	}
	var r FanOutResult
	if err := decodeResponse(body, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
