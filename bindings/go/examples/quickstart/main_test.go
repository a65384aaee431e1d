package main

import "testing"

// TestQuickstart runs the example end to end (any failure is a log.Fatal).
func TestQuickstart(t *testing.T) { main() }
