using System;
using System.Collections.Generic;
using AgentHypervisor.Native;

namespace AgentHypervisor
{
    /// <summary>
    /// One governance engine (<c>HvHypervisor *</c>). Thread-safe: any member may be called from
    /// any thread, including from inside a host callback (the engine holds no lock while calling
    /// back). <see cref="Dispose"/> is idempotent; afterwards every call throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public sealed partial class Hypervisor : IDisposable
    {
        private readonly HypervisorHandle _handle;
        private readonly object _gate = new object();
        private readonly Dictionary<ulong, IntPtr> _subscriptions = new Dictionary<ulong, IntPtr>();
        private IntPtr _trustKey = IntPtr.Zero;
        private bool _disposed;

        /// <summary>An engine with the default configuration (system clock, in memory).</summary>
        public Hypervisor() : this((string)null) { }

        /// <summary>An engine configured by <paramref name="config"/> (API.md section 3).</summary>
        public Hypervisor(HypervisorConfig config) : this(config == null ? null : Json.Serialize(config)) { }

        /// <summary>An engine configured by raw JSON (null or "" for defaults).</summary>
        public Hypervisor(string configJson)
        {
            HypervisorHandle handle;
            IntPtr outJson;
            var status = (HvStatus)NativeMethods.hv_create(Utf8.Encode(configJson), out handle, out outJson);
            string json = Utf8.TakeOwned(outJson);
            if (status != HvStatus.Ok)
            {
                if (handle != null) handle.Dispose();
                throw HypervisorException.FromNative(status, json);
            }
            _handle = handle;
            Sessions = new SessionsClient(this);
            Vfs = new VfsClient(this);
            Rings = new RingsClient(this);
            Liability = new LiabilityClient(this);
            Sagas = new SagasClient(this);
            Security = new SecurityClient(this);
            Audit = new AuditClient(this);
            Verification = new VerificationClient(this);
            Observability = new ObservabilityClient(this);
        }

        /// <summary>The library's semantic version (<c>hv_version</c>).</summary>
        public static string Version { get { return Utf8.Decode(NativeMethods.hv_version()); } }

        /// <summary>The C ABI version (<c>hv_abi_version</c>).</summary>
        public static uint AbiVersion { get { return NativeMethods.hv_abi_version(); } }

        /// <summary>session.*</summary>
        public SessionsClient Sessions { get; private set; }
        /// <summary>vfs.*</summary>
        public VfsClient Vfs { get; private set; }
        /// <summary>ring.*</summary>
        public RingsClient Rings { get; private set; }
        /// <summary>liability.*</summary>
        public LiabilityClient Liability { get; private set; }
        /// <summary>saga.* and the native step executors.</summary>
        public SagasClient Sagas { get; private set; }
        /// <summary>security.*</summary>
        public SecurityClient Security { get; private set; }
        /// <summary>audit.* and offline proof verification.</summary>
        public AuditClient Audit { get; private set; }
        /// <summary>verify.* and iatp.*</summary>
        public VerificationClient Verification { get; private set; }
        /// <summary>events.*, trace.*, clock.*, stats, health.</summary>
        public ObservabilityClient Observability { get; private set; }

        /// <summary>
        /// Raised when a host callback (step executor, event subscriber, trust provider) threw.
        /// The exception never reaches native code: a step fails with its message, an event is
        /// dropped, a trust answer counts as "unknown". Handlers run on the callback's thread.
        /// </summary>
        public event EventHandler<CallbackErrorEventArgs> CallbackError;

        internal void ReportCallbackError(string source, Exception e)
        {
            var h = CallbackError;
            if (h == null) return;
            try { h(this, new CallbackErrorEventArgs(source, e)); }
            catch (Exception) { }
        }

        /// <summary>True once <see cref="Dispose"/> ran.</summary>
        public bool IsDisposed { get { return _handle.IsClosed; } }

        internal HypervisorHandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException("Hypervisor");
                return _handle;
            }
        }

        // ------------------------------------------------------------------ generic calls

        /// <summary>
        /// The escape hatch: calls any method of API.md section 4 with raw JSON and returns the raw
        /// response JSON. Throws <see cref="HypervisorException"/> on any non-OK status.
        /// </summary>
        public string Call(string method, string requestJson)
        {
            if (method == null) throw new ArgumentNullException("method");
            IntPtr outJson;
            var status = (HvStatus)NativeMethods.hv_call(Handle, Utf8.Encode(method), Utf8.Encode(requestJson ?? "{}"), out outJson);
            return Check(status, Utf8.TakeOwned(outJson));
        }

        /// <summary>Calls <paramref name="method"/> with any serializable request (a model, a
        /// <see cref="JsonObject"/>, a dictionary, <see cref="RawJson"/>, null for <c>{}</c>) and maps the
        /// response onto <typeparamref name="TResponse"/> (use <see cref="JsonObject"/> for untyped).</summary>
        public TResponse Call<TResponse>(string method, object request)
        {
            return Json.Deserialize<TResponse>(Call(method, request == null ? "{}" : Json.Serialize(request)));
        }

        internal static string Check(HvStatus status, string json)
        {
            if (status != HvStatus.Ok) throw HypervisorException.FromNative(status, json);
            return json;
        }

        // ------------------------------------------------------------------ subscriptions

        /// <summary>
        /// Subscribes <paramref name="handler"/> to events matching <paramref name="filter"/> (null for
        /// all). The handler runs on the thread that caused the event, after the engine released its
        /// locks; it may call back into this handle but must not block for long. Dispose the returned
        /// subscription (or call <see cref="Unsubscribe"/>) to stop it; the handler stays referenced
        /// until then.
        /// </summary>
        public Subscription Subscribe(EventFilter filter, Action<HypervisorEvent> handler)
        {
            if (handler == null) throw new ArgumentNullException("handler");
            var key = Callbacks.Register(new Callbacks.EventEntry { Owner = this, Handler = handler });
            ulong id;
            try
            {
                // Native calls happen outside _gate: a handler running on another thread may itself
                // (un)subscribe, and must never wait on a lock held across a native call.
                var status = (HvStatus)NativeMethods.hv_subscribe(Handle, Utf8.Encode(filter == null ? null : Json.Serialize(filter)),
                    Callbacks.EventFn, key, out id);
                if (status != HvStatus.Ok) throw HypervisorException.FromNative(status, null);
            }
            catch
            {
                Callbacks.Unregister(key);
                throw;
            }
            lock (_gate)
            {
                if (!_disposed)
                {
                    _subscriptions[id] = key;
                    return new Subscription(this, id);
                }
            }
            Callbacks.Unregister(key);
            throw new ObjectDisposedException("Hypervisor");
        }

        /// <summary>Removes a subscription. Idempotent: unknown or already removed ids are ignored.</summary>
        public void Unsubscribe(ulong subscriptionId)
        {
            IntPtr key;
            lock (_gate)
            {
                if (!_subscriptions.TryGetValue(subscriptionId, out key)) return;
                _subscriptions.Remove(subscriptionId);
            }
            try
            {
                NativeMethods.hv_unsubscribe(_handle, subscriptionId);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently: the engine is gone, and so is the subscription.
            }
            finally
            {
                Callbacks.Unregister(key);
            }
        }

        // ------------------------------------------------------------------ trust provider

        /// <summary>
        /// Installs the trust provider asked on every session.join (null clears it). Return a score in
        /// [0,1], or null for "unknown". It may run on any thread. The provider stays referenced until
        /// it is replaced, cleared or the engine disposed.
        /// </summary>
        public void SetTrustProvider(TrustProvider provider)
        {
            lock (_gate)
            {
                IntPtr newKey = provider == null ? IntPtr.Zero
                    : Callbacks.Register(new Callbacks.TrustEntry { Owner = this, Provider = provider });
                HvStatus status;
                try
                {
                    status = (HvStatus)NativeMethods.hv_set_trust_provider(Handle, provider == null ? null : Callbacks.TrustFn, newKey);
                }
                catch
                {
                    if (newKey != IntPtr.Zero) Callbacks.Unregister(newKey);
                    throw;
                }
                if (status != HvStatus.Ok)
                {
                    if (newKey != IntPtr.Zero) Callbacks.Unregister(newKey);
                    throw HypervisorException.FromNative(status, null);
                }
                if (_trustKey != IntPtr.Zero) Callbacks.Unregister(_trustKey);
                _trustKey = newKey;
            }
        }

        // ------------------------------------------------------------------ lifetime

        /// <summary>Destroys the engine (once in-flight calls return). Idempotent.</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed) return;
                _disposed = true;
                foreach (var key in _subscriptions.Values) Callbacks.Unregister(key);
                _subscriptions.Clear();
                if (_trustKey != IntPtr.Zero) Callbacks.Unregister(_trustKey);
                _trustKey = IntPtr.Zero;
            }
            _handle.Dispose();
        }
    }

    /// <summary>An event subscription; <see cref="Dispose"/> unsubscribes (idempotent).</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly Hypervisor _owner;

        internal Subscription(Hypervisor owner, ulong id)
        {
            _owner = owner;
            Id = id;
        }

        /// <summary>The engine's subscription id.</summary>
        public ulong Id { get; private set; }

        public void Dispose()
        {
            if (!_owner.IsDisposed) _owner.Unsubscribe(Id);
        }
    }

    /// <summary>A trust provider: the σ for <paramref name="agentDid"/> in [0,1], or null for "unknown".</summary>
    public delegate double? TrustProvider(string agentDid, TrustContext context);

    /// <summary>What the engine tells the trust provider about the join.</summary>
    public sealed class TrustContext
    {
        public string SessionId { get; set; }
        public double? SigmaRaw { get; set; }
        public double? SigmaHint { get; set; }
    }

    /// <summary>Arguments of <see cref="Hypervisor.CallbackError"/>.</summary>
    public sealed class CallbackErrorEventArgs : EventArgs
    {
        public CallbackErrorEventArgs(string source, Exception exception)
        {
            Source = source;
            Exception = exception;
        }

        /// <summary>"step executor", "event subscriber" or "trust provider".</summary>
        public string Source { get; private set; }
        public Exception Exception { get; private set; }
    }
}
