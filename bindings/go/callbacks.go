package hypervisor

// The //export-ed Go side of the C trampolines in trampolines.c. Every callback recovers
// panics: a Go panic must never unwind into the engine's Rust frames.

/*
#include "trampolines.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// handleValue resolves a cgo.Handle, tolerating one already deleted (a callback racing
// with Unsubscribe or SetTrustProvider): Value panics on an invalid handle.
func handleValue(h C.uintptr_t) (v any, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	return cgo.Handle(uintptr(h)).Value(), true
}

//export hvgoTrust
func hvgoTrust(agentDID, contextJSON *C.char, handle C.uintptr_t, outSigma *C.double) (rc C.int32_t) {
	defer func() {
		if recover() != nil {
			rc = 1 // a panicking provider means "unknown"
		}
	}()
	v, ok := handleValue(handle)
	if !ok {
		return 1
	}
	fn := v.(*trustSlot).load()
	if fn == nil {
		return 1
	}
	var tc TrustContext
	if err := json.Unmarshal([]byte(C.GoString(contextJSON)), &tc); err != nil {
		return 1
	}
	sigma, known := fn(C.GoString(agentDID), tc)
	if !known {
		return 1
	}
	*outSigma = C.double(sigma)
	return 0
}

//export hvgoEvent
func hvgoEvent(eventJSON *C.char, handle C.uintptr_t) {
	v, ok := handleValue(handle)
	if !ok {
		return
	}
	s := v.(*Subscription)
	defer func() {
		if r := recover(); r != nil {
			s.recordPanic(r)
		}
	}()
	if s.stopped.Load() {
		return
	}
	var ev Event
	if err := json.Unmarshal([]byte(C.GoString(eventJSON)), &ev); err != nil {
		s.recordPanic(fmt.Errorf("undecodable event: %w", err))
		return
	}
	s.fn(ev)
}

//export hvgoStep
func hvgoStep(sctx *C.HvStepContext, stepJSON *C.char, handle C.uintptr_t) (rc C.int32_t) {
	fail := func(msg string) C.int32_t {
		cmsg := C.CString(msg)
		C.hv_step_set_error(sctx, cmsg)
		C.free(unsafe.Pointer(cmsg))
		return 1
	}
	defer func() {
		if r := recover(); r != nil {
			rc = fail(fmt.Sprintf("panic in step executor: %v", r))
		}
	}()
	v, ok := handleValue(handle)
	if !ok {
		return fail("step executor is gone")
	}
	result, err := v.(*stepRun).execute(sctx, []byte(C.GoString(stepJSON)))
	if err != nil {
		return fail(err.Error())
	}
	if len(result) > 0 {
		cres := C.CString(string(result))
		C.hv_step_set_result(sctx, cres)
		C.free(unsafe.Pointer(cres))
	}
	return 0
}
