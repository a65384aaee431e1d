package hypervisor

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// The shared conformance vectors (tests/vectors/README.md), every file run through the
// generic call path.

type vectorFile struct {
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
	Steps  []struct {
		Method  string          `json:"method"`
		Request json.RawMessage `json:"request"`
		Status  string          `json:"status"`
		Expect  json.RawMessage `json:"expect"`
	} `json:"steps"`
}

func TestVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "tests", "vectors", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no conformance vectors found under tests/vectors")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runVectorFile(t, file) })
	}
}

func runVectorFile(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(raw, &vf); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	h, err := NewFromJSON(vf.Config)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer h.Close()
	for i, st := range vf.Steps {
		body, err := h.CallJSON(st.Method, st.Request)
		status := "OK"
		if err != nil {
			he, ok := err.(*Error)
			if !ok {
				t.Fatalf("step %d %s: non-engine error %v", i, st.Method, err)
			}
			status = he.Status.String()
			body = errorObject(he)
		}
		if status != st.Status {
			t.Errorf("step %d %s %s: status %s, want %s; response %s", i, st.Method, st.Request, status, st.Status, body)
			continue
		}
		if len(st.Expect) == 0 {
			continue
		}
		var want, got any
		if err := json.Unmarshal(st.Expect, &want); err != nil {
			t.Fatalf("step %d expect: %v", i, err)
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("step %d response %s: %v", i, body, err)
		}
		if err := matchSubset(want, got, "$"); err != nil {
			t.Errorf("step %d %s %s: %v; response %s", i, st.Method, st.Request, err, body)
		}
	}
}

// errorObject rebuilds the engine's `{"error":{...}}` object from an *Error.
func errorObject(e *Error) []byte {
	obj := map[string]any{"code": e.Code, "status": e.Status.String(), "message": e.Message}
	if len(e.rawDetails) > 0 {
		obj["details"] = e.rawDetails
	}
	b, _ := json.Marshal(map[string]any{"error": obj})
	return b
}

// matchSubset implements the README's rule: expected object keys must be present and
// match; arrays match element-wise with equal length; numbers within 1e-9; the rest
// exactly.
func matchSubset(want, got any, path string) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want object, got %v", path, got)
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s.%s: missing", path, k)
			}
			if err := matchSubset(w[k], gv, path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: want array of %d, got %v", path, len(w), got)
		}
		for i := range w {
			if err := matchSubset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case float64:
		g, ok := got.(float64)
		if !ok || math.Abs(g-w) > 1e-9 {
			return fmt.Errorf("%s: want %v, got %v", path, w, got)
		}
		return nil
	default: // string, bool, nil
		if want != got {
			return fmt.Errorf("%s: want %#v, got %#v", path, want, got)
		}
		return nil
	}
}

func TestMatchSubset(t *testing.T) {
	var got any
	_ = json.Unmarshal([]byte(`{"a":1.0000000001,"b":[1,{"c":null,"d":"x"}],"e":true,"extra":1}`), &got)
	ok := []string{`{}`, `{"a":1}`, `{"b":[1,{}]}`, `{"b":[1,{"c":null}]}`, `{"e":true}`}
	bad := []string{`{"a":2}`, `{"b":[1]}`, `{"b":[1,{"c":0}]}`, `{"e":false}`, `{"z":1}`, `{"b":{"d":"x"}}`}
	for _, s := range ok {
		var w any
		_ = json.Unmarshal([]byte(s), &w)
		if err := matchSubset(w, got, "$"); err != nil {
			t.Errorf("%s should match: %v", s, err)
		}
	}
	for _, s := range bad {
		var w any
		_ = json.Unmarshal([]byte(s), &w)
		if matchSubset(w, got, "$") == nil {
			t.Errorf("%s should not match", s)
		}
	}
}
