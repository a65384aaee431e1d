using System.Collections.Generic;

namespace AgentHypervisor
{
    /// <summary><c>vfs.write</c></summary>
    public sealed class VfsWriteRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public string Path { get; set; }
        public string Content { get; set; }
    }

    /// <summary>The audit delta a write appended.</summary>
    public sealed class DeltaRef
    {
        public long TurnId { get; set; }
        public string DeltaHash { get; set; }
    }

    /// <summary>Result of <c>vfs.write</c>.</summary>
    public sealed class VfsWriteResult
    {
        public string Path { get; set; }
        /// <summary>"create" | "update".</summary>
        public string Operation { get; set; }
        public string ContentHash { get; set; }
        public string PreviousHash { get; set; }
        /// <summary>The path's vector clock: agent -&gt; counter.</summary>
        public Dictionary<string, long> Clock { get; set; }
        public DeltaRef Delta { get; set; }
    }

    /// <summary><c>vfs.read</c></summary>
    public sealed class VfsReadRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string Path { get; set; }
        /// <summary>When given, permissions apply and the path clock merges into the agent's.</summary>
        public string AgentDid { get; set; }
    }

    /// <summary>Result of <c>vfs.read</c>.</summary>
    public sealed class VfsReadResult
    {
        public string Path { get; set; }
        /// <summary>Null when the file does not exist.</summary>
        public string Content { get; set; }
        public Dictionary<string, long> Clock { get; set; }
    }

    /// <summary><c>vfs.delete</c> and <c>vfs.clear_permissions</c>.</summary>
    public sealed class VfsPathRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public string Path { get; set; }
    }

    /// <summary>Result of <c>vfs.delete</c>.</summary>
    public sealed class VfsDeleteResult
    {
        public string Path { get; set; }
        /// <summary>Hash of the deleted content.</summary>
        public string PreviousHash { get; set; }
        public Dictionary<string, long> Clock { get; set; }
        public DeltaRef Delta { get; set; }
    }

    /// <summary>Result of <c>vfs.set_permissions</c> and <c>vfs.clear_permissions</c>.</summary>
    public sealed class VfsPermissionsResult
    {
        public string Path { get; set; }
        /// <summary>Empty when the path is open to every participant.</summary>
        public List<string> AllowedAgents { get; set; }
        public bool Changed { get; set; }
        public DeltaRef Delta { get; set; }
    }

    /// <summary>Result of <c>vfs.list</c>.</summary>
    public sealed class VfsListResult
    {
        public List<string> Paths { get; set; }
    }

    /// <summary><c>vfs.set_permissions</c></summary>
    public sealed class VfsSetPermissionsRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
        public string Path { get; set; }
        public List<string> AllowedAgents { get; set; }
    }

    /// <summary><c>vfs.edits</c></summary>
    public sealed class VfsEditsRequest : RequestBase
    {
        public string SessionId { get; set; }
        public string AgentDid { get; set; }
    }

    /// <summary>One VFS edit.</summary>
    public sealed class VfsEdit
    {
        public string Path { get; set; }
        public string Operation { get; set; }
        public string AgentDid { get; set; }
        public string Timestamp { get; set; }
        public string ContentHash { get; set; }
        public string PreviousHash { get; set; }
    }

    /// <summary>Result of <c>vfs.edits</c>.</summary>
    public sealed class VfsEditsResult
    {
        public List<VfsEdit> Edits { get; set; }
    }
}
