namespace AgentHypervisor
{
    /// <summary>vfs.* (API.md 4.2): the per-session virtual file system.</summary>
    public sealed class VfsClient
    {
        private readonly Hypervisor _hv;
        internal VfsClient(Hypervisor hv) { _hv = hv; }

        /// <summary><c>vfs.write</c>. Ring 3 is read-only (DENIED/RING_READ_ONLY).</summary>
        public VfsWriteResult Write(VfsWriteRequest request) { return _hv.Call<VfsWriteResult>("vfs.write", request); }

        public VfsWriteResult Write(string sessionId, string agentDid, string path, string content)
        {
            return Write(new VfsWriteRequest { SessionId = sessionId, AgentDid = agentDid, Path = path, Content = content });
        }

        /// <summary><c>vfs.read</c>.</summary>
        public VfsReadResult Read(VfsReadRequest request) { return _hv.Call<VfsReadResult>("vfs.read", request); }

        public VfsReadResult Read(string sessionId, string path, string agentDid = null)
        {
            return Read(new VfsReadRequest { SessionId = sessionId, Path = path, AgentDid = agentDid });
        }

        /// <summary><c>vfs.delete</c>.</summary>
        public VfsDeleteResult Delete(VfsPathRequest request) { return _hv.Call<VfsDeleteResult>("vfs.delete", request); }

        /// <summary><c>vfs.list</c>.</summary>
        public VfsListResult List(string sessionId) { return List(new SessionRequest(sessionId)); }
        public VfsListResult List(SessionRequest request) { return _hv.Call<VfsListResult>("vfs.list", request); }

        /// <summary><c>vfs.set_permissions</c>.</summary>
        public VfsPermissionsResult SetPermissions(VfsSetPermissionsRequest request) { return _hv.Call<VfsPermissionsResult>("vfs.set_permissions", request); }

        /// <summary><c>vfs.clear_permissions</c>.</summary>
        public VfsPermissionsResult ClearPermissions(VfsPathRequest request) { return _hv.Call<VfsPermissionsResult>("vfs.clear_permissions", request); }

        /// <summary><c>vfs.edits</c>.</summary>
        public VfsEditsResult Edits(VfsEditsRequest request) { return _hv.Call<VfsEditsResult>("vfs.edits", request); }
    }
}
