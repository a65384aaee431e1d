module github.com/agent-hypervisor/agent-hypervisor/bindings/go

go 1.22
